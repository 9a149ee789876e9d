import * as z from 'zod';
import { buyerKey, orderKey } from '../domain/keys';
import { type MoneyFact, toMinorUnits } from '../domain/money';
import type { Buyer, OrderEventKind } from '../domain/order-event';
import { type CreditCatalog, creditForLines, isSingleCreditLine } from './catalog';
import { type IntakeEvent, type Normalized, validateIntakeEvent } from './events';
import { firstText, MalformedPayload, parseField, pickAddress, pickName } from './payload';

/** WooCommerce topics intake acts on. */
export const WooCommerceTopics = ['order.created', 'order.updated'] as const;

/** Order status → kind. Statuses not listed (e.g. `checkout-draft`, `trash`) are acknowledged and ignored. */
export const WooCommerceStatusKinds: Readonly<Record<string, OrderEventKind>> = {
  pending: 'placed',
  'on-hold': 'placed',
  processing: 'paid',
  completed: 'paid',
  failed: 'payment_failed',
  cancelled: 'payment_failed',
  refunded: 'refunded',
};

const WooAddress = z
  .object({
    first_name: z.string().nullish(),
    last_name: z.string().nullish(),
    address_1: z.string().nullish(),
    address_2: z.string().nullish(),
    city: z.string().nullish(),
    state: z.string().nullish(),
    postcode: z.string().nullish(),
    country: z.string().nullish(),
    email: z.string().nullish(),
    phone: z.string().nullish(),
  })
  .nullish();
type WooAddress = z.infer<typeof WooAddress>;

/** Read first: a status intake does not act on is acknowledged whatever the rest of the body holds. */
const WooStatusSchema = z.object({ status: z.string().min(1) });

/**
 * The fields of a WooCommerce REST v3 order intake reads: what keys and prices the order. Names, e-mail and
 * addresses may be missing (an order entered in the admin): such an order waits for a person.
 */
export const WooOrderSchema = z.object({
  id: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]).transform(String),
  status: z.string().min(1),
  currency: z.string().length(3),
  date_created_gmt: z.string().min(1),
  date_modified_gmt: z.string().nullish(),
  /** 0 for a guest checkout. */
  customer_id: z.number().int().nonnegative().default(0),
  billing: WooAddress,
  shipping: WooAddress,
  line_items: z.array(z.object({ sku: z.string().nullish(), quantity: z.number().int().nonnegative() })),
  /** What the buyer pays for the order, and for its shipping, as decimal strings. */
  total: z.string().nullish(),
  shipping_total: z.string().nullish(),
  fee_lines: z.array(z.unknown()).nullish(),
  /**
   * Every refund of the order so far, each `{id, total: "-10.00"}` (the status stays processing or completed until
   * all is refunded): the same refunds arrive again with every later update, and are recorded once by id.
   */
  refunds: z
    .array(
      z.object({ id: z.union([z.number().int(), z.string().min(1)]).transform(String), total: z.string() }),
    )
    .nullish(),
});
type WooOrder = z.infer<typeof WooOrderSchema>;

/** Headers of a WooCommerce delivery that carry meaning, and the catalog. */
export interface WooCommerceContext {
  catalog: CreditCatalog;
  topic: string | undefined;
  /** `X-WC-Webhook-Source`: the store URL, e.g. `https://shop.example.com/`. */
  source: string | undefined;
}

