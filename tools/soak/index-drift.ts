/**
 * A check below the store's ports: every index entry local mode's table items imply against what each index holds
 * (dynalite under SIGKILL), since the sweep, `ops attention` and the owed pass read the indexes, not the items.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { TableSchema } from '../../shared/store';

/**
 * Every index entry the table's items imply against every entry the indexes hold: `missing` are items an index
 * should list and does not, `extra` entries for items that no longer carry the key (or no longer exist).
 */
export async function indexDrift(
  client: DynamoDBClient,
  tableName: string,
): Promise<Record<string, { missing: string[]; extra: string[] }>> {
  const doc = DynamoDBDocumentClient.from(client);
  const scan = async (indexName?: string) => {
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateScan(
      { client: doc },
      { TableName: tableName, ...(indexName ? { IndexName: indexName } : {}), ConsistentRead: !indexName },
    )) {
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    }
    return items;
  };
  const base = await scan();
  const indexes = [
    {
      name: TableSchema.openOrdersIndex.name,
      keys: [TableSchema.openOrdersIndex.partitionKey, TableSchema.openOrdersIndex.sortKey],
    },
    {
      name: TableSchema.owedIndex.name,
      keys: [TableSchema.owedIndex.partitionKey, TableSchema.owedIndex.sortKey],
    },
    {
      name: TableSchema.customerTransfersIndex.name,
      keys: [TableSchema.customerTransfersIndex.partitionKey],
    },
  ];
  const drift: Record<string, { missing: string[]; extra: string[] }> = {};
  for (const index of indexes) {
    const entry = (item: Record<string, unknown>) =>
      [...index.keys, TableSchema.partitionKey, TableSchema.sortKey]
        .map((key) => String(item[key]))
        .join(' | ');
    const expected = new Set(base.filter((item) => index.keys.every((key) => item[key] != null)).map(entry));
    const actual = new Set((await scan(index.name)).map(entry));
    const missing = [...expected].filter((key) => !actual.has(key));
    const extra = [...actual].filter((key) => !expected.has(key));
    if (missing.length + extra.length > 0) drift[index.name] = { missing, extra };
  }
  return drift;
}
