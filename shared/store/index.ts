/**
 * The DynamoDB store: one table, keys from {@link TableSchema}, one repository per port, each port written beside
 * its repository (README.md), one conditional write per step.
 */
export {
  type Attention,
  type CaughtError,
  isTerminal,
  type OrderState,
  OrderStates,
  type Outcome,
  type PaymentStatus,
} from '../domain/order-state';
export type { BuyerCustomer, BuyerStore } from './buyer-repository';
export { createTable } from './create-table';
export {
  createDynamoStore,
  type DynamoStore,
  type DynamoStoreOptions,
} from './dynamo-store';
export type { EmailKind, EmailRecord, EmailStatus, EmailStore } from './email-repository';
export { ItemKeys } from './item-keys';
export type { Lease, LeaseStore } from './lease-repository';
export type {
  CreditMovement,
  OrderDaySummary,
  OrderFilter,
  OrderPage,
  OrderQueries,
  OrderSearch,
  OrderView,
} from './order-queries';
export type { OrderAction, OrderRecord, OrderStore, ReplayChange } from './order-repository';
export type { PasswordStore } from './password-repository';
export type { PaymentLink, PaymentLinkStore } from './payment-repository';
export { TableSchema } from './schema';
export { documentClient } from './table';
export {
  StartableTransferStatuses,
  type TransferIntent,
  type TransferIntentStatus,
  type TransferPatch,
  type TransferStore,
  UnresolvedTransferStatuses,
  UnsettledTransferStatuses,
} from './transfer-repository';
