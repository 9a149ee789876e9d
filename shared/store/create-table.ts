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
 * schema): pk/sk strings, on-demand, the sparse `OpenOrders` and `CustomerTransfers` indexes projecting all
 * attributes and the sparse, keys-only `PaymentRefs` index.
 * For dynalite in tests and local mode; an existing table is left as it is (a local-mode restart), but one
 * that lacks an index is refused: dynalite cannot add an index to a table, and a missing one would only fail
 * later, in the step that queries it.
 */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const index = TableSchema.openOrdersIndex;
  const payments = TableSchema.paymentRefIndex;
  const customers = TableSchema.customerTransfersIndex;
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
          { AttributeName: payments.partitionKey, AttributeType: 'S' },
          { AttributeName: customers.partitionKey, AttributeType: 'S' },
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
            IndexName: payments.name,
            KeySchema: [{ AttributeName: payments.partitionKey, KeyType: 'HASH' }],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
          {
            IndexName: customers.name,
            KeySchema: [{ AttributeName: customers.partitionKey, KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    existed = true;
  }
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: tableName });
  if (existed) await requireIndexes(client, tableName, [index.name, payments.name, customers.name]);
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
