import { ItemKeys, SK, strip } from './item-keys';
import { getItem, mustExist, scanAll, type Table, tryPut } from './table';

/** The buyer → Yay customer mapping: a repeat buyer is topped up, never given a second account. */
export interface BuyerCustomer {
  buyerKey: string;
  customerUuid: string;
  customerName: string;
  /** The order the customer was recorded for (its first): that order's welcome replaces a receipt. */
  orderKey?: string;
  createdAt: string;
}

/** Buyers' Yay customers: how a repeat buyer finds the customer they already have. */
export interface BuyerStore {
  getCustomer(buyerKey: string): Promise<BuyerCustomer | undefined>;
  /** Records the mapping if absent; returns what stands (the first customer recorded wins). */
  putCustomer(
    buyerKey: string,
    customer: { uuid: string; name: string; orderKey?: string },
    now: Date,
  ): Promise<BuyerCustomer>;
  /** Every recorded buyer → customer (daily reconciliation). */
  listCustomers(): Promise<BuyerCustomer[]>;
}

/** Buyer → Yay customer mappings, one item per buyer: the first customer recorded wins. */
export function buyerRepository(table: Table): BuyerStore {
  return {
    getCustomer: (buyerKey) => getItem<BuyerCustomer>(table, ItemKeys.buyer(buyerKey)),

    async putCustomer(buyerKey, customer, now) {
      const mapping: BuyerCustomer = {
        buyerKey,
        customerUuid: customer.uuid,
        customerName: customer.name,
        ...(customer.orderKey ? { orderKey: customer.orderKey } : {}),
        createdAt: now.toISOString(),
      };
      const put = await tryPut<BuyerCustomer>(table, {
        ...ItemKeys.buyer(buyerKey),
        kind: 'buyer',
        ...mapping,
      });
      if (put.applied) return mapping;
      return mustExist(await put.current(), `buyer ${buyerKey}`);
    },

    async listCustomers() {
      const items = await scanAll(table, {
        FilterExpression: '#sk = :sk',
        ExpressionAttributeNames: { '#sk': SK },
        ExpressionAttributeValues: { ':sk': ItemKeys.buyer('')[SK] },
      });
      return items.map((item) => strip<BuyerCustomer>(item));
    },
  };
}
