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
   * Sparse, every attribute: orders that may owe credit (`owedPk` = `OWED`), oldest first by `owedSk`
   * (`<since>#<orderKey>`). An order enters with its first payment fact and leaves when its credit moves, a person is
   * asked, or its facts are found to owe nothing; the sweep reads it, so nothing owed is forgotten.
   */
  owedIndex: { name: 'OwedCredit', partitionKey: 'owedPk', sortKey: 'owedSk' },
  /**
   * Sparse, every attribute: a customer's transfer intents whose call may have happened but is not decided
   * (IN_FLIGHT, UNKNOWN), by `unresolvedFor`, the customer uuid, present only in those two states. Transfer
   * credit asks it before moving that customer's balance.
   */
  customerTransfersIndex: { name: 'CustomerTransfers', partitionKey: 'unresolvedFor' },
  /**
   * Sparse, every attribute: what happened on each UTC day, newest first. An order is under `ORDER#<day>` of its
   * `createdAt` from the write that creates it; a transfer intent under `CREDIT#<day>` from the write that makes it
   * APPLIED. Sort key `<time>#<orderKey>`, so a page resumes exactly where the last one ended. The console's
   * Orders page (paged, filtered) and its charts read it; nothing in the workflow does.
   */
  byDayIndex: { name: 'ByDay', partitionKey: 'dayPk', sortKey: 'daySk' },
  /**
   * Sparse, keys only: orders by the buyer's lower-cased e-mail (`buyerEmail`, written with the event), newest
   * first, for the console's search.
   */
  buyerEmailIndex: { name: 'BuyerEmails', partitionKey: 'buyerEmail', sortKey: 'createdAt' },
  /**
   * Sparse, keys only: orders by their Yay customer's name (`orderCustomer`, written with the customer), newest
   * first, for the console's search. Not `customerName` itself: intents and e-mail markers carry that too.
   */
  customerNameIndex: { name: 'CustomerOrders', partitionKey: 'orderCustomer', sortKey: 'createdAt' },
  /** Epoch seconds; DynamoDB TTL (leases). dynalite does not expire: code must treat expired items as gone. */
  ttlAttribute: 'expiresAt',
} as const;
