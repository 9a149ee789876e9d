import type { BuyerStore } from './buyer-repository';
import { buyerRepository } from './buyer-repository';
import type { EmailStore } from './email-repository';
import { emailRepository } from './email-repository';
import type { LeaseStore } from './lease-repository';
import { leaseRepository } from './lease-repository';
import type { OrderQueries } from './order-queries';
import { orderQueries } from './order-queries';
import type { OrderStore } from './order-repository';
import { orderRepository } from './order-repository';
import type { PasswordStore } from './password-repository';
import { passwordRepository } from './password-repository';
import type { PaymentLinkStore } from './payment-repository';
import { paymentRepository } from './payment-repository';
import { openTable, type TableOptions } from './table';
import type { TransferStore } from './transfer-repository';
import { transferRepository } from './transfer-repository';

/** Everything the workflow and the ops CLI need from the table, but the e-mail ports (their method names overlap). */
export type DynamoStore = OrderStore &
  OrderQueries &
  BuyerStore &
  TransferStore &
  LeaseStore &
  PaymentLinkStore;

/** The e-mail markers and sealed passwords, apart: `get` and friends would clash with the order ports'. */
export interface NotificationStores {
  emails: EmailStore;
  passwords: PasswordStore;
}

export type DynamoStoreOptions = TableOptions;

/**
 * Every port over the one table: one repository per port (see shared/store/README.md), sharing one
 * document client. Handlers, local mode and tests take the ports from here.
 */
export function createDynamoStore(options: DynamoStoreOptions): DynamoStore {
  const table = openTable(options);
  return {
    ...orderRepository(table),
    ...orderQueries(table),
    ...buyerRepository(table),
    ...transferRepository(table),
    ...leaseRepository(table),
    ...paymentRepository(table),
  };
}

/** The e-mail and password ports over the same table. */
export function createNotificationStores(options: DynamoStoreOptions): NotificationStores {
  const table = openTable(options);
  return { emails: emailRepository(table), passwords: passwordRepository(table) };
}
