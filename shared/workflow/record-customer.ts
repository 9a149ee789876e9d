import { Outbound } from '../domain/outbound-events';
import { OrderInvalid } from '../errors';
import type { BuyerStore } from '../store/buyer-repository';
import type { OrderStore } from '../store/order-repository';
import type { CustomerRef, ExecutionInput, PaymentState } from './contract';
import type { EventsOut } from './events-out';
import type { Observability } from './ports';

export interface RecordCustomerDeps extends Observability {
  buyers: BuyerStore;
  orders: OrderStore;
  events: EventsOut;
}

/**
 * "Record customer": writes the customer against the buyer (first one wins) and the order, then says
 * whether payment is already in: the event said `paid`, or a confirmation reached the order first.
 * The order that records the buyer's mapping is the customer's first: it publishes `Customer Created`
 * (its stable id is the customer's uuid, so a retry publishes the same fact), which sends the welcome.
 * Each write idempotent; a crash between them is repaired by the retry.
 */
export async function recordCustomer(
  deps: RecordCustomerDeps,
  input: ExecutionInput & { customer: CustomerRef },
): Promise<PaymentState> {
  const { order, customer } = input;
  // Create customer refused an order without one; only a hand-made input can get here without it.
  if (!order.buyerKey) throw new OrderInvalid('order.buyerKey is missing: create customer runs first');
  const now = deps.now();
  const mapping = await deps.buyers.putCustomer(
    order.buyerKey,
    { uuid: customer.uuid, name: customer.name, orderKey: order.orderKey },
    now,
  );
  if (mapping.customerUuid !== customer.uuid) {
    // Cannot happen through create-customer (it reuses the mapping); a hand-edited input could do it.
    deps.log.warn('buyer already mapped to another customer; the recorded mapping stands', {
      orderKey: order.orderKey,
      recordedUuid: mapping.customerUuid,
      customerUuid: customer.uuid,
    });
  }
  const stored = await deps.orders.recordCustomer(order, customer, now);
  if (mapping.orderKey === order.orderKey && mapping.customerUuid === customer.uuid) {
    await deps.events.publish([
      Outbound.customerCreated(
        {
          orderKey: order.orderKey,
          buyerKey: order.buyerKey,
          customerName: customer.name,
          customerUuid: customer.uuid,
        },
        new Date(mapping.createdAt),
      ),
    ]);
  }
  return { paid: order.kind === 'paid' || stored.payment === 'paid' };
}
