/** The DynamoDB repository: one table, keys from {@link TableSchema}, one conditional write per step. */
export {
  createDynamoStore,
  type DynamoStore,
  type DynamoStoreOptions,
  documentClient,
  ItemKeys,
} from './dynamo-store';
export { TableSchema } from './schema';
export { createTable } from './table';
export * from './types';
