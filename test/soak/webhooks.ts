/**
 * The soak's webhooks: each planned event as its store sends it, built from the providers' published samples and
 * the hand-written variants of `test/fixtures/webhooks` (README "Fixtures"), then signed per delivery with the
 * provider's signer and the secret local mode was given. What each builder changes in its sample is named
 * beside it; everything else stays as published.
 *
 * Every order buys credit as `SOAK-UNIT` × (1000 + its index) at 0.010 (a Stripe session says the same amount in
 * `metadata.yay_credit`, an invoice prices `price_soak_unit` the same way), so each amount is unique and a ledger
 * transfer names its order.
 */
import { formatCredit } from '../../shared/domain/credit';
import { orderKey } from '../../shared/domain/keys';
import {
  type Json,
  Samples,
  SHOP_DOMAIN,
  sampleJson,
  shopifyHeaders,
  stripeBody,
  stripeEvent,
  stripeHeaders,
  Variants,
  WOO_SOURCE,
  wooHeaders,
} from '../fixtures/webhooks';
import type { EventRole, PlannedBuyer, PlannedOrder, SoakPlan } from './plan';

/** The catalog local mode runs the soak with: one credit unit, sold by SKU and as a Stripe price. */
export const SOAK_CATALOG = {
  'SOAK-UNIT': { GBP: '0.010' },
  price_soak_unit: { GBP: '0.010' },
} as const;

export interface SoakWebhookSecrets {
  stripe: string;
  shopify: string;
  woocommerce: string;
}

/** One planned event, ready to be delivered any number of times. */
export interface SoakWebhook {
  path: string;
  body: string;
  /** Headers of one delivery attempt: Stripe signs with the attempt's time, WooCommerce numbers each delivery. */
  headers(attempt: number): Record<string, string>;
  /** The order key intake must answer with; absent where it keys by something else (a refund by PaymentIntent). */
  orderKey?: string;
}

const WOO_STORE = new URL(WOO_SOURCE).host;

/** The order key local mode records the order under. */
export function soakOrderKey(order: PlannedOrder): string {
  const store =
    order.provider === 'stripe' ? 'default' : order.provider === 'shopify' ? SHOP_DOMAIN : WOO_STORE;
  return orderKey(order.provider, store, order.orderId);
}

/** 2026-01-01 plus a minute per order: the events' own times (not the signature times). */
function eventTime(order: PlannedOrder, role: EventRole): Date {
  const offset: Record<EventRole, number> = { placed: 0, paid: 1, confirmed: 1, failed: 1, refunded: 2 };
  return new Date(Date.UTC(2026, 0, 1) + order.index * 60_000 + offset[role] * 1_000);
}

const quantityOf = (order: PlannedOrder) => 1_000 + order.index;
const fullName = (buyer: PlannedBuyer) => `${buyer.firstName} ${buyer.lastName}`;

/** The first role an order's script sends: WooCommerce announces it as `order.created`, the rest as updates. */
function firstRole(order: PlannedOrder): EventRole | undefined {
  for (const step of order.steps) if (step.do === 'send') return step.role;
  return undefined;
}

export function buildWebhook(
  plan: SoakPlan,
  order: PlannedOrder,
  role: EventRole,
  secrets: SoakWebhookSecrets,
): SoakWebhook {
  const buyer = plan.buyers[order.buyer] as PlannedBuyer;
  switch (order.provider) {
    case 'stripe':
      return stripeWebhook(order, buyer, role, secrets.stripe);
    case 'shopify':
      return shopifyWebhook(order, buyer, role, secrets.shopify);
    case 'woocommerce':
      return wooWebhook(order, buyer, role, secrets.woocommerce);
  }
}

/**
 * Stripe: the published Checkout Session as {@link Variants.paidSession} completes it, with this order's session
 * id, customer, PaymentIntent, buyer and credit, and `payment_status` by the role; the published basil renewal
 * invoice ({@link Variants.paidRenewalInvoice}) for subscriptions; the published charge refunded
 * ({@link Variants.refundedCharge}) naming the session in its metadata, or only its PaymentIntent.
 */
