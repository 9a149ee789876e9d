import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { TableSchema } from './schema';

/**
 * Creates the single table exactly as {@link TableSchema} describes it (the CDK table uses the same
 * schema): pk/sk strings, on-demand, the sparse `OpenOrders` index projecting all attributes and the sparse,
 * keys-only `PaymentRefs` index.
 * For dynalite in tests and local mode; an existing table is left as it is (a local-mode restart).
 */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const index = TableSchema.openOrdersIndex;
  const payments = TableSchema.paymentRefIndex;
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
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: tableName });
}
