import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { TableSchema } from './schema';

/**
 * Creates the single table exactly as {@link TableSchema} describes it (the CDK table uses the same
 * schema): pk/sk strings, on-demand, the sparse `OpenOrders`, `OwedCredit`, `CustomerTransfers` and `ByDay` indexes
 * projecting all attributes and the sparse, keys-only `BuyerEmails` and `CustomerOrders` indexes.
 * For dynalite in tests and local mode; an existing table is left as it is (a local-mode restart), but one
 * that lacks an index is refused: dynalite cannot add an index to a table, and a missing one would only fail
 * later, in the step that queries it.
 */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const index = TableSchema.openOrdersIndex;
  const owed = TableSchema.owedIndex;
  const customers = TableSchema.customerTransfersIndex;
  const byDay = TableSchema.byDayIndex;
  const emails = TableSchema.buyerEmailIndex;
  const customerOrders = TableSchema.customerNameIndex;
  let existed = false;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TableSchema.partitionKey, AttributeType: 'S' },
          { AttributeName: TableSchema.sortKey, AttributeType: 'S' },
          { AttributeName: index.partitionKey, AttributeType: 'S' },
          { AttributeName: index.sortKey, AttributeType: 'S' },
          { AttributeName: owed.partitionKey, AttributeType: 'S' },
          { AttributeName: owed.sortKey, AttributeType: 'S' },
          { AttributeName: customers.partitionKey, AttributeType: 'S' },
          { AttributeName: byDay.partitionKey, AttributeType: 'S' },
          { AttributeName: byDay.sortKey, AttributeType: 'S' },
          { AttributeName: emails.partitionKey, AttributeType: 'S' },
          { AttributeName: customerOrders.partitionKey, AttributeType: 'S' },
          // The sort key of both lookups (one definition serves both).
          { AttributeName: emails.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TableSchema.partitionKey, KeyType: 'HASH' },
          { AttributeName: TableSchema.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: owed.name,
            KeySchema: [
              { AttributeName: owed.partitionKey, KeyType: 'HASH' },
              { AttributeName: owed.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: customers.name,
            KeySchema: [{ AttributeName: customers.partitionKey, KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: byDay.name,
            KeySchema: [
              { AttributeName: byDay.partitionKey, KeyType: 'HASH' },
              { AttributeName: byDay.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          ...[emails, customerOrders].map((lookup) => ({
            IndexName: lookup.name,
            KeySchema: [
              { AttributeName: lookup.partitionKey, KeyType: 'HASH' as const },
              { AttributeName: lookup.sortKey, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' as const },
          })),
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    existed = true;
  }
  // dynalite makes a table ACTIVE a moment after answering (the more indexes, the longer): poll in tens of ms,
  // not the waiter's default seconds, or every test that makes a table waits a whole second.
  await waitUntilTableExists(
    { client, maxWaitTime: 30, minDelay: 0.02, maxDelay: 0.5 },
    { TableName: tableName },
  );
  if (existed) {
    await requireIndexes(client, tableName, [
      index.name,
      owed.name,
      customers.name,
      byDay.name,
      emails.name,
      customerOrders.name,
    ]);
  }
}

async function requireIndexes(client: DynamoDBClient, tableName: string, names: string[]): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((gsi) => gsi.IndexName));
  const missing = names.filter((name) => !present.has(name));
  if (missing.length > 0) {
    throw new Error(
      `table ${tableName} predates its index(es) ${missing.join(', ')}, and dynalite cannot add an index: ` +
        'start from an empty data directory (local mode: move LOCAL_DATA_DIR aside)',
    );
  }
}