function stripeWebhook(
  order: PlannedOrder,
  buyer: PlannedBuyer,
  role: EventRole,
  secret: string,
): SoakWebhook {
  const created = Math.floor(eventTime(order, role).getTime() / 1000);
  const envelope = { id: `evt_${order.orderId}_${role}`, created };
  let event: Json;
  let key: string | undefined = soakOrderKey(order);
  if (order.path === 'subscription' || order.path === 'renewal') {
    const invoice = Variants.paidRenewalInvoice((i) => {
      i.id = order.orderId;
      i.customer = buyer.customerId;
      i.customer_name = fullName(buyer);
      i.customer_email = buyer.email;
      i.currency = 'gbp';
      i.billing_reason = order.path === 'subscription' ? 'subscription_create' : 'subscription_cycle';
      i.customer_address = { line1: '1 Soak Street', city: 'Leeds', postal_code: 'LS1 1AA', country: 'GB' };
      i.lines.data[0].pricing.price_details.price = 'price_soak_unit';
      i.lines.data[0].quantity = quantityOf(order);
    });
    event = stripeEvent('invoice.paid', invoice, envelope);
  } else if (role === 'refunded') {
    const charge = Variants.refundedCharge((c) => {
      c.id = `ch_${order.orderId.slice(3)}`;
      c.payment_intent = order.paymentIntent;
      c.customer = buyer.customerId;
      c.invoice = null;
      c.billing_details = { ...c.billing_details, name: fullName(buyer), email: buyer.email };
      c.metadata = order.refundBy === 'session' ? { checkout_session_id: order.orderId } : {};
    });
    event = stripeEvent('charge.refunded', charge, envelope);
    // Keyed by the PaymentIntent, intake cannot know the order; dispatch finds it through PaymentRefs.
    if (order.refundBy !== 'session') key = undefined;
  } else {
    const session = Variants.paidSession((s) => {
      s.id = order.orderId;
      s.customer = buyer.customerId;
      s.payment_intent = order.paymentIntent;
      s.customer_email = buyer.email;
      s.customer_details.name = fullName(buyer);
      s.customer_details.email = buyer.email;
      s.metadata = { yay_credit: formatCredit(order.amount) };
      s.payment_status = role === 'placed' || role === 'failed' ? 'unpaid' : 'paid';
    });
    const type =
      role === 'confirmed'
        ? 'checkout.session.async_payment_succeeded'
        : role === 'failed'
          ? 'checkout.session.async_payment_failed'
          : 'checkout.session.completed';
    event = stripeEvent(type, session, envelope);
  }
  const body = stripeBody(event);
  return {
    path: '/webhooks/stripe',
    body,
    // Stripe signs each attempt with the time it is sent (and refuses more than 300 s of skew).
    headers: () => ({
      'content-type': 'application/json',
      ...stripeHeaders(body, Math.floor(Date.now() / 1000), [secret]),
    }),
    ...(key ? { orderKey: key } : {}),
  };
}

/** Replaces every occurrence, and fails loudly when the sample no longer has what the edit expects. */
function edit(text: string, from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) throw new Error(`soak webhook edit: the sample has no ${String(from)}`);
  return typeof from === 'string'
    ? text.replaceAll(from, to)
    : text.replace(new RegExp(from.source, 'g'), to);
}

/**
 * Shopify: the published `orders/paid` order (the `orders/create` sample is the same bytes) as another order of
 * the shop ({@link Variants.shopifyOrder}: id, currency GBP), edited as raw text so the ids above 2^53 stay exact:
 * the buyer (customer id, the names of the billing and customer records, e-mails), the first line's SKU and
 * quantity (the credit line), `financial_status` pending or paid by the topic, and not cancelled (the sample is a
 * cancelled order). Refunds: the published `refunds/create` for this order, with its own refund id.
 */