/** WooCommerce `*_gmt` dates carry no zone designator; they are UTC. */
function gmtToIso(value: string): string {
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

function storeHost(source: string | undefined): string {
  const value = source?.trim();
  if (!value) throw new MalformedPayload('missing_header', 'x-wc-webhook-source: header is required');
  try {
    return new URL(value).host.toLowerCase();
  } catch {
    throw new MalformedPayload('missing_header', 'x-wc-webhook-source: is not a URL');
  }
}

const rawAddress = (address: WooAddress) =>
  address && {
    line1: address.address_1,
    line2: address.address_2,
    city: address.city,
    state: address.state,
    zip: address.postcode,
    country: address.country,
  };

/**
 * The money facts an order's update states: its payment (paid or refunded status: a refunded order was paid), each
 * refund so far by its id, or its failure. WooCommerce names no payment id the order keeps for sure (the gateway's
 * `transaction_id` may come late), so the order's one payment is keyed by the order. A `refunded` order whose listed
 * refunds do not add up to its total (the list is cut, or the store marked it by hand) gets the rest as one refund.
 */
function wooFacts(
  order: WooOrder,
  status: string,
  kind: OrderEventKind,
  total: number | null,
  currency: string,
  at: string,
): MoneyFact[] {
  const facts: MoneyFact[] = [];
  const whole = { amount: total, ...(total === null && order.total ? { text: order.total } : {}) };
  if (kind === 'payment_failed') {
    return [{ type: 'failure', id: `order:${order.id}:${status}`, ...whole, currency, at }];
  }
  if (kind !== 'paid' && kind !== 'refunded') return facts;
  facts.push({ type: 'payment', id: `order:${order.id}`, ...whole, currency, at });
  let refunded = 0;
  for (const refund of order.refunds ?? []) {
    // Refund totals are negative ("-10.00"): the money went back to the buyer.
    const minor = toMinorUnits(refund.total, currency);
    const amount = minor === null ? null : -minor;
    facts.push({
      type: 'refund',
      id: refund.id,
      amount,
      ...(amount === null ? { text: refund.total } : {}),
      currency,
      at,
    });
    refunded += amount ?? 0;
  }
  if (kind === 'refunded' && status === 'refunded' && total !== null && refunded < total) {
    facts.push({ type: 'refund', id: `order:${order.id}:refunded`, amount: total - refunded, currency, at });
  }
  return facts;
}

/**
 * Maps a WooCommerce order webhook to an order event, by the order's status (see
 * {@link WooCommerceStatusKinds}). Store: the host of `X-WC-Webhook-Source`. A WooCommerce Subscriptions
 * renewal is an ordinary order of the same `customer_id`, so it tops up the customer the buyer already has.
 */
export function normalizeWooCommerce(payload: unknown, ctx: WooCommerceContext): Normalized {
  const topic = ctx.topic?.trim();
  if (!topic) throw new MalformedPayload('missing_header', 'x-wc-webhook-topic: header is required');
  if (!(WooCommerceTopics as readonly string[]).includes(topic)) return { outcome: 'ignored', topic };
  const store = storeHost(ctx.source);
  const { status } = parseField(WooStatusSchema, payload, '');
  const statusKind = WooCommerceStatusKinds[status];
  if (!statusKind) return { outcome: 'ignored', topic: `${topic}:${status}` };
  const order = parseField(WooOrderSchema, payload, '');
  // WooCommerce sends no refund topic: a partial refund arrives as an update of a paid order carrying `refunds`.
  // Its amounts are facts like any other refund's; what is still owed is derived from them.
  const kind: OrderEventKind = statusKind === 'paid' && order.refunds?.length ? 'refunded' : statusKind;

  const buyer: Buyer = pickName([
    { first: order.billing?.first_name, last: order.billing?.last_name },
    { first: order.shipping?.first_name, last: order.shipping?.last_name },
  ]);
  const email = firstText(order.billing?.email);
  if (email) buyer.email = email;
  const phone = firstText(order.billing?.phone, order.shipping?.phone);
  if (phone) buyer.phone = phone;
  const occurredAt = gmtToIso(order.date_modified_gmt ?? order.date_created_gmt);
  const event: IntakeEvent = {
    kind,
    provider: 'woocommerce',
    store,
    orderId: order.id,
    orderKey: orderKey('woocommerce', store, order.id),
    buyer,
    credit: creditForLines(
      ctx.catalog,
      order.currency,
      order.line_items.map((line) => ({ refs: [line.sku], quantity: line.quantity })),
    ),
    // X-WC-Webhook-Delivery-ID changes per delivery; this id is the same for the same order change.
    sourceEventId: `${topic}:${order.id}:${order.status}:${occurredAt}`,
    occurredAt,
  };
  const currency = order.currency.toUpperCase();
  const lines = order.line_items.map((line) => ({ refs: [line.sku], quantity: line.quantity }));
  const total = order.total ? toMinorUnits(order.total, currency) : null;
  const shipping = order.shipping_total ? toMinorUnits(order.shipping_total, currency) : 0;
  const otherCharges = shipping !== 0 || (order.fee_lines?.length ?? 0) > 0;
  event.money = { total, currency, singleCreditLine: isSingleCreditLine(ctx.catalog, lines, otherCharges) };
  event.facts = wooFacts(order, status, statusKind, total, currency, occurredAt);
  const key = buyerKey(
    'woocommerce',
    store,
    order.customer_id > 0 ? String(order.customer_id) : undefined,
    email,
  );
  if (key) event.buyerKey = key;
  const address = pickAddress([rawAddress(order.billing), rawAddress(order.shipping)]);
  if (address) event.address = address;
  return { outcome: 'event', event: validateIntakeEvent(event) };
}
