import * as z from 'zod';
import { buyerKey, orderKey } from '../domain/keys';
import type { Buyer, OrderEventKind } from '../domain/order-event';
import { type CreditCatalog, creditForLines } from './catalog';
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
  /** Partial refunds of the order so far (the status stays processing or completed until it is all refunded). */
  refunds: z.array(z.unknown()).nullish(),
});

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
  // It is a refund like any other (before credit moves it cancels the transfer, after it a person is told).
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
