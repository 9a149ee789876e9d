/**
 * The DynamoDB store: one table, keys from {@link TableSchema}, one repository per port (README.md), one
 * conditional write per step.
 */
export { createTable } from './create-table';
export { createDynamoStore, type DynamoStore, type DynamoStoreOptions } from './dynamo-store';
export { TableSchema } from './schema';
export { documentClient, ItemKeys } from './table';
export * from './types';
