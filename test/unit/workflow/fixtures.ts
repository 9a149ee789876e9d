import type { OrderEvent, OrderEventKind } from '../../../shared/domain/order-event';

/** A valid order event with obvious fakes; override what a test is about. */
export function orderEvent(overrides: Partial<OrderEvent> & { kind?: OrderEventKind } = {}): OrderEvent {
  const orderId = overrides.orderId ?? 'cs_test_order_1';
  return {
    kind: 'placed',
    provider: 'stripe',
    store: 'acct_test',
    orderId,
    orderKey: `stripe:acct_test:${orderId}`,
    buyerKey: 'stripe:acct_test:cus_test_buyer_1',
    buyer: {
      name: 'Geoff Wilson',
      firstName: 'Geoff',
      lastName: 'Wilson',
      email: 'geoff@example.com',
    },
    address: {
      street_one: 'Westbury House',
      city: 'Guildford',
      state: 'Surrey',
      zip: 'GU2 4AW',
      country_code: 'GB',
    },
    credit: { amount: 10_000, currency: 'GBP' },
    sourceEventId: 'evt_test_1',
    occurredAt: '2026-11-27T06:00:00.000Z',
    ...overrides,
  };
}
