/**
 * The soak's webhooks: each planned event as its store sends it, built from the providers' published samples and
 * the hand-written variants of `test/fixtures/webhooks` (README "Fixtures"), then signed per delivery with the
 * provider's signer and the secret local mode was given. What each builder changes in its sample is named
 * beside it; everything else stays as published.
 *
 * Every order buys credit as `SOAK-UNIT` × (1000 + its index) at 0.010 (a Stripe session says the same amount in
 * `metadata.yay_credit`, an invoice prices `price_soak_unit` the same way), so each amount is unique and a ledger
 * transfer names its order. The money agrees with the credit: the credit line costs a penny a unit, and every amount
 * an event states — a session's `amount_total`, an invoice's `amount_paid`, a charge's `amount_refunded`, a Shopify
 * order's totals and refund transactions, a WooCommerce `total` and `refunds[].total`, a dispute's amount — is the
 * order's own (`PlannedOrder.paid`, `PlannedOrder.refund`).
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
} from '../../test/fixtures/webhooks';
import {
  type EventRole,
  type PlannedBuyer,
  type PlannedOrder,
  SHOPIFY_OTHER_LINE,
  type SoakPlan,
} from './plan';

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

const ROLE_OFFSET: Record<EventRole, number> = {
  placed: 0,
  paid: 1,
  confirmed: 1,
  failed: 1,
  invoice_payment: 1,
  refunded: 2,
  disputed: 3,
};

/** 2026-01-01 plus a minute per order: the events' own times (not the signature times). */
function eventTime(order: PlannedOrder, role: EventRole): Date {
  return new Date(Date.UTC(2026, 0, 1) + order.index * 60_000 + ROLE_OFFSET[role] * 1_000);
}

const quantityOf = (order: PlannedOrder) => 1_000 + order.index;
const fullName = (buyer: PlannedBuyer) => `${buyer.firstName} ${buyer.lastName}`;
/** Pence as stores write decimal amounts: 1234 → "12.34". */
export const decimal = (pence: number) =>
  `${pence < 0 ? '-' : ''}${Math.floor(Math.abs(pence) / 100)}.${String(Math.abs(pence) % 100).padStart(2, '0')}`;

/** The refund the plan gives an order that sends one (every refund path has one). */
function refundOf(order: PlannedOrder) {
  if (!order.refund) throw new Error(`soak webhook: order ${order.index} (${order.path}) plans no refund`);
  return order.refund;
}

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

/** A whole published Stripe event: its envelope with this event's id and time, its object edited by `edit`. */
function publishedStripeEvent(path: string, envelope: Json, edit: (object: Json) => void): Json {
  const event = sampleJson(path);
  edit(event.data.object);
  return { ...event, ...envelope };
}

/**
 * Stripe:
 * - sessions: the published Checkout Session as {@link Variants.paidSession} completes it, with this order's
 *   session id, customer, PaymentIntent, buyer and credit, `payment_status` by the role, and `amount_total` and
 *   `amount_subtotal` the order's pence (`total_details` zeroed: the fixture's are synthetic figures of another
 *   session; no shipping, so the session is one credit line);
 * - subscriptions and renewals: the published basil renewal invoice ({@link Variants.paidRenewalInvoice}) for this
 *   customer, its line `price_soak_unit` × the order's quantity at a penny, `amount_due`, `amount_paid`, `total`,
 *   `subtotal` and the line's `amount` the order's pence;
 * - free trials: the published `invoice.paid` of a 0.00 `subscription_create` invoice (stripe-sync-engine), for this
 *   customer (name, e-mail, an address), in GBP, its line's price `price_soak_unit` × the order's quantity;
 * - `invoice_payment.paid`: the published event (stripe-sync-engine), for this invoice and PaymentIntent, its
 *   `amount_paid` and `amount_requested` the order's pence;
 * - refunds: the published charge refunded ({@link Variants.refundedCharge}) of this order's payment (`amount` and
 *   `amount_captured` the order's pence, `captured` true), `amount_refunded` the planned refund and `refunded` only
 *   when that is all of it, naming the session in its metadata or only its PaymentIntent;
 * - disputes: the published `charge.dispute.created` (lago-api, basil) of this order's charge and PaymentIntent, for
 *   the whole payment, in GBP.
 */
