import { describe, expect, it } from 'vitest';
import { OrderEventSchema } from '../../../shared/domain/order-event';
import { parseCreditCatalog } from '../../../shared/webhooks/catalog';
import { OrderRefundedEventSchema } from '../../../shared/webhooks/events';
import { MalformedPayload } from '../../../shared/webhooks/payload';
import { normalizeShopify, type ShopifyContext } from '../../../shared/webhooks/shopify';
import { normalizeStripe } from '../../../shared/webhooks/stripe';
import { normalizeWooCommerce } from '../../../shared/webhooks/woocommerce';
import { fixtureJson, SHOP_DOMAIN, TEST_CATALOG_JSON, WOO_SOURCE } from '../../fixtures/webhooks';

const catalog = parseCreditCatalog(TEST_CATALOG_JSON);
// biome-ignore lint/suspicious/noExplicitAny: tests edit deep fixture fields to make them invalid on purpose
type Json = Record<string, any>;

function eventOf(result: ReturnType<typeof normalizeStripe>) {
  if (result.outcome !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
  return result.event;
}

function malformed(run: () => unknown): MalformedPayload {
  try {
    run();
  } catch (error) {
    if (error instanceof MalformedPayload) return error;
    throw error;
  }
  throw new Error('expected MalformedPayload');
}

describe('normalizeStripe', () => {
  it('maps a paid checkout.session.completed to a paid order with buyer, address and metadata credit', () => {
    const event = eventOf(
      normalizeStripe(fixtureJson('stripe/checkout.session.completed.paid.json'), { catalog }),
    );

    expect(event).toEqual({
      kind: 'paid',
      provider: 'stripe',
      store: 'default',
      orderId: 'cs_test_a1fixturePaidSession',
      orderKey: 'stripe:default:cs_test_a1fixturePaidSession',
      buyerKey: 'stripe:default:cus_Rfixture0001',
      buyer: {
        name: 'Ada Lovelace',
        firstName: 'Ada',
        lastName: 'Lovelace',
        email: 'ada.lovelace@example.com',
        phone: '+442079460000',
      },
      address: {
        street_one: '1 Example Street',
        street_two: 'Flat 2',
        city: 'London',
        zip: 'EC1A 1BB',
        country_code: 'GB',
      },
      credit: { amount: 10000, currency: 'GBP' },
      sourceEventId: 'evt_1QfixtureCompletedPaid',
      occurredAt: '2026-01-01T00:00:00.000Z',
    });
    expect(OrderEventSchema.safeParse(event).success).toBe(true);
  });

  it('maps an unpaid checkout.session.completed to a placed order priced from metadata.sku via the catalog', () => {
    const event = eventOf(
      normalizeStripe(fixtureJson('stripe/checkout.session.completed.unpaid.json'), { catalog }),
    );

    expect(event.kind).toBe('placed');
    expect(event.credit).toEqual({ amount: 10000, currency: 'GBP' });
    // No Stripe customer: the buyer is keyed by the lower-cased e-mail.
    expect(event.buyerKey).toBe('stripe:default:ada.lovelace@example.com');
  });

  it.each([
    ['stripe/checkout.session.async_payment_succeeded.json', 'payment_confirmed'],
    ['stripe/checkout.session.async_payment_failed.json', 'payment_failed'],
  ])('maps %s to %s on the same order key as the placed order', (path, kind) => {
    const placed = eventOf(
      normalizeStripe(fixtureJson('stripe/checkout.session.completed.unpaid.json'), { catalog }),
    );
    const event = eventOf(normalizeStripe(fixtureJson(path), { catalog }));

    expect(event.kind).toBe(kind);
    expect(event.orderKey).toBe(placed.orderKey);
  });

  it('keys a charge.refunded by the checkout session id the store copied into metadata', () => {
    const paid = eventOf(
      normalizeStripe(fixtureJson('stripe/checkout.session.completed.paid.json'), { catalog }),
    );
    const refund = eventOf(normalizeStripe(fixtureJson('stripe/charge.refunded.json'), { catalog }));

    expect(refund).toMatchObject({ kind: 'refunded', orderKey: paid.orderKey, buyerKey: paid.buyerKey });
    expect(refund.credit).toEqual({ amount: 10000, currency: 'GBP' });
    expect(OrderRefundedEventSchema.safeParse(refund).success).toBe(true);
  });

  it('keys a charge.refunded by its payment intent when the metadata names no session', () => {
    const payload = fixtureJson<Json>('stripe/charge.refunded.json');
    payload.data.object.metadata = {};
    payload.data.object.billing_details = null;
    payload.data.object.receipt_email = null;

    const refund = eventOf(normalizeStripe(payload, { catalog }));

    expect(refund.orderKey).toBe('stripe:default:pi_3Qfixture0001');
    expect(refund.buyer).toBeUndefined();
    expect(refund.credit).toMatchObject({
      amount: null,
      unpricedReason: expect.stringContaining('yay_credit'),
    });
  });

  it('uses the Connect account as the store when the event carries one', () => {
    const payload = fixtureJson<Json>('stripe/checkout.session.completed.paid.json');
    payload.account = 'acct_1Fixture';

    expect(eventOf(normalizeStripe(payload, { catalog })).orderKey).toBe(
      'stripe:acct_1Fixture:cs_test_a1fixturePaidSession',
    );
  });

  it('flags an order whose currency the catalog does not price, with a null amount', () => {
    const payload = fixtureJson<Json>('stripe/checkout.session.completed.unpaid.json');
    payload.data.object.currency = 'usd';

    expect(eventOf(normalizeStripe(payload, { catalog })).credit).toEqual({
      amount: null,
      currency: 'USD',
      unpricedReason: 'SKU VOIP-10 is not priced in USD',
    });
  });

  it('omits the address when Stripe collected only country and postcode', () => {
    const payload = fixtureJson<Json>('stripe/checkout.session.completed.paid.json');
    payload.data.object.customer_details.address = { country: 'GB', postal_code: 'EC1A 1BB' };

    expect(eventOf(normalizeStripe(payload, { catalog })).address).toBeUndefined();
  });

  it('ignores event types it does not act on', () => {
    expect(normalizeStripe(fixtureJson('stripe/customer.created.json'), { catalog })).toEqual({
      outcome: 'ignored',
      topic: 'customer.created',
    });
  });

  it.each([
    [(p: Json) => (p.data.object.metadata.yay_credit = 'ten pounds'), 'data.object.metadata.yay_credit'],
    [
      (p: Json) => (p.data.object.customer_details.email = 'not-an-email'),
      'data.object.customer_details.email',
    ],
    [(p: Json) => (p.data.object.customer_details.name = null), 'data.object.customer_details.name'],
    [(p: Json) => (p.data.object.payment_status = 'maybe'), 'data.object.payment_status'],
    [(p: Json) => delete p.data.object.id, 'data.object.id'],
    [(p: Json) => (p.created = 'yesterday'), 'created'],
    [(p: Json) => delete p.data, 'data'],
  ])('throws MalformedPayload naming the field when it is invalid (%#)', (edit, field) => {
    const payload = fixtureJson<Json>('stripe/checkout.session.completed.paid.json');
    edit(payload);

    const error = malformed(() => normalizeStripe(payload, { catalog }));

    expect(error.code).toBe('invalid_payload');
    expect(error.message.startsWith(`${field}:`)).toBe(true);
  });
});

describe('normalizeShopify', () => {
  const ctx = (topic: string): ShopifyContext => ({
    catalog,
    topic,
    shopDomain: SHOP_DOMAIN,
    eventId: 'event-0001',
    triggeredAt: '2026-01-01T10:05:00.000Z',
  });

  it('maps orders/create before payment to a placed order with the billing address in Yay fields', () => {
    const event = eventOf(normalizeShopify(fixtureJson('shopify/orders-create.json'), ctx('orders/create')));

    expect(event).toEqual({
      kind: 'placed',
      provider: 'shopify',
      store: SHOP_DOMAIN,
      orderId: '5678901234567',
      orderKey: `shopify:${SHOP_DOMAIN}:5678901234567`,
      buyerKey: `shopify:${SHOP_DOMAIN}:7012345678901`,
      buyer: {
        name: 'Grace Hopper',
        firstName: 'Grace',
        lastName: 'Hopper',
        email: 'grace.hopper@example.com',
        phone: '+441632960001',
      },
      address: {
        street_one: '2 Sample Road',
        city: 'Manchester',
        state: 'ENG',
        zip: 'M1 1AE',
        country_code: 'GB',
      },
      credit: { amount: 10000, currency: 'GBP' },
      sourceEventId: 'event-0001',
      occurredAt: '2026-01-01T10:05:00.000Z',
    });
  });

  it('maps orders/create that is already paid to a paid order', () => {
    const event = eventOf(normalizeShopify(fixtureJson('shopify/orders-paid.json'), ctx('orders/create')));

    expect(event.kind).toBe('paid');
  });

  it('maps orders/paid to a paid order on the same order key', () => {
    const event = eventOf(normalizeShopify(fixtureJson('shopify/orders-paid.json'), ctx('orders/paid')));

    expect(event).toMatchObject({ kind: 'paid', orderKey: `shopify:${SHOP_DOMAIN}:5678901234567` });
  });

  it('maps refunds/create to a refunded event keyed by the order, with the refunded credit and no buyer', () => {
    const event = eventOf(
      normalizeShopify(fixtureJson('shopify/refunds-create.json'), ctx('refunds/create')),
    );

    expect(event).toEqual({
      kind: 'refunded',
      provider: 'shopify',
      store: SHOP_DOMAIN,
      orderId: '5678901234567',
      orderKey: `shopify:${SHOP_DOMAIN}:5678901234567`,
      credit: { amount: 10000, currency: 'GBP' },
      sourceEventId: 'event-0001',
      occurredAt: '2026-01-01T10:05:00.000Z',
    });
  });

  it('ignores a note-only refund that moved neither money nor goods', () => {
    const payload = fixtureJson<Json>('shopify/refunds-create.json');
    payload.transactions = [];
    payload.refund_line_items = [];

    expect(normalizeShopify(payload, ctx('refunds/create'))).toEqual({
      outcome: 'ignored',
      topic: 'refunds/create:nothing_refunded',
    });
  });

  it('prices by the presentment currency the buyer paid in', () => {
    const payload = fixtureJson<Json>('shopify/orders-paid.json');
    payload.presentment_currency = 'EUR';

    expect(eventOf(normalizeShopify(payload, ctx('orders/paid'))).credit).toEqual({
      amount: 9500,
      currency: 'EUR',
    });
  });

  it('acknowledges and ignores topics it does not act on', () => {
    expect(normalizeShopify({}, ctx('products/update'))).toEqual({
      outcome: 'ignored',
      topic: 'products/update',
    });
  });

  it.each([
    [{ topic: undefined }, 'x-shopify-topic'],
    [{ shopDomain: undefined }, 'x-shopify-shop-domain'],
  ])('throws MalformedPayload naming the missing header (%#)', (override, header) => {
    const error = malformed(() =>
      normalizeShopify(fixtureJson('shopify/orders-paid.json'), { ...ctx('orders/paid'), ...override }),
    );

    expect(error.code).toBe('missing_header');
    expect(error.message).toContain(header);
  });

  it.each([
    [(p: Json) => (p.line_items[0].quantity = -1), 'line_items.0.quantity'],
    [(p: Json) => (p.id = 'abc'), 'id'],
    [
      (p: Json) => {
        p.email = null;
        p.contact_email = null;
        p.customer.email = null;
      },
      'email',
    ],
  ])('throws MalformedPayload naming the field when it is invalid (%#)', (edit, field) => {
    const payload = fixtureJson<Json>('shopify/orders-paid.json');
    edit(payload);

    expect(
      malformed(() => normalizeShopify(payload, ctx('orders/paid'))).message.startsWith(`${field}:`),
    ).toBe(true);
  });
});

describe('normalizeWooCommerce', () => {
  const ctx = (topic = 'order.updated') => ({ catalog, topic, source: WOO_SOURCE });

  it('maps a processing order to a paid order keyed by the store host', () => {
    const event = eventOf(normalizeWooCommerce(fixtureJson('woocommerce/order-processing.json'), ctx()));

    expect(event).toEqual({
      kind: 'paid',
      provider: 'woocommerce',
      store: 'shop.example.org',
      orderId: '727',
      orderKey: 'woocommerce:shop.example.org:727',
      buyerKey: 'woocommerce:shop.example.org:42',
      buyer: {
        name: 'Katherine Johnson',
        firstName: 'Katherine',
        lastName: 'Johnson',
        email: 'katherine.johnson@example.com',
        phone: '+441174960002',
      },
      address: { street_one: '3 Test Lane', city: 'Bristol', zip: 'BS1 4ST', country_code: 'GB' },
      credit: { amount: 20000, currency: 'GBP' },
      sourceEventId: 'order.updated:727:processing:2026-01-02T09:31:00.000Z',
      occurredAt: '2026-01-02T09:31:00.000Z',
    });
  });

  it.each([
    ['pending', 'placed'],
    ['on-hold', 'placed'],
    ['processing', 'paid'],
    ['completed', 'paid'],
    ['failed', 'payment_failed'],
    ['cancelled', 'payment_failed'],
    ['refunded', 'refunded'],
  ])('maps status %s to %s', (status, kind) => {
    const payload = fixtureJson<Json>('woocommerce/order-pending.json');
    payload.status = status;

    expect(eventOf(normalizeWooCommerce(payload, ctx())).kind).toBe(kind);
  });

  it('keys a guest buyer (customer_id 0) by the lower-cased e-mail', () => {
    const payload = fixtureJson<Json>('woocommerce/order-pending.json');
    payload.customer_id = 0;
    payload.billing.email = 'Katherine.Johnson@Example.com';

    expect(eventOf(normalizeWooCommerce(payload, ctx('order.created'))).buyerKey).toBe(
      'woocommerce:shop.example.org:katherine.johnson@example.com',
    );
  });

  it('ignores statuses and topics it does not act on', () => {
    const payload = fixtureJson<Json>('woocommerce/order-pending.json');
    payload.status = 'checkout-draft';

    expect(normalizeWooCommerce(payload, ctx())).toEqual({
      outcome: 'ignored',
      topic: 'order.updated:checkout-draft',
    });
    expect(normalizeWooCommerce(payload, ctx('product.updated'))).toEqual({
      outcome: 'ignored',
      topic: 'product.updated',
    });
  });

  it('throws MalformedPayload naming the source header when it is not a URL', () => {
    const error = malformed(() =>
      normalizeWooCommerce(fixtureJson('woocommerce/order-pending.json'), { ...ctx(), source: 'not a url' }),
    );

    expect(error.message).toContain('x-wc-webhook-source');
  });

  it('throws MalformedPayload naming billing.email when it is missing', () => {
    const payload = fixtureJson<Json>('woocommerce/order-pending.json');
    payload.billing.email = '';

    expect(malformed(() => normalizeWooCommerce(payload, ctx())).message).toMatch(/^billing\.email:/);
  });
});
