import * as z from 'zod';
import { buyerKey, orderKey } from '../domain/keys';
import { type MoneyFact, toMinorUnits } from '../domain/money';
import type { Buyer, OrderEventKind } from '../domain/order-event';
import { type CreditCatalog, creditForLines, creditOfRefundedLines, isSingleCreditLine } from './catalog';
import { type IntakeEvent, type Normalized, validateIntakeEvent } from './events';
import { firstText, MalformedPayload, parseField, pickAddress, pickName } from './payload';

/** Shopify topics intake acts on. */
export const ShopifyTopics = ['orders/create', 'orders/paid', 'refunds/create', 'disputes/create'] as const;

/**
 * Shopify ids are 64-bit integers, most above 2^53. Intake reads webhook bodies losslessly (an unsafe integer
 * arrives as its decimal text, see `parseJsonExactIntegers`), so both forms are taken and kept as the exact
 * decimal string. A number that is not a safe integer has been rounded by some `JSON.parse` on the way (the Lambda
 * runtime's, for a native EventBridge delivery): it is refused rather than used as a wrong id.
 */
const ShopifyId = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'must be a decimal integer id')])
  .transform(String);

/** The GraphQL id Shopify sends beside the numeric one, as text: `gid://shopify/Order/820982911946154508`. */
const GraphqlId = z.string().nullish();

/** The exact numeric id of a `gid://shopify/<type>/<id>`, or undefined. */
function gidNumber(gid: string | null | undefined, type: string): string | undefined {
  const match = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(?:\?.*)?$/.exec(gid ?? '');
  return match && match[1] === type ? match[2] : undefined;
}

/**
 * An id read from the numeric field, or from its GraphQL twin when the number was rounded before it reached us:
 * the twin is text, so it is exact whatever parsed the JSON.
 */
const idOrGid = (type: string) =>
  z.object({ id: z.unknown(), admin_graphql_api_id: GraphqlId }).transform((value, ctx) => {
    const parsed = ShopifyId.safeParse(value.id);
    if (parsed.success) return parsed.data;
    const fromGid = gidNumber(value.admin_graphql_api_id, type);
    if (fromGid) return fromGid;
    ctx.addIssue({ code: 'custom', path: ['id'], message: parsed.error.issues[0]?.message ?? 'invalid id' });
    return z.NEVER;
  });

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
type ShopifyAddress = z.infer<typeof ShopifyAddress>;

const LineItem = z.object({ sku: z.string().nullish(), quantity: z.number().int().nonnegative() });

/** Shopify writes amounts as decimal strings (a refund line's `subtotal` as a JSON number). */
const Amount = z.union([z.string(), z.number()]);

/** A `*_set` money pair: the shop's currency and the buyer's (presentment) currency. */
const MoneySet = z
  .object({
    shop_money: z.object({ amount: Amount, currency_code: z.string().length(3) }).nullish(),
    presentment_money: z.object({ amount: Amount, currency_code: z.string().length(3) }).nullish(),
  })
  .nullish();

/**
 * The fields of a Shopify order (REST webhook representation) intake reads. Only what keys and prices the order
 * is required; the buyer's name, e-mail and addresses may be missing in a genuine order (a POS or draft order),
 * which then waits for a person instead of being refused.
 */
export const ShopifyOrderSchema = z.object({
  id: z.unknown(),
  admin_graphql_api_id: GraphqlId,
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
      id: z.unknown(),
      admin_graphql_api_id: GraphqlId,
      email: z.string().nullish(),
      first_name: z.string().nullish(),
      last_name: z.string().nullish(),
      phone: z.string().nullish(),
      default_address: ShopifyAddress,
    })
    .nullish(),
  billing_address: ShopifyAddress,
  shipping_address: ShopifyAddress,
  line_items: z.array(LineItem),
  total_price: Amount.nullish(),
  total_price_set: MoneySet,
  total_shipping_price_set: MoneySet,
});
type ShopifyOrder = z.infer<typeof ShopifyOrderSchema>;

/** The fields of a Shopify refund (`refunds/create`) intake reads. */
export const ShopifyRefundSchema = z.object({
  id: ShopifyId,
  order_id: ShopifyId,
  created_at: z.string().min(1),
  refund_line_items: z.array(
    z.object({
      quantity: z.number().int().nonnegative(),
      line_item: z.object({ sku: z.string().nullish() }).nullish(),
      subtotal_set: MoneySet,
    }),
  ),
  // Shopify's own refund sample sends `currency: null` on its transactions.
  transactions: z
    .array(
      z.object({
        currency: z.string().nullish(),
        kind: z.string().nullish(),
        status: z.string().nullish(),
        amount: Amount.nullish(),
      }),
    )
    .default([]),
  /** Shipping refunded (API 2024-07 on), and adjustments such as `shipping_refund` (older). */
  refund_shipping_lines: z.array(z.object({ subtotal_amount_set: MoneySet })).nullish(),
  order_adjustments: z.array(z.object({ kind: z.string().nullish() })).nullish(),
});

