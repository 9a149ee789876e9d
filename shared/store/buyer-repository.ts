import { getItem, ItemKeys, mustExist, SK, scanAll, strip, type Table, tryPut } from './table';
import type { BuyerCustomer, BuyerStore } from './types';

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