function shopifyWebhook(
  order: PlannedOrder,
  buyer: PlannedBuyer,
  role: EventRole,
  secret: string,
): SoakWebhook {
  let body: string;
  let topic: string;
  if (role === 'refunded') {
    topic = 'refunds/create';
    body = Variants.shopifyOrder(Samples.shopify.refundsCreate, {
      orderId: order.orderId,
      sku: { from: 'SKU2006-001', to: 'SOAK-UNIT' },
      currency: 'GBP',
    });
    body = edit(body, '890088186047892319', `89008818604${String(order.index).padStart(8, '0')}`);
  } else {
    topic = role === 'placed' ? 'orders/create' : 'orders/paid';
    body = Variants.shopifyOrder(Samples.shopify.ordersPaid, { orderId: order.orderId, currency: 'GBP' });
    body = edit(
      body,
      /"quantity": 1,(\s*"requires_shipping": true,\s*"sales_line_item_group_id": null,\s*)"sku": "SKU2006-001"/,
      `"quantity": ${quantityOf(order)},$1"sku": "SOAK-UNIT"`,
    );
    body = edit(body, '115310627314723954', buyer.customerId);
    body = edit(body, '"Steve Shipper"', `"${fullName(buyer)}"`);
    body = edit(body, '"John Smith"', `"${fullName(buyer)}"`);
    body = edit(body, '"Steve"', `"${buyer.firstName}"`);
    body = edit(body, '"Shipper"', `"${buyer.lastName}"`);
    body = edit(body, '"John"', `"${buyer.firstName}"`);
    body = edit(body, '"Smith"', `"${buyer.lastName}"`);
    body = edit(body, 'jon@example.com', buyer.email);
    body = edit(body, 'john@example.com', buyer.email);
    body = edit(
      body,
      '"financial_status": "voided"',
      `"financial_status": "${role === 'placed' ? 'pending' : 'paid'}"`,
    );
    body = edit(body, '"cancel_reason": "customer"', '"cancel_reason": null');
    body = edit(body, '"cancelled_at": "2021-12-31T19:00:00-05:00"', '"cancelled_at": null');
  }
  // One id per event, the same on every retry of it, as Shopify sends them.
  const eventId = `5a0c0000-0000-4000-8000-${String(order.index).padStart(8, '0')}${['placed', 'paid', 'confirmed', 'failed', 'refunded'].indexOf(role)}000`;
  return {
    path: '/webhooks/shopify',
    body,
    headers: () => ({
      'content-type': 'application/json',
      ...shopifyHeaders(body, topic, secret),
      'X-Shopify-Webhook-Id': eventId,
      'X-Shopify-Event-Id': eventId,
      'X-Shopify-Triggered-At': eventTime(order, role).toISOString(),
    }),
    orderKey: soakOrderKey(order),
  };
}

/**
 * WooCommerce: the published "Create an order" response (order 727) for ordinary orders, the WooCommerce
 * Subscriptions parent order (1274) for a subscription and the published renewal ({@link Variants.paidWooRenewal})
 * for renewals, each with this order's id, the buyer's customer id, names and e-mail, GBP, the credit line's SKU and
 * quantity, its times, and the status of the role: pending (placed), processing (paid, confirmed), failed, or a
 * refund — status refunded (full) or processing with a `refunds` entry shaped as the published order 723's
 * (partial).
 */
function wooWebhook(order: PlannedOrder, buyer: PlannedBuyer, role: EventRole, secret: string): SoakWebhook {
  let sample: Json;
  let creditLine: number;
  if (order.path === 'subscription') {
    sample = (sampleJson<Json[]>(Samples.woocommerce.subscriptionOrders).find(
      (o) => o.order_type === 'parent_order',
    ) ?? {}) as Json;
    creditLine = 0;
  } else if (order.path === 'renewal') {
    sample = Variants.paidWooRenewal('SOAK-UNIT', 'GBP');
    creditLine = 0;
  } else {
    sample = sampleJson(Samples.woocommerce.order);
    creditLine = sample.line_items.findIndex((line: Json) => line.sku === 'Bar3');
  }
  const status =
    role === 'placed'
      ? 'pending'
      : role === 'failed'
        ? 'failed'
        : role === 'refunded' && order.refundBy === 'full'
          ? 'refunded'
          : 'processing';
  const created = eventTime(order, 'placed');
  const modified = eventTime(order, role);
  const gmt = (date: Date) => date.toISOString().slice(0, 19);
  Object.assign(sample, {
    id: Number(order.orderId),
    customer_id: Number(buyer.customerId),
    status,
    currency: 'GBP',
    date_created_gmt: gmt(created),
    date_modified_gmt: gmt(modified),
    refunds:
      role === 'refunded' && order.refundBy === 'partial'
        ? [{ id: 20_000 + order.index, reason: '', total: '-1.00' }]
        : [],
  });
  sample.billing = {
    ...sample.billing,
    first_name: buyer.firstName,
    last_name: buyer.lastName,
    email: buyer.email,
  };
  sample.shipping = { ...sample.shipping, first_name: buyer.firstName, last_name: buyer.lastName };
  const line = sample.line_items[creditLine] as Json;
  line.sku = 'SOAK-UNIT';
  line.quantity = quantityOf(order);
  const body = JSON.stringify(sample);
  const topic = role === firstRole(order) ? 'order.created' : 'order.updated';
  return {
    path: '/webhooks/woocommerce',
    body,
    // WooCommerce gives every delivery its own id, retries included.
    headers: (attempt) => ({
      'content-type': 'application/json',
      ...wooHeaders(body, topic, secret),
      'X-WC-Webhook-Delivery-ID': `soak-${order.index}-${role}-${attempt}`,
    }),
    orderKey: soakOrderKey(order),
  };
}