function stripeWebhook(
  order: PlannedOrder,
  buyer: PlannedBuyer,
  role: EventRole,
  secret: string,
): SoakWebhook {
  const created = Math.floor(eventTime(order, role).getTime() / 1000);
  const envelope = { id: `evt_${order.orderId}_${role}`, created };
  const charge = `ch_${order.orderId.slice(3)}`;
  const address = { line1: '1 Soak Street', city: 'Leeds', postal_code: 'LS1 1AA', country: 'GB' };
  let event: Json;
  let key: string | undefined = soakOrderKey(order);
  if (role === 'refunded') {
    const refund = refundOf(order);
    event = stripeEvent(
      'charge.refunded',
      Variants.refundedCharge((c) => {
        c.id = charge;
        c.amount = order.paid;
        c.amount_captured = order.paid;
        c.captured = true;
        c.amount_refunded = refund.amount;
        c.refunded = refund.amount === order.paid;
        c.payment_intent = order.paymentIntent;
        c.customer = buyer.customerId;
        c.invoice = null;
        c.billing_details = { ...c.billing_details, name: fullName(buyer), email: buyer.email };
        c.metadata = refund.by === 'session' ? { checkout_session_id: order.orderId } : {};
      }),
      envelope,
    );
    // Keyed by the PaymentIntent, intake cannot know the order; dispatch finds it through the payment item.
    if (refund.by !== 'session') key = undefined;
  } else if (role === 'disputed') {
    event = publishedStripeEvent(Samples.stripe.disputeCreated, envelope, (d) => {
      d.id = `dp_${order.orderId.slice(3)}`;
      d.amount = order.paid;
      d.currency = 'gbp';
      d.charge = charge;
      d.payment_intent = order.paymentIntent;
    });
    key = undefined;
  } else if (role === 'invoice_payment') {
    event = publishedStripeEvent(Samples.stripe.invoicePaymentPaid, envelope, (p) => {
      p.id = `inpay_${order.orderId.slice(3)}`;
      p.amount_paid = order.paid;
      p.amount_requested = order.paid;
      p.currency = 'gbp';
      p.invoice = order.orderId;
      p.payment.payment_intent = order.paymentIntent;
    });
  } else if (order.path === 'free_trial') {
    event = publishedStripeEvent(Samples.stripe.freeInvoicePaid, envelope, (i) => {
      i.id = order.orderId;
      i.customer = buyer.customerId;
      i.customer_name = fullName(buyer);
      i.customer_email = buyer.email;
      i.customer_address = address;
      i.currency = 'gbp';
      i.lines.data[0].price.id = 'price_soak_unit';
      i.lines.data[0].quantity = quantityOf(order);
    });
  } else if (order.path === 'subscription' || order.path === 'renewal') {
    const invoice = Variants.paidRenewalInvoice((i) => {
      i.id = order.orderId;
      i.customer = buyer.customerId;
      i.customer_name = fullName(buyer);
      i.customer_email = buyer.email;
      i.currency = 'gbp';
      i.billing_reason = order.path === 'subscription' ? 'subscription_create' : 'subscription_cycle';
      i.customer_address = address;
      for (const field of ['amount_due', 'amount_paid', 'total', 'subtotal']) i[field] = order.paid;
      i.total_excluding_tax = order.paid;
      i.subtotal_excluding_tax = order.paid;
      const line = i.lines.data[0];
      line.pricing.price_details.price = 'price_soak_unit';
      line.pricing.unit_amount_decimal = '1';
      line.quantity = quantityOf(order);
      line.amount = order.paid;
    });
    event = stripeEvent('invoice.paid', invoice, envelope);
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
      s.amount_total = order.paid;
      s.amount_subtotal = order.paid;
      s.total_details = { amount_discount: 0, amount_shipping: 0, amount_tax: 0 };
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
 * Edits a Shopify body field by field while its ids above 2^53 stay exact: each bare integer of 16 digits or more is
 * carried through `JSON.parse` as a marked string and written back bare. Re-serialized as Shopify writes it (two
 * spaces); the only other difference `JSON.stringify` makes is `0.0` written `0`.
 */
function editShopifyJson(text: string, change: (json: Json) => void): string {
  const json = JSON.parse(text.replace(/(?<=[:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '"big:$1"')) as Json;
  change(json);
  return JSON.stringify(json, null, 2).replace(/"big:(\d+)"/g, '$1');
}

/** Shopify event ids are numbered by role (one digit). */
const SHOPIFY_ROLES: readonly EventRole[] = ['placed', 'paid', 'confirmed', 'failed', 'refunded', 'disputed'];

/** A Shopify money pair of `pence` in GBP, as `*_set` fields carry it. */
const moneySet = (pence: number) => ({
  shop_money: { amount: decimal(pence), currency_code: 'GBP' },
  presentment_money: { amount: decimal(pence), currency_code: 'GBP' },
});

/**
 * Shopify: the published `orders/paid` order (the `orders/create` sample is the same bytes) as another order of
 * the shop ({@link Variants.shopifyOrder}: id, currency GBP), edited as raw text so the ids above 2^53 stay exact:
 * the buyer (customer id, the names of the billing and customer records, e-mails), the first line's SKU and
 * quantity (the credit line) at 0.01 a unit, and every order amount moved by what that line now costs (`total_price`
 * and `subtotal_price` 404.95 → 314.96 + the line, the 414.95 figures → 324.96 + the line),
 * `financial_status` pending or paid by the topic, and not cancelled (the sample is a cancelled order).
 * Refunds: the published `refunds/create` for this order with its own refund id, cut to the planned refund — all
 * lines and the whole payment (full), the credit line's refunded units (credit_line), the `LENS-PROTECT-2YR` line
 * (other_line), or no line (partial) — its transactions the money refunded, in GBP (the sample's say `currency`
 * null). Disputes: the published `disputes/create` for this order, for its whole total, in GBP (the sample's is CAD).
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
    body = shopifyRefund(order);
  } else if (role === 'disputed') {
    topic = 'disputes/create';
    body = Variants.shopifyOrder(Samples.shopify.disputesCreate, { orderId: order.orderId });
    body = edit(body, '285332461850802063', `28533246185${String(order.index).padStart(8, '0')}`);
    body = edit(body, '"amount": "11.50"', `"amount": "${decimal(order.paid)}"`);
    body = edit(body, '"currency": "CAD"', '"currency": "GBP"');
  } else {
    topic = role === 'placed' ? 'orders/create' : 'orders/paid';
    body = Variants.shopifyOrder(Samples.shopify.ordersPaid, { orderId: order.orderId, currency: 'GBP' });
    body = edit(
      body,
      /"quantity": 1,(\s*"requires_shipping": true,\s*"sales_line_item_group_id": null,\s*)"sku": "SKU2006-001"/,
      `"quantity": ${quantityOf(order)},$1"sku": "SOAK-UNIT"`,
    );
    body = edit(body, '"89.99"', '"0.01"');
    body = edit(body, '"404.95"', `"${decimal(order.paid)}"`);
    body = edit(body, '"414.95"', `"${decimal(order.paid + 1_000)}"`);
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
  const eventId = `5a0c0000-0000-4000-8000-${String(order.index).padStart(8, '0')}${SHOPIFY_ROLES.indexOf(role)}000`;
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

/** The published `refunds/create` as this order's planned refund (see {@link shopifyWebhook}). */
function shopifyRefund(order: PlannedOrder): string {
  const refund = refundOf(order);
  let body = Variants.shopifyOrder(Samples.shopify.refundsCreate, {
    orderId: order.orderId,
    sku: { from: 'SKU2006-001', to: 'SOAK-UNIT' },
    currency: 'GBP',
  });
  body = edit(body, '890088186047892319', `89008818604${String(order.index).padStart(8, '0')}`);
  return editShopifyJson(body, (json) => {
    const [creditLine, otherLine] = json.refund_line_items as Json[];
    const creditUnits = (units: number) => {
      const line = creditLine as Json;
      line.quantity = units;
      line.subtotal = units / 100;
      line.subtotal_set = moneySet(units);
      line.line_item.quantity = quantityOf(order);
      line.line_item.fulfillable_quantity = quantityOf(order);
      line.line_item.price = '0.01';
      line.line_item.price_set = moneySet(1);
      return line;
    };
    const [first, second] = json.transactions as Json[];
    const transaction = (pence: number, from: Json) => ({ ...from, amount: decimal(pence), currency: 'GBP' });
    switch (refund.shape) {
      case 'full':
        // Every line, the credit line whole; the money in the sample's two transactions (the second its 10.00).
        creditUnits(quantityOf(order));
        json.transactions = [
          transaction(refund.amount - 1_000, first as Json),
          transaction(1_000, second as Json),
        ];
        break;
      case 'credit_line':
        json.refund_line_items = [creditUnits(refund.units ?? 0)];
        json.transactions = [transaction(refund.amount, first as Json)];
        break;
      case 'other_line':
        if (refund.amount !== SHOPIFY_OTHER_LINE) throw new Error('soak webhook: other_line refunds 19.99');
        json.refund_line_items = [otherLine];
        json.transactions = [transaction(refund.amount, first as Json)];
        break;
      case 'partial':
        json.refund_line_items = [];
        json.transactions = [transaction(refund.amount, first as Json)];
        break;
    }
  });
}

/**
 * WooCommerce: the published "Create an order" response (order 727) for ordinary orders — whole (`multi`: its
 * unpriced line, tax and shipping stay; `total_tax`, `cart_tax` and the tax line now the other line's 0.45) or
 * its credit line alone (`single`: the other line, the shipping and the tax removed) — the WooCommerce Subscriptions
 * parent order (1274) for a subscription and the published renewal ({@link Variants.paidWooRenewal}) for renewals
 * (tax removed), each with this order's id, the buyer's customer id, names and e-mail, GBP, its times, the credit
 * line's SKU and quantity at 0.01 a unit untaxed, `total` what the order costs, and the status of the role: pending
 * (placed), processing (paid, confirmed), failed, or a refund — status refunded (full: its refund listed in
 * `refunds` or not) or processing with a `refunds` entry shaped as the published order 723's (partial).
 */
function wooWebhook(order: PlannedOrder, buyer: PlannedBuyer, role: EventRole, secret: string): SoakWebhook {
  let sample: Json;
  if (order.path === 'subscription') {
    sample = (sampleJson<Json[]>(Samples.woocommerce.subscriptionOrders).find(
      (o) => o.order_type === 'parent_order',
    ) ?? {}) as Json;
  } else if (order.path === 'renewal') {
    sample = Variants.paidWooRenewal('SOAK-UNIT', 'GBP');
  } else {
    sample = sampleJson(Samples.woocommerce.order);
  }
  const creditLine = Math.max(
    0,
    sample.line_items.findIndex((line: Json) => line.sku === 'Bar3'),
  );
  const line = sample.line_items[creditLine] as Json;
  const pence = quantityOf(order);
  Object.assign(line, {
    sku: 'SOAK-UNIT',
    quantity: pence,
    price: 0.01,
    subtotal: decimal(pence),
    total: decimal(pence),
    subtotal_tax: '0.00',
    total_tax: '0.00',
    taxes: [],
  });
  if (order.lines === 'multi') {
    Object.assign(sample, { cart_tax: '0.45', total_tax: '0.45' });
    sample.tax_lines[0].tax_total = '0.45';
  } else {
    Object.assign(sample, {
      line_items: [line],
      shipping_lines: [],
      shipping_total: '0.00',
      shipping_tax: '0.00',
      cart_tax: '0.00',
      total_tax: '0.00',
      tax_lines: [],
    });
  }
  const refund = role === 'refunded' ? refundOf(order) : undefined;
  const status =
    role === 'placed'
      ? 'pending'
      : role === 'failed'
        ? 'failed'
        : refund?.shape === 'full'
          ? 'refunded'
          : 'processing';
  const created = eventTime(order, 'placed');
  const modified = eventTime(order, role);
  const gmt = (date: Date) => date.toISOString().slice(0, 19);
  const listed = refund && (refund.shape !== 'full' || refund.listed);
  Object.assign(sample, {
    id: Number(order.orderId),
    customer_id: Number(buyer.customerId),
    status,
    currency: 'GBP',
    total: decimal(order.paid),
    date_created_gmt: gmt(created),
    date_modified_gmt: gmt(modified),
    refunds: listed ? [{ id: 20_000 + order.index, refund: '', total: decimal(-(refund?.amount ?? 0)) }] : [],
  });
  sample.billing = {
    ...sample.billing,
    first_name: buyer.firstName,
    last_name: buyer.lastName,
    email: buyer.email,
  };
  sample.shipping = { ...sample.shipping, first_name: buyer.firstName, last_name: buyer.lastName };
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
