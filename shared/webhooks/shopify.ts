import * as z from 'zod';
import { buyerKey, orderKey } from '../domain/keys';
import type { Buyer, OrderEventKind } from '../domain/order-event';
import { type CreditCatalog, creditForLines } from './catalog';
import { type IntakeEvent, type Normalized, validateIntakeEvent } from './events';
import { MalformedPayload, parseField, required, toYayAddress } from './payload';

/** Shopify topics intake acts on. */
export const ShopifyTopics = ['orders/create', 'orders/paid', 'refunds/create'] as const;

/** Shopify ids are 64-bit integers in JSON; keep them as the decimal string Shopify shows. */
const ShopifyId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);

const ShopifyAddress = z
  .object({
    first_name: z.string().nullish(),
    last_name: z.string().nullish(),
    name: z.string().nullish(),
    address1: z.string().nullish(),
    address2: z.string().nullish(),
    city: z.string().nullish(),
    province: z.string().nullish(),
    province_code: z.string().nullish(),
    zip: z.string().nullish(),
    country_code: z.string().nullish(),
    phone: z.string().nullish(),
  })
  .nullish();

const LineItem = z.object({ sku: z.string().nullish(), quantity: z.number().int().nonnegative() });

/** The fields of a Shopify order (REST webhook representation) intake reads. */
export const ShopifyOrderSchema = z.object({
  id: ShopifyId,
  email: z.string().nullish(),
  contact_email: z.string().nullish(),
  phone: z.string().nullish(),
  created_at: z.string().min(1),
  updated_at: z.string().nullish(),
  currency: z.string().length(3),
  presentment_currency: z.string().length(3).nullish(),
  financial_status: z.string().nullish(),
  customer: z
    .object({
      id: ShopifyId.nullish(),
      email: z.string().nullish(),
      first_name: z.string().nullish(),
      last_name: z.string().nullish(),
      phone: z.string().nullish(),
    })
    .nullish(),
  billing_address: ShopifyAddress,
  shipping_address: ShopifyAddress,
  line_items: z.array(LineItem),
});

/** The fields of a Shopify refund (`refunds/create`) intake reads. */
export const ShopifyRefundSchema = z.object({
  id: ShopifyId,
  order_id: ShopifyId,
  created_at: z.string().min(1),
  refund_line_items: z.array(
    z.object({
      quantity: z.number().int().nonnegative(),
      line_item: z.object({ sku: z.string().nullish() }).nullish(),
      subtotal_set: z.object({ shop_money: z.object({ currency_code: z.string().length(3) }) }).nullish(),
    }),
  ),
  transactions: z.array(z.object({ currency: z.string().length(3).nullish() })).default([]),
});

/** Headers of a Shopify delivery that carry meaning (case already folded by the caller). */
export interface ShopifyContext {
  catalog: CreditCatalog;
  topic: string | undefined;
  shopDomain: string | undefined;
  /** `X-Shopify-Event-Id` (stable across the topics of one change) or `X-Shopify-Webhook-Id`. */
  eventId: string | undefined;
  triggeredAt: string | undefined;
}

function shopifyBuyer(order: z.infer<typeof ShopifyOrderSchema>): Buyer {
  const billing = order.billing_address ?? order.shipping_address;
  const firstName = required(order.customer?.first_name ?? billing?.first_name, 'customer.first_name');
  const lastName = required(order.customer?.last_name ?? billing?.last_name, 'customer.last_name');
  const email = required(order.email || order.contact_email || order.customer?.email, 'email');
  const buyer: Buyer = { name: `${firstName} ${lastName}`.trim(), firstName, lastName, email };
  const phone = order.phone || order.customer?.phone || billing?.phone;
  if (phone) buyer.phone = phone;
  return buyer;
}

/**
 * Maps a Shopify webhook to an order event. `orders/create` arrives before payment: `placed`, unless the
 * order is already `financial_status: paid` (a card checkout), then `paid`. `orders/paid` → `paid`;
 * `refunds/create` → `refunded`. Store: the `X-Shopify-Shop-Domain` header.
 */
export function normalizeShopify(payload: unknown, ctx: ShopifyContext): Normalized {
  const topic = ctx.topic?.trim();
  if (!topic) throw new MalformedPayload('missing_header', 'x-shopify-topic: header is required');
  if (!(ShopifyTopics as readonly string[]).includes(topic)) return { outcome: 'ignored', topic };
  const store = ctx.shopDomain?.trim().toLowerCase();
  if (!store) throw new MalformedPayload('missing_header', 'x-shopify-shop-domain: header is required');

  if (topic === 'refunds/create') {
    const refund = parseField(ShopifyRefundSchema, payload, '');
    const currency =
      refund.transactions.find((t) => t.currency)?.currency ??
      refund.refund_line_items.find((l) => l.subtotal_set)?.subtotal_set?.shop_money.currency_code;
    // No transaction and no line: a note-only refund that moved neither money nor goods. Acknowledge it,
    // since a 4xx would only make Shopify retry something nobody needs to act on.
    if (!currency) return { outcome: 'ignored', topic: 'refunds/create:nothing_refunded' };
    const event: IntakeEvent = {
      kind: 'refunded',
      provider: 'shopify',
      store,
      orderId: refund.order_id,
      orderKey: orderKey('shopify', store, refund.order_id),
      credit: creditForLines(
        ctx.catalog,
        currency,
        refund.refund_line_items.map((l) => ({ sku: l.line_item?.sku, quantity: l.quantity })),
      ),
      sourceEventId: ctx.eventId?.trim() || `refund:${refund.id}`,
      occurredAt: ctx.triggeredAt?.trim() || refund.created_at,
    };
    return { outcome: 'event', event: validateIntakeEvent(event) };
  }

  const order = parseField(ShopifyOrderSchema, payload, '');
  const kind: OrderEventKind =
    topic === 'orders/paid' || order.financial_status === 'paid' ? 'paid' : 'placed';
  const buyer = shopifyBuyer(order);
  const billing = order.billing_address ?? order.shipping_address;
  const event: IntakeEvent = {
    kind,
    provider: 'shopify',
    store,
    orderId: order.id,
    orderKey: orderKey('shopify', store, order.id),
    buyerKey: buyerKey('shopify', store, order.customer?.id ?? undefined, buyer.email),
    buyer,
    // The buyer pays in the presentment currency; the catalog prices credit by what the buyer paid in.
    credit: creditForLines(ctx.catalog, order.presentment_currency ?? order.currency, order.line_items),
    sourceEventId: ctx.eventId?.trim() || `${topic}:${order.id}`,
    occurredAt: ctx.triggeredAt?.trim() || order.updated_at || order.created_at,
  };
  const address = toYayAddress(
    billing && {
      line1: billing.address1,
      line2: billing.address2,
      city: billing.city,
      state: billing.province_code ?? billing.province,
      zip: billing.zip,
      country: billing.country_code,
    },
  );
  if (address) event.address = address;
  return { outcome: 'event', event: validateIntakeEvent(event) };
}
