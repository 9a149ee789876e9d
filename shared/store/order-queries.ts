import { ItemKeys, PK, queryAll, SK, scanAll, strip, type Table } from './table';
import type { OrderQueries, OrderRecord, OrderState, OrderView, TransferIntent } from './types';

function toView(order: OrderRecord): OrderView {
  const { taskToken, ...rest } = order;
  return { ...rest, waitingForPayment: taskToken !== undefined };
}

/** The ops CLI's read side: orders as people see them, task tokens never included. */
export function orderQueries(table: Table): OrderQueries {
  return {
    async getOrder(orderKey) {
      // The order and its transfer intent share the order's partition: one query reads both.
      const orderItem = ItemKeys.order(orderKey);
      const items = await queryAll(table, {
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK },
        ExpressionAttributeValues: { ':pk': orderItem[PK] },
        ConsistentRead: true,
      });
      const order = items.find((item) => item[SK] === orderItem[SK]);
      if (!order) return undefined;
      const transfer = items.find((item) => item[SK] === ItemKeys.transfer(orderKey)[SK]);
      return {
        ...toView(strip<OrderRecord>(order)),
        ...(transfer ? { transfer: strip<TransferIntent>(transfer) } : {}),
      };
    },

    async listOrders(filter?: { state?: OrderState }) {
      // A scan, not the open index: the operator must also see stubs (a payment event for an order not
      // seen yet), which are open but not in the index because nothing can run for them.
      const items = await scanAll(table, {
        FilterExpression: filter?.state ? '#sk = :sk AND #state = :state' : '#sk = :sk',
        ExpressionAttributeNames: { '#sk': SK, ...(filter?.state ? { '#state': 'state' } : {}) },
        ExpressionAttributeValues: {
          ':sk': ItemKeys.order('')[SK],
          ...(filter?.state ? { ':state': filter.state } : {}),
        },
      });
      const orders = items.map((item) => strip<OrderRecord>(item));
      return orders.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(toView);
    },
  };
}
