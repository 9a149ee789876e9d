import { buyerRepository } from './buyer-repository';
import { leaseRepository } from './lease-repository';
import { orderQueries } from './order-queries';
import { orderRepository } from './order-repository';
import { openTable, type TableOptions } from './table';
import { transferRepository } from './transfer-repository';
import type { BuyerStore, LeaseStore, OrderQueries, OrderStore, TransferStore } from './types';

/** Everything the workflow and the ops CLI need from the table. */
export type DynamoStore = OrderStore & OrderQueries & BuyerStore & TransferStore & LeaseStore;

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
  };
}
