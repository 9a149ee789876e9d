/**
 * The single table's key schema: shared by the CDK table (infra), the repository (shared/store) and
 * local mode's dynalite table, so the three can never disagree.
 */
export const TableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /**
   * Sparse index of work queues, by `openPk`: open orders (`ORDER`, the sweep reads them), unsettled transfer
   * intents (`TRANSFER`), orders waiting for a person (`ATTENTION`) and transfer leases (`LEASE`, so local
   * mode can release a killed process's leases). Items in no queue carry no `openPk`.
   */
  openOrdersIndex: { name: 'OpenOrders', partitionKey: 'openPk', sortKey: 'openSk' },
  /**
   * Sparse, keys only: orders by the provider's payment id (`stripe:<store>:pi_…`), so a refund that names only
   * its PaymentIntent finds its order.
   */
  paymentRefIndex: { name: 'PaymentRefs', partitionKey: 'paymentRef' },
  /**
   * Sparse, every attribute: a customer's transfer intents whose call may have happened but is not decided
   * (IN_FLIGHT, UNKNOWN), by `unresolvedFor`, the customer uuid, present only in those two states. Transfer
   * credit asks it before moving that customer's balance.
   */
  customerTransfersIndex: { name: 'CustomerTransfers', partitionKey: 'unresolvedFor' },
  /** Epoch seconds; DynamoDB TTL (leases). dynalite does not expire: code must treat expired items as gone. */
  ttlAttribute: 'expiresAt',
} as const;
