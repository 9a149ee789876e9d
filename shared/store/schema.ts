/**
 * The single table's key schema: shared by the CDK table (infra), the repository (shared/store) and
 * local mode's dynalite table, so the three can never disagree.
 */
export const TableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Sparse index over non-terminal orders: only items with `openPk` set appear (the sweep reads it). */
  openOrdersIndex: { name: 'OpenOrders', partitionKey: 'openPk', sortKey: 'openSk' },
  /** Epoch seconds; DynamoDB TTL (leases). dynalite does not expire: code must treat expired items as gone. */
  ttlAttribute: 'expiresAt',
} as const;