/** The fields of a Shopify dispute (`disputes/create`) intake reads. */
export const ShopifyDisputeSchema = z.object({
  id: ShopifyId,
  order_id: ShopifyId.nullish(),
  amount: Amount,
  currency: z.string().length(3),
  status: z.string().nullish(),
  type: z.string().nullish(),
  initiated_at: z.string().nullish(),
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

const nameOf = (address: ShopifyAddress) => ({
  first: address?.first_name,
  last: address?.last_name,
  full: address?.name,
});

const rawAddress = (address: ShopifyAddress) =>
  address && {
    line1: address.address1,
    line2: address.address2,
    city: address.city,
    state: address.province_code ?? address.province,
    zip: address.zip,
    country: address.country_code,
  };

/** The payer first (billing), then the customer record, then the recipient (shipping). */
function shopifyBuyer(order: ShopifyOrder): Buyer {
  const buyer: Buyer = pickName([
    nameOf(order.billing_address),
    { first: order.customer?.first_name, last: order.customer?.last_name },
    nameOf(order.shipping_address),
    nameOf(order.customer?.default_address),
  ]);
  const email = firstText(order.email, order.contact_email, order.customer?.email);
  if (email) buyer.email = email;
  const phone = firstText(order.phone, order.customer?.phone, order.billing_address?.phone);
  if (phone) buyer.phone = phone;
  return buyer;
}

/**
 * The money a refund returned: its successful refund transactions, in exact minor units (null, with the text,
 * when an amount cannot be read exactly).
 */
function refundMoney(
  transactions: readonly { kind?: string | null; status?: string | null; amount?: string | number | null }[],
  currency: string,
): Pick<MoneyFact, 'amount' | 'text'> {
  let amount = 0;
  for (const transaction of transactions) {
    if ((transaction.kind ?? 'refund') !== 'refund' || (transaction.status ?? 'success') !== 'success')
      continue;
    const minor = toMinorUnits(transaction.amount ?? '0', currency);
    if (minor === null) return { amount: null, text: String(transaction.amount) };
    amount += minor;
  }
  return { amount };
}

/**
 * Maps a Shopify webhook to an order event. `orders/create` arrives before payment: `placed`, unless the
 * order is already `financial_status: paid` (a card checkout), then `paid`. `orders/paid` → `paid`;
 * `refunds/create` → `refunded`; `disputes/create` → `disputed`. Each carries its money facts: the order's payment
 * (its presentment total), a refund (its successful refund transactions, and the credit of the lines it names), a
 * dispute. Store: the `X-Shopify-Shop-Domain` header. Subscription renewals (Shopify
 * Subscriptions, `source_name: subscription_contract`) are ordinary orders of the same customer, so they top up
 * the Yay customer that customer already has.
 */
export function normalizeShopify(payload: unknown, ctx: ShopifyContext): Normalized {
  const topic = ctx.topic?.trim();
  if (!topic) throw new MalformedPayload('missing_header', 'x-shopify-topic: header is required');
  if (!(ShopifyTopics as readonly string[]).includes(topic)) return { outcome: 'ignored', topic };
  const store = ctx.shopDomain?.trim().toLowerCase();
  if (!store) throw new MalformedPayload('missing_header', 'x-shopify-shop-domain: header is required');

  if (topic === 'refunds/create') {
    const refund = parseField(ShopifyRefundSchema, payload, '');
    const lineMoney = (l: (typeof refund.refund_line_items)[number]) =>
      l.subtotal_set?.presentment_money ?? l.subtotal_set?.shop_money;
    const shippingMoney = (refund.refund_shipping_lines ?? []).map(
      (line) => line.subtotal_amount_set?.presentment_money ?? line.subtotal_amount_set?.shop_money,
    );
    const currency = (
      refund.transactions.find((t) => t.currency && t.currency.length === 3)?.currency ??
      [...refund.refund_line_items.map(lineMoney), ...shippingMoney].find((money) => money)?.currency_code
    )?.toUpperCase();
    // No transaction and no line: a note-only refund that moved neither money nor goods. Acknowledge it,
    // since a 4xx would only make Shopify retry something nobody needs to act on.
    if (!currency) return { outcome: 'ignored', topic: 'refunds/create:nothing_refunded' };
    const lines = refund.refund_line_items.map((l) => ({ refs: [l.line_item?.sku], quantity: l.quantity }));
    const occurredAt = ctx.triggeredAt?.trim() || refund.created_at;
    const fact: MoneyFact = {
      type: 'refund',
      id: refund.id,
      ...refundMoney(refund.transactions, currency),
      currency,
      at: occurredAt,
    };
    // A refund that names its lines or its shipping says what it takes back; one with only money does not.
    const shipping =
      (refund.refund_shipping_lines?.length ?? 0) > 0 ||
      (refund.order_adjustments ?? []).some((adjustment) => adjustment.kind === 'shipping_refund');
    if (lines.length > 0 || shipping) fact.namedCredit = creditOfRefundedLines(ctx.catalog, currency, lines);
    const event: IntakeEvent = {
      kind: 'refunded',
      provider: 'shopify',
      store,
      orderId: refund.order_id,
      orderKey: orderKey('shopify', store, refund.order_id),
      credit: creditForLines(ctx.catalog, currency, lines),
      facts: [fact],
      sourceEventId: ctx.eventId?.trim() || `refund:${refund.id}`,
      occurredAt,
    };
    return { outcome: 'event', event: validateIntakeEvent(event) };
  }

  if (topic === 'disputes/create') {
    const dispute = parseField(ShopifyDisputeSchema, payload, '');
    // A dispute Shopify cannot tie to an order (none of ours) is acknowledged: nothing to act on.
    if (!dispute.order_id) return { outcome: 'ignored', topic: 'disputes/create:no_order' };
    const currency = dispute.currency.toUpperCase();
    const amount = toMinorUnits(dispute.amount, currency);
    const occurredAt = ctx.triggeredAt?.trim() || dispute.initiated_at || new Date(0).toISOString();
    const event: IntakeEvent = {
      kind: 'disputed',
      provider: 'shopify',
      store,
      orderId: dispute.order_id,
      orderKey: orderKey('shopify', store, dispute.order_id),
      credit: { amount: null, currency, unpricedReason: 'a dispute prices nothing' },
      facts: [
        {
          type: 'dispute',
          id: dispute.id,
          amount,
          ...(amount === null ? { text: String(dispute.amount) } : {}),
          currency,
          at: occurredAt,
          ...(dispute.status ? { status: dispute.status } : {}),
        },
      ],
      sourceEventId: ctx.eventId?.trim() || `dispute:${dispute.id}`,
      occurredAt,
    };
    return { outcome: 'event', event: validateIntakeEvent(event) };
  }

  const order = parseField(ShopifyOrderSchema, payload, '');
  const orderId = parseField(idOrGid('Order'), order, '');
  const customer = order.customer;
  const customerId =
    customer && (customer.id != null || customer.admin_graphql_api_id)
      ? parseField(idOrGid('Customer'), customer, 'customer')
      : undefined;
  const kind: OrderEventKind =
    topic === 'orders/paid' || order.financial_status === 'paid' ? 'paid' : 'placed';
  const buyer = shopifyBuyer(order);
  // The buyer pays in the presentment currency; the catalog prices credit by what the buyer paid in.
  const currency = (order.presentment_currency ?? order.currency).toUpperCase();
  const lines = order.line_items.map((line) => ({ refs: [line.sku], quantity: line.quantity }));
  const totalText = order.total_price_set?.presentment_money?.amount ?? order.total_price;
  const total = totalText === null || totalText === undefined ? null : toMinorUnits(totalText, currency);
  const shippingText = order.total_shipping_price_set?.presentment_money?.amount;
  const shipping = shippingText === undefined ? 0 : toMinorUnits(shippingText, currency);
  const occurredAt = ctx.triggeredAt?.trim() || order.updated_at || order.created_at;
  const event: IntakeEvent = {
    kind,
    provider: 'shopify',
    store,
    orderId,
    orderKey: orderKey('shopify', store, orderId),
    buyer,
    credit: creditForLines(ctx.catalog, currency, lines),
    money: { total, currency, singleCreditLine: isSingleCreditLine(ctx.catalog, lines, shipping !== 0) },
    sourceEventId: ctx.eventId?.trim() || `${topic}:${orderId}`,
    occurredAt,
  };
  if (kind === 'paid') {
    // The order payload names no transaction: the order's payment is one fact, the same whichever topic reports it.
    event.facts = [
      {
        type: 'payment',
        id: `order:${orderId}`,
        amount: total,
        ...(total === null && totalText !== undefined && totalText !== null
          ? { text: String(totalText) }
          : {}),
        currency,
        at: occurredAt,
      },
    ];
  }
  const key = buyerKey('shopify', store, customerId, buyer.email);
  if (key) event.buyerKey = key;
  const address = pickAddress([
    rawAddress(order.billing_address),
    rawAddress(order.shipping_address),
    rawAddress(order.customer?.default_address),
  ]);
  if (address) event.address = address;
  return { outcome: 'event', event: validateIntakeEvent(event) };
}
