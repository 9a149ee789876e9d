import type { MoneyFact } from '../../../shared/domain/money';
import type { OrderEvent, OrderEventKind } from '../../../shared/domain/order-event';

/**
 * A valid order event with obvious fakes (hand-written: the use-case tests' input, not a provider's payload); override
 * what a test is about. It costs 10.00 GBP for 10.000 credit, one credit line and nothing else.
 */
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
    money: { total: 1_000, currency: 'GBP', singleCreditLine: true },
    sourceEventId: 'evt_test_1',
    occurredAt: '2026-11-27T06:00:00.000Z',
    ...overrides,
  };
}

/** A payment of the whole order (10.00 GBP) by its PaymentIntent, as the Stripe normalizer writes one (hand-written). */
export function paymentFact(overrides: Partial<MoneyFact> = {}): MoneyFact {
  return {
    type: 'payment',
    id: 'pi_test_1',
    amount: 1_000,
    currency: 'GBP',
    at: '2026-11-27T06:00:00.000Z',
    ...overrides,
  };
}

/** A money-only refund of 10.00 GBP (hand-written); override the amount for a partial one. */
export function refundFact(overrides: Partial<MoneyFact> = {}): MoneyFact {
  return {
    type: 'refund',
    id: 're_test_1',
    amount: 1_000,
    currency: 'GBP',
    at: '2026-11-27T06:01:00.000Z',
    ...overrides,
  };
}

/** A dispute of the whole payment (hand-written). */
export function disputeFact(overrides: Partial<MoneyFact> = {}): MoneyFact {
  return {
    type: 'dispute',
    id: 'dp_test_1',
    amount: 1_000,
    currency: 'GBP',
    at: '2026-11-27T06:02:00.000Z',
    status: 'needs_response',
    ...overrides,
  };
}

/** The events of one order's money, as intake publishes them (hand-written): paid, refunded, disputed. */
export function paidEvent(base: OrderEvent = orderEvent(), facts: MoneyFact[] = [paymentFact()]): OrderEvent {
  return { ...base, kind: 'paid', facts };
}

export function refundEvent(base: OrderEvent, fact: MoneyFact = refundFact()): OrderEvent {
  return { ...base, kind: 'refunded', facts: [fact], sourceEventId: `evt_${fact.id}` };
}

export function disputeEvent(base: OrderEvent, fact: MoneyFact = disputeFact()): OrderEvent {
  return { ...base, kind: 'disputed', facts: [fact], sourceEventId: `evt_${fact.id}` };
}
