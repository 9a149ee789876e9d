import { describe, expect, it } from 'vitest';
import { OrderEventSchema } from '../../../shared/domain/order-event';
import { parseCreditCatalog } from '../../../shared/webhooks/catalog';
import { parseJsonExactIntegers } from '../../../shared/webhooks/json';
import { MalformedPayload } from '../../../shared/webhooks/payload';
import { normalizeShopify, type ShopifyContext } from '../../../shared/webhooks/shopify';
import { normalizeStripe } from '../../../shared/webhooks/stripe';
import { normalizeWooCommerce } from '../../../shared/webhooks/woocommerce';
import {
  type Json,
  published,
  Samples,
  SESSION_ID,
  SHOP_DOMAIN,
  sampleJson,
  stripeEvent,
  stripeObject,
  TEST_CATALOG_JSON,
  Variants,
  WOO_SOURCE,
} from '../../fixtures/webhooks';

const catalog = parseCreditCatalog(TEST_CATALOG_JSON);

function eventOf(result: ReturnType<typeof normalizeStripe>) {
  if (result.outcome !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
  // Every event a normalizer emits is one the published contract accepts.
  expect(OrderEventSchema.safeParse(result.event).success).toBe(true);
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
  const stripe = (payload: unknown) => normalizeStripe(payload, { catalog });

  it("accepts Stripe's published Checkout Session as a placed order, though it has no name, address or currency", () => {
    const session = stripeObject(Samples.stripe.session);

    const event = eventOf(stripe(stripeEvent('checkout.session.completed', session)));

    expect(event).toEqual({
      kind: 'placed',
      provider: 'stripe',
      store: 'default',
      orderId: session.id,
      orderKey: `stripe:default:${session.id}`,
      buyerKey: 'stripe:default:example@example.com',
      // The only name in the sample is its shipping recipient's, "name".
      buyer: { name: 'name', firstName: 'name', lastName: 'name', email: 'example@example.com' },
      credit: {
        amount: null,
        currency: 'XXX',
        unpricedReason: 'no metadata.yay_credit or metadata.sku on the payment',
      },
      // amount_total is null in Stripe's synthetic sample: the order's money is not known, and no fact is stated
      // (an unpaid session pays nothing yet).
      money: { total: null, currency: 'XXX', singleCreditLine: true },
      paymentRef: 'pi_1PgafyB7WZ01zgkWSjxsAJo3',
      sourceEventId: 'evt_1Pgc76B7WZ01zgkWwyRHS12y',
      occurredAt: '2009-02-13T23:31:30.000Z',
    });
  });

  it('maps a paid session to a paid order with buyer, address, credit and its payment intent', () => {
    const event = eventOf(stripe(Variants.paidSessionEvent()));

    expect(event).toMatchObject({
      kind: 'paid',
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
      paymentRef: 'pi_1PgafyB7WZ01zgkWSjxsAJo3',
      occurredAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('falls back to the collected shipping address when the billing address is only country and postcode', () => {
    const session = Variants.paidSession((s) => {
      s.customer_details.address = { country: 'GB', postal_code: 'EC1A 1BB' };
      s.collected_information.shipping_details = {
        name: 'Ada Lovelace',
        address: { line1: '2 Other Road', city: 'Leeds', postal_code: 'LS1 1AA', country: 'GB' },
      };
    });

    expect(eventOf(stripe(stripeEvent('checkout.session.completed', session))).address).toEqual({
      street_one: '2 Other Road',
      city: 'Leeds',
      zip: 'LS1 1AA',
      country_code: 'GB',
    });
  });

  it('keeps a partial address when no place has a complete one, so a person supplies only the rest', () => {
    const session = Variants.paidSession((s) => {
      s.customer_details.address = { country: 'GB', postal_code: 'EC1A 1BB' };
    });

    expect(eventOf(stripe(stripeEvent('checkout.session.completed', session))).address).toEqual({
      zip: 'EC1A 1BB',
      country_code: 'GB',
    });
  });

  it('prices from metadata.sku through the catalog', () => {
    const session = Variants.paidSession((s) => {
      s.metadata = { sku: 'VOIP-10' };
      s.currency = 'eur';
    });

    expect(eventOf(stripe(stripeEvent('checkout.session.completed', session))).credit).toEqual({
      amount: 9500,
      currency: 'EUR',
    });
  });

  it('accepts a bad metadata.yay_credit as an unpriced order naming the field, not as a broken delivery', () => {
    const session = Variants.paidSession((s) => {
      s.metadata = { yay_credit: 'ten pounds' };
    });

    expect(eventOf(stripe(stripeEvent('checkout.session.completed', session))).credit).toEqual({
      amount: null,
      currency: 'GBP',
      unpricedReason: 'metadata.yay_credit: credit amount "ten pounds" is not a decimal number',
    });
  });

  it('accepts a session whose e-mail is not an address: the buyer is recorded as sent, for a person to fix', () => {
    const session = Variants.paidSession((s) => {
      s.customer_details.email = 'not-an-email';
    });

    expect(eventOf(stripe(stripeEvent('checkout.session.completed', session))).buyer?.email).toBe(
      'not-an-email',
    );
  });

  it('maps the asynchronous payment events of a session to payment_confirmed and payment_failed', () => {
    const session = Variants.paidSession();

    expect(eventOf(stripe(stripeEvent('checkout.session.async_payment_succeeded', session))).kind).toBe(
      'payment_confirmed',
    );
    expect(eventOf(stripe(stripeEvent('checkout.session.async_payment_failed', session))).kind).toBe(
      'payment_failed',
    );
  });

  it("ignores a subscription's session: its first invoice (invoice.paid) is the order", () => {
    const session = Variants.paidSession((s) => {
      s.mode = 'subscription';
      s.payment_intent = null;
    });

    expect(stripe(stripeEvent('checkout.session.completed', session))).toEqual({
      outcome: 'ignored',
      topic: 'checkout.session.completed:subscription',
    });
  });

  it('uses the Connect account as the store when the event carries one', () => {
    const event = stripeEvent('checkout.session.completed', Variants.paidSession(), {
      account: 'acct_1Fixture',
    });

    expect(eventOf(stripe(event)).orderKey).toBe(`stripe:acct_1Fixture:${Variants.paidSession().id}`);
  });

  describe('charge.refunded', () => {
    it('keys a refund by the session id the store copied into the metadata, with its payment intent', () => {
      const event = eventOf(stripe(stripeEvent('charge.refunded', Variants.refundedCharge())));

      expect(event).toMatchObject({
        kind: 'refunded',
        orderKey: `stripe:default:${SESSION_ID}`,
        paymentRef: 'pi_3Qfixture0001',
        credit: { amount: 10000, currency: 'GBP' },
      });
    });

    it('keys a refund by its payment intent when nothing else names the order, for dispatch to resolve', () => {
      // pay-rails' capture of a partial refund: no metadata, no invoice, a payment intent.
      const charge = stripeObject(Samples.stripe.chargeRefunded);

      const event = eventOf(stripe(stripeEvent('charge.refunded', charge)));

      expect(event).toMatchObject({
        kind: 'refunded',
        orderId: 'pm_1234',
        orderKey: 'stripe:default:pm_1234',
        paymentRef: 'pm_1234',
        buyerKey: 'stripe:default:cus_0dUMWLtzCTagWs',
      });
    });

    it('keys the published charge, which names no payment intent, by the charge itself', () => {
      const charge = stripeObject(Samples.stripe.charge);

      const event = eventOf(stripe(stripeEvent('charge.refunded', charge)));

      expect(event).toMatchObject({
        orderKey: `stripe:default:${charge.id}`,
        buyer: { name: 'Jenny Rosen' },
      });
      expect(event.paymentRef).toBeUndefined();
    });

    it('keys a refund by the invoice it paid when the API version still names it on the charge', () => {
      const charge = Variants.refundedCharge((c) => {
        c.metadata = {};
        c.invoice = 'in_1PreviousShape';
      });

      expect(eventOf(stripe(stripeEvent('charge.refunded', charge))).orderKey).toBe(
        'stripe:default:in_1PreviousShape',
      );
    });
  });

  describe('invoice.paid', () => {
    it('maps a renewal in the current API shape to a paid top-up keyed by the invoice, priced by its price id', () => {
      const invoice = Variants.paidRenewalInvoice();

      const event = eventOf(stripe(stripeEvent('invoice.paid', invoice)));

      expect(event).toEqual({
        kind: 'paid',
        provider: 'stripe',
        store: 'default',
        orderId: 'in_1234',
        orderKey: 'stripe:default:in_1234',
        buyerKey: 'stripe:default:cus_1234',
        buyer: {
          name: 'Example Customer',
          firstName: 'Example',
          lastName: 'Customer',
          email: 'customer@example.org',
        },
        address: { zip: '94587', country_code: 'US' },
        credit: { amount: 20000, currency: 'USD' },
        money: { total: 24900, currency: 'USD', singleCreditLine: true },
        // The invoice's one payment, under the invoice's id (invoice_payment.paid names the same one).
        facts: [
          { type: 'payment', id: 'in_1234', amount: 24900, currency: 'USD', at: '2009-02-13T23:31:30.000Z' },
        ],
        sourceEventId: 'evt_1Pgc76B7WZ01zgkWwyRHS12y',
        occurredAt: '2009-02-13T23:31:30.000Z',
      });
    });

    it('prices the previous API shape by the line price object (quantity × price) and records its payment intent', () => {
      // pay-rails' April 2025 capture carries the previous shape; its billing reason is `manual`, so this
      // hand-written variant makes it a subscription's first invoice.
      const invoice = stripeObject(Samples.stripe.invoicePreviousShape);
      invoice.billing_reason = 'subscription_create';

      const event = eventOf(stripe(stripeEvent('invoice.paid', invoice)));

      expect(event).toMatchObject({
        orderKey: 'stripe:default:in_1RFFohKXBGcbgpbZk9MxzDMc',
        buyerKey: 'stripe:default:cus_S9YwWMaQEgeJYO',
        // Two lines of that price, quantities 6 and 3, at 5.000 each.
        credit: { amount: 45000, currency: 'USD' },
        paymentRef: 'pi_3RFFrjKXBGcbgpbZ0mAQxeI1',
      });
    });

    it("prices a line by its price's lookup key before its id", () => {
      // No published invoice has a lookup key (SOURCES.md): a hand-written variant of the previous shape.
      const invoice = stripeObject(Samples.stripe.invoicePreviousShape);
      invoice.billing_reason = 'subscription_cycle';
      for (const line of invoice.lines.data) {
        line.price.lookup_key = 'VOIP-10';
        delete line.pricing;
      }
      invoice.currency = 'gbp';

      // 6 + 3 units at 10.000 (VOIP-10 by its lookup key), not by the price id.
      expect(eventOf(stripe(stripeEvent('invoice.paid', invoice))).credit).toEqual({
        amount: 90000,
        currency: 'GBP',
      });
    });

    it('ignores invoices that are not a subscription payment, as Stripe publishes them (billing_reason manual)', () => {
      expect(stripe(stripeEvent('invoice.paid', stripeObject(Samples.stripe.invoice)))).toEqual({
        outcome: 'ignored',
        topic: 'invoice.paid:manual',
      });
    });

    it('accepts an invoice whose lines the catalog does not price, with the reason', () => {
      const invoice = Variants.paidRenewalInvoice((i) => {
        i.lines.data[0].pricing.price_details.price = 'price_unknown';
      });

      expect(eventOf(stripe(stripeEvent('invoice.paid', invoice))).credit).toMatchObject({
        amount: null,
        unpricedReason: expect.stringContaining('price lookup key or price id'),
      });
    });
  });

  it('acknowledges a signed event of a type it does not act on, whatever its shape', () => {
    expect(stripe(sampleJson(Samples.stripe.event))).toEqual({ outcome: 'ignored', topic: 'plan.created' });
    expect(stripe({ type: 'customer.created' })).toEqual({ outcome: 'ignored', topic: 'customer.created' });
  });

  it.each([
    [(p: Json) => delete p.data.object.id, 'data.object.id'],
    [(p: Json) => (p.created = 'yesterday'), 'created'],
    [(p: Json) => delete p.data, 'data'],
    [(p: Json) => delete p.type, 'type'],
  ])('refuses a handled event missing what keys it, naming the field (%#)', (edit, field) => {
    const payload = Variants.paidSessionEvent();
    edit(payload);

    expect(malformed(() => stripe(payload)).message.startsWith(`${field}:`)).toBe(true);
  });
});

describe('normalizeShopify', () => {
  const ctx = (topic: string, shopDomain = SHOP_DOMAIN): ShopifyContext => ({
    catalog,
    topic,
    shopDomain,
    eventId: '59d6d79c-595f-4e7e-bc6f-72f5c3d0c66f',
    triggeredAt: '2025-07-10T16:15:47.000000Z',
  });
  const shopify = (text: string, topic: string) => normalizeShopify(parseJsonExactIntegers(text), ctx(topic));

  it("maps Shopify's published orders/create sample exactly: ids above 2^53 intact, billing buyer and address", () => {
    const event = eventOf(shopify(published(Samples.shopify.ordersCreate), 'orders/create'));

    expect(event).toEqual({
      // The sample's financial_status is "voided": not paid yet.
      kind: 'placed',
      provider: 'shopify',
      store: SHOP_DOMAIN,
      orderId: '820982911946154508',
      orderKey: `shopify:${SHOP_DOMAIN}:820982911946154508`,
      buyerKey: `shopify:${SHOP_DOMAIN}:115310627314723954`,
      buyer: {
        name: 'Steve Shipper',
        firstName: 'Steve',
        lastName: 'Shipper',
        email: 'jon@example.com',
        phone: '555-555-SHIP',
      },
      address: {
        street_one: '123 Shipping Street',
        city: 'Shippington',
        state: 'KY',
        zip: '40003',
        country_code: 'US',
      },
      // Five lines, one of them a credit SKU of the test catalog.
      credit: { amount: 8000, currency: 'USD' },
      // total_price_set.presentment_money "404.95"; five lines and shipping: not one credit line.
      money: { total: 40495, currency: 'USD', singleCreditLine: false },
      sourceEventId: '59d6d79c-595f-4e7e-bc6f-72f5c3d0c66f',
      occurredAt: '2025-07-10T16:15:47.000000Z',
    });
  });

  it('maps the published orders/paid sample to a paid order on the same order key, its total the payment', () => {
    const event = eventOf(shopify(published(Samples.shopify.ordersPaid), 'orders/paid'));

    expect(event).toMatchObject({
      kind: 'paid',
      orderKey: `shopify:${SHOP_DOMAIN}:820982911946154508`,
      facts: [
        {
          type: 'payment',
          id: 'order:820982911946154508',
          amount: 40495,
          currency: 'USD',
          at: '2025-07-10T16:15:47.000000Z',
        },
      ],
    });
  });

  it('gives two orders whose ids differ only past 2^53 different order keys', () => {
    const text = published(Samples.shopify.ordersCreate);
    const next = text
      .replace('"id": 820982911946154508,', '"id": 820982911946154509,')
      .replace('"gid://shopify/Order/820982911946154508"', '"gid://shopify/Order/820982911946154509"');
    // What JSON.parse alone would do: both ids round to the same double.
    expect(JSON.parse(next).id).toBe(JSON.parse(text).id);

    const first = eventOf(shopify(text, 'orders/create'));
    const second = eventOf(shopify(next, 'orders/create'));

    expect(first.orderKey).toBe(`shopify:${SHOP_DOMAIN}:820982911946154508`);
    expect(second.orderKey).toBe(`shopify:${SHOP_DOMAIN}:820982911946154509`);
  });

  it("maps a real 'Send test notification' body, whose lines have no SKU, to an unpriced order", () => {
    const event = eventOf(shopify(published(Samples.shopify.testNotification), 'orders/create'));

    expect(event).toMatchObject({
      orderId: '820982911946154508',
      buyerKey: `shopify:${SHOP_DOMAIN}:115310627314723954`,
      credit: { amount: null, unpricedReason: expect.stringContaining('no line item') },
    });
  });

  it('maps the published refunds/create sample to a refund of the exact order, priced by its refunded lines', () => {
    const event = eventOf(shopify(published(Samples.shopify.refundsCreate), 'refunds/create'));

    expect(event).toEqual({
      kind: 'refunded',
      provider: 'shopify',
      store: SHOP_DOMAIN,
      orderId: '820982911946154508',
      orderKey: `shopify:${SHOP_DOMAIN}:820982911946154508`,
      credit: { amount: 8000, currency: 'USD' },
      // Its two successful refund transactions, "75.00" and "10.00" (currency null: the lines' USD); it names
      // its lines, one of which (SKU2006-001) is a credit line of the test catalog.
      facts: [
        {
          type: 'refund',
          id: '890088186047892319',
          amount: 8500,
          currency: 'USD',
          at: '2025-07-10T16:15:47.000000Z',
          namedCredit: 8000,
        },
      ],
      sourceEventId: '59d6d79c-595f-4e7e-bc6f-72f5c3d0c66f',
      occurredAt: '2025-07-10T16:15:47.000000Z',
    });
  });

  it('keys an order by its GraphQL id when the numeric one arrives rounded (a native EventBridge delivery)', () => {
    // The Lambda runtime JSON.parses an EventBridge event: the numeric ids are rounded before intake sees them.
    const rounded = JSON.parse(published(Samples.shopify.ordersPaid));

    const event = eventOf(normalizeShopify(rounded, ctx('orders/paid')));

    expect(event.orderKey).toBe(`shopify:${SHOP_DOMAIN}:820982911946154508`);
    expect(event.buyerKey).toBe(`shopify:${SHOP_DOMAIN}:115310627314723954`);
  });

  it('refuses a rounded numeric id that has no GraphQL twin rather than key the order wrongly', () => {
    const rounded = JSON.parse(published(Samples.shopify.ordersPaid));
    delete rounded.admin_graphql_api_id;

    expect(malformed(() => normalizeShopify(rounded, ctx('orders/paid'))).message).toMatch(/^id: /);
  });

  it('splits a whole name put into the last-name field (hand-written variant: first name empty)', () => {
    const text = published(Samples.shopify.ordersCreate)
      .replaceAll('"first_name": "Steve"', '"first_name": ""')
      .replaceAll('"last_name": "Shipper"', '"last_name": "Steve Shipper"');

    expect(eventOf(shopify(text, 'orders/create')).buyer).toMatchObject({
      firstName: 'Steve',
      lastName: 'Shipper',
    });
  });

  it('takes the shipping address when the billing address has no street (hand-written variant)', () => {
    const sample = published(Samples.shopify.ordersCreate);
    const billingStart = sample.indexOf('"billing_address"');
    const text =
      sample.slice(0, billingStart) +
      sample.slice(billingStart).replace('"address1": "123 Shipping Street"', '"address1": null');

    expect(eventOf(shopify(text, 'orders/create')).address?.street_one).toBe('123 Shipping Street');
  });

  it('accepts an order with no e-mail anywhere, keyed by its customer, for a person to complete', () => {
    const text = published(Samples.shopify.ordersCreate)
      .replaceAll('"email": "jon@example.com"', '"email": null')
      .replaceAll('"contact_email": "jon@example.com"', '"contact_email": null')
      .replaceAll('"email": "john@example.com"', '"email": null');

    const event = eventOf(shopify(text, 'orders/create'));

    expect(event.buyer?.email).toBeUndefined();
    expect(event.buyerKey).toBe(`shopify:${SHOP_DOMAIN}:115310627314723954`);
  });

  it('acknowledges topics it does not act on, whatever the body', () => {
    expect(normalizeShopify({}, ctx('products/update'))).toEqual({
      outcome: 'ignored',
      topic: 'products/update',
    });
    expect(normalizeShopify('not even an object', ctx('orders/cancelled'))).toEqual({
      outcome: 'ignored',
      topic: 'orders/cancelled',
    });
  });

  it.each([
    [{ topic: undefined }, 'x-shopify-topic'],
    [{ shopDomain: undefined }, 'x-shopify-shop-domain'],
  ])('refuses a delivery without its headers, naming the header (%#)', (overrides, header) => {
    const payload = parseJsonExactIntegers(published(Samples.shopify.ordersPaid));
    expect(
      malformed(() => normalizeShopify(payload, { ...ctx('orders/paid'), ...overrides })).message.startsWith(
        `${header}:`,
      ),
    ).toBe(true);
  });
});

describe('normalizeWooCommerce', () => {
  const ctx = (topic = 'order.updated') => ({ catalog, topic, source: WOO_SOURCE });
  const woo = (payload: unknown, topic?: string) => normalizeWooCommerce(payload, ctx(topic));

  it('maps the published wc/v3 order (processing, a guest) to a paid order keyed by the store host', () => {
    const event = eventOf(woo(sampleJson(Samples.woocommerce.order), 'order.created'));

    expect(event).toEqual({
      kind: 'paid',
      provider: 'woocommerce',
      store: 'shop.example.org',
      orderId: '727',
      orderKey: 'woocommerce:shop.example.org:727',
      // customer_id 0: a guest, keyed by the e-mail.
      buyerKey: 'woocommerce:shop.example.org:john.doe@example.com',
      buyer: {
        name: 'John Doe',
        firstName: 'John',
        lastName: 'Doe',
        email: 'john.doe@example.com',
        phone: '(555) 555-5555',
      },
      address: {
        street_one: '969 Market',
        city: 'San Francisco',
        state: 'CA',
        zip: '94103',
        country_code: 'US',
      },
      credit: { amount: 3000, currency: 'USD' },
      // total "29.35" with 10.00 shipping and two lines: not one credit line.
      money: { total: 2935, currency: 'USD', singleCreditLine: false },
      facts: [
        { type: 'payment', id: 'order:727', amount: 2935, currency: 'USD', at: '2017-03-22T19:28:08.000Z' },
      ],
      sourceEventId: 'order.created:727:processing:2017-03-22T19:28:08.000Z',
      occurredAt: '2017-03-22T19:28:08.000Z',
    });
  });

  it('maps a completed order to paid and keys a registered buyer by customer id', () => {
    const [, registered] = sampleJson<Json[]>(Samples.woocommerce.orders);
    delete (registered as Json).refunds;

    expect(eventOf(woo(sampleJson(Samples.woocommerce.orderCompleted))).kind).toBe('paid');
    expect(eventOf(woo(registered))).toMatchObject({
      kind: 'paid',
      orderKey: 'woocommerce:shop.example.org:723',
      buyerKey: 'woocommerce:shop.example.org:26',
      buyer: { firstName: 'João', lastName: 'Silva' },
    });
  });

  it('maps a paid order carrying partial refunds (the published order 723) to a refund of that order', () => {
    // WooCommerce has no refund topic: a partial refund arrives as an order.updated of the still-completed order.
    const [, refunded] = sampleJson<Json[]>(Samples.woocommerce.orders);

    expect(eventOf(woo(refunded))).toMatchObject({
      kind: 'refunded',
      orderKey: 'woocommerce:shop.example.org:723',
      // The order's payment (total "39.00") and each refund so far by its id, "-10.00" and "-9.00" given back.
      facts: [
        { type: 'payment', id: 'order:723', amount: 3900, currency: 'USD' },
        { type: 'refund', id: '726', amount: 1000, currency: 'USD' },
        { type: 'refund', id: '724', amount: 900, currency: 'USD' },
      ],
    });
  });

  it('keys a subscription renewal by the same customer as its parent order, so it tops up the same Yay customer', () => {
    const [parent, renewal] = sampleJson<Json[]>(Samples.woocommerce.subscriptionOrders);

    const parentEvent = eventOf(woo(parent, 'order.created'));
    const renewalEvent = eventOf(woo(renewal, 'order.created'));

    expect(renewal?.order_type).toBe('renewal_order');
    expect(renewalEvent.buyerKey).toBe('woocommerce:shop.example.org:1');
    expect(renewalEvent.buyerKey).toBe(parentEvent.buyerKey);
    expect(renewalEvent.orderKey).not.toBe(parentEvent.orderKey);
    // The published renewal is still pending: placed, waiting for its payment.
    expect(renewalEvent.kind).toBe('placed');
  });

  it.each([
    ['pending', 'placed'],
    ['on-hold', 'placed'],
    ['failed', 'payment_failed'],
    ['cancelled', 'payment_failed'],
    ['refunded', 'refunded'],
  ])('maps status %s to %s', (status, kind) => {
    const order = sampleJson(Samples.woocommerce.order);
    order.status = status;

    expect(eventOf(woo(order)).kind).toBe(kind);
  });

  it('takes the shipping name when the billing name is empty (hand-written variant)', () => {
    const order = sampleJson(Samples.woocommerce.order);
    order.billing.first_name = '';
    order.billing.last_name = '';
    order.shipping.first_name = 'Jane';
    order.shipping.last_name = 'Roe';

    expect(eventOf(woo(order)).buyer).toMatchObject({ firstName: 'Jane', lastName: 'Roe' });
  });

  it('accepts a guest order without an e-mail, with no buyer key, for a person to complete', () => {
    const order = sampleJson(Samples.woocommerce.order);
    order.billing.email = '';

    const event = eventOf(woo(order));

    expect(event.buyer?.email).toBeUndefined();
    expect(event.buyerKey).toBeUndefined();
  });

  it('acknowledges statuses and topics it does not act on, whatever the rest of the body holds', () => {
    expect(woo({ status: 'checkout-draft', id: 'not a number' })).toEqual({
      outcome: 'ignored',
      topic: 'order.updated:checkout-draft',
    });
    expect(woo({}, 'product.updated')).toEqual({ outcome: 'ignored', topic: 'product.updated' });
  });

  it('refuses a delivery whose source header is not a URL, naming it', () => {
    expect(
      malformed(() =>
        normalizeWooCommerce(sampleJson(Samples.woocommerce.order), { ...ctx(), source: 'not a url' }),
      ).message,
    ).toMatch(/^x-wc-webhook-source: /);
  });
});

describe('money facts, from the providers’ published samples', () => {
  const stripe = (payload: unknown) => normalizeStripe(payload, { catalog });
  const shopifyCtx = (topic: string): ShopifyContext => ({
    catalog,
    topic,
    shopDomain: SHOP_DOMAIN,
    eventId: undefined,
    triggeredAt: '2025-07-10T16:15:47.000000Z',
  });
  const shopify = (text: string, topic: string) =>
    normalizeShopify(parseJsonExactIntegers(text), shopifyCtx(topic));

  it("reads a Stripe partial refund as the charge's running refund total, not a refund of the order", () => {
    // pay-rails' capture: amount_refunded 500 of 1500, refunded false.
    const event = eventOf(
      stripe(stripeEvent('charge.refunded', stripeObject(Samples.stripe.chargeRefunded))),
    );

    expect(event.facts).toEqual([
      {
        type: 'refund',
        id: 'ch_chargeid@500',
        runningTotalOf: 'ch_chargeid',
        amount: 500,
        currency: 'USD',
        at: event.occurredAt,
      },
    ]);
  });

  it('reads a Stripe dispute (a whole published event) as a dispute fact keyed by its PaymentIntent', () => {
    const event = eventOf(stripe(sampleJson(Samples.stripe.disputeCreated)));

    expect(event).toMatchObject({
      kind: 'disputed',
      orderKey: 'stripe:default:pi_3RWXidQ8iJWBZFaM0hwfe7LL',
      paymentRef: 'pi_3RWXidQ8iJWBZFaM0hwfe7LL',
      facts: [
        {
          type: 'dispute',
          id: 'dp_1RWXieQ8iJWBZFaM572opwWo',
          amount: 100,
          currency: 'USD',
          status: 'needs_response',
        },
      ],
    });
  });

  it("reads a subscription's free first invoice (a whole published event) as a payment of 0", () => {
    const event = eventOf(stripe(sampleJson(Samples.stripe.freeInvoicePaid)));

    expect(event).toMatchObject({
      kind: 'paid',
      orderKey: 'stripe:default:in_1IybXCJDPojXS6LNsTXT2XTE',
      money: { total: 0, currency: 'USD' },
      facts: [{ type: 'payment', id: 'in_1IybXCJDPojXS6LNsTXT2XTE', amount: 0, currency: 'USD' }],
    });
  });

  it('reads invoice_payment.paid (a whole published event) as the invoice’s payment, naming its PaymentIntent', () => {
    const event = eventOf(stripe(sampleJson(Samples.stripe.invoicePaymentPaid)));

    expect(event).toMatchObject({
      kind: 'payment_confirmed',
      orderKey: 'stripe:default:in_103Q0w2eZvKYlo2C5PYwf6Wf',
      paymentRef: 'pi_103Q0w2eZvKYlo2C364X582Z',
      facts: [{ type: 'payment', id: 'in_103Q0w2eZvKYlo2C5PYwf6Wf', amount: 2000, currency: 'USD' }],
    });
  });

  it('reads the published Shopify dispute exactly: ids above 2^53 intact, the amount in minor units', () => {
    const event = eventOf(shopify(published(Samples.shopify.disputesCreate), 'disputes/create'));

    expect(event).toMatchObject({
      kind: 'disputed',
      orderKey: `shopify:${SHOP_DOMAIN}:820982911946154508`,
      facts: [
        {
          type: 'dispute',
          id: '285332461850802063',
          amount: 1150,
          currency: 'CAD',
          status: 'under_review',
        },
      ],
    });
  });

  it('reads a Shopify refund of the shipping line only as naming no credit (hand-written variant)', () => {
    // The published refund with its lines removed and its shipping refunded instead, as Shopify's refund_shipping_lines
    // carries it from 2024-07; no published sample refunds shipping alone.
    const refund = JSON.parse(
      published(Samples.shopify.refundsCreate).replace(/"id": (\d{16,})/g, '"id": "$1"'),
    );
    refund.order_id = '820982911946154508';
    refund.refund_line_items = [];
    refund.refund_shipping_lines = [{ id: '1', shipping_line_id: '271878346596884015' }];
    refund.transactions = [{ kind: 'refund', status: 'success', amount: '10.00', currency: 'USD' }];

    const event = eventOf(normalizeShopify(refund, shopifyCtx('refunds/create')));

    expect(event.facts).toMatchObject([{ type: 'refund', amount: 1000, currency: 'USD', namedCredit: 0 }]);
  });

  it('gives a WooCommerce order marked refunded the rest of its total as one refund when its list falls short', () => {
    // The published order 723 (39.00, refunds of 10.00 and 9.00) marked refunded: no published order is.
    const order = sampleJson<Json[]>(Samples.woocommerce.orders)[1] as Json;
    order.status = 'refunded';

    const event = eventOf(
      normalizeWooCommerce(order, { catalog, topic: 'order.updated', source: WOO_SOURCE }),
    );

    expect(event.facts?.map((fact) => `${fact.type} ${fact.id} ${fact.amount}`)).toEqual([
      'payment order:723 3900',
      'refund 726 1000',
      'refund 724 900',
      'refund order:723:refunded 2000',
    ]);
  });
});
