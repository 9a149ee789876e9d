/**
 * The soak's Shopify webhooks: `orders/create` and `orders/paid`, `refunds/create` of each planned refund shape and
 * `disputes/create`, each from a published sample edited as text (or field by field) so its ids above 2^53 stay
 * exact; what each changes is named on {@link shopifyWebhook}.
 */
import { type Json, Samples, shopifyHeaders, Variants } from '../../test/fixtures/webhooks';
import { SHOPIFY_OTHER_LINE } from './oracle';
import type { EventRole, PlannedBuyer, PlannedOrder } from './plan-types';
import {
  decimal,
  eventTime,
  fullName,
  quantityOf,
  refundOf,
  type SoakWebhook,
  soakOrderKey,
} from './webhook-common';

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
export function shopifyWebhook(
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
