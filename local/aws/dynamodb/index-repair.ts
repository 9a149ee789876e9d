import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import { TableSchema } from '../../../shared/store/schema';

type Item = Record<string, unknown>;

/** The table's secondary indexes, by the attributes that key them. */
const INDEXES: ReadonlyArray<{ name: string; keys: readonly string[] }> = [
  TableSchema.openOrdersIndex,
  TableSchema.owedIndex,
  TableSchema.customerTransfersIndex,
  TableSchema.byDayIndex,
  TableSchema.buyerEmailIndex,
  TableSchema.customerNameIndex,
].map((index) => ({
  name: index.name,
  keys: ['partitionKey' in index ? index.partitionKey : '', 'sortKey' in index ? index.sortKey : ''].filter(
    (key): key is string => typeof key === 'string' && key !== '',
  ),
}));

const keyOf = (item: Item) =>
  `${String(item[TableSchema.partitionKey])}\u0000${String(item[TableSchema.sortKey])}`;
const indexKeyOf = (item: Item, keys: readonly string[]) =>
  keys.map((key) => JSON.stringify(item[key])).join('\u0000');

async function scanAll(doc: DynamoDBDocumentClient, tableName: string, indexName?: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of paginateScan(
    { client: doc },
    { TableName: tableName, ...(indexName ? { IndexName: indexName } : {}) },
  )) {
    items.push(...((page.Items ?? []) as Item[]));
  }
  return items;
}

/**
 * Local mode only, at start: makes dynalite's secondary indexes agree with the items again after a kill. dynalite
 * writes a write's index entries and its item as separate leveldb writes, so a SIGKILL between them leaves an item
 * missing from an index it belongs to (an open order the sweep never sees again) or an index entry for an item that
 * does not carry it. DynamoDB maintains its indexes itself; this never runs against it.
 *
 * An item missing from an index is put again unchanged (dynalite rewrites its entries); an entry its item does not
 * carry is removed by putting the item with that entry's keys and then as it is (or, for an item that is gone, by
 * putting and deleting it). Reads the whole table and each index once.
 */
export async function repairLocalIndexes(
  client: DynamoDBClient,
  tableName: string,
): Promise<{ reindexed: number; phantoms: number }> {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const items = new Map((await scanAll(doc, tableName)).map((item) => [keyOf(item), item]));
  const toReput = new Set<string>();
  let phantoms = 0;
  for (const index of INDEXES) {
    const entries = await scanAll(doc, tableName, index.name);
    const indexed = new Map(entries.map((entry) => [keyOf(entry), indexKeyOf(entry, index.keys)]));
    for (const [key, item] of items) {
      if (!index.keys.every((attribute) => item[attribute] !== undefined)) continue;
      if (indexed.get(key) !== indexKeyOf(item, index.keys)) toReput.add(key);
    }
    for (const entry of entries) {
      const item = items.get(keyOf(entry));
      if (item && indexKeyOf(item, index.keys) === indexKeyOf(entry, index.keys)) continue;
      phantoms += 1;
      const carrier = { ...(item ?? {}), ...Object.fromEntries(index.keys.map((k) => [k, entry[k]])) };
      carrier[TableSchema.partitionKey] = entry[TableSchema.partitionKey];
      carrier[TableSchema.sortKey] = entry[TableSchema.sortKey];
      await doc.send(new PutCommand({ TableName: tableName, Item: carrier }));
      if (item) {
        await doc.send(new PutCommand({ TableName: tableName, Item: item }));
      } else {
        await doc.send(
          new DeleteCommand({
            TableName: tableName,
            Key: {
              [TableSchema.partitionKey]: entry[TableSchema.partitionKey],
              [TableSchema.sortKey]: entry[TableSchema.sortKey],
            },
          }),
        );
      }
    }
  }
  for (const key of toReput) {
    await doc.send(new PutCommand({ TableName: tableName, Item: items.get(key) }));
  }
  return { reindexed: toReput.size, phantoms };
}
