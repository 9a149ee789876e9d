/**
 * What every provider's soak webhook takes from its order: the shape of a built webhook, the order key local mode
 * records the order under, the events' own times, the credit line's quantity, the buyer's name, amounts written as
 * stores write them, and the order's planned refund. The builders: webhook-stripe.ts, webhook-shopify.ts,
 * webhook-woocommerce.ts.
 */
import { orderKey } from '../../shared/domain/keys';
import { SHOP_DOMAIN, WOO_SOURCE } from '../../test/fixtures/webhooks';
import type { EventRole, PlannedBuyer, PlannedOrder } from './plan-types';

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
export function eventTime(order: PlannedOrder, role: EventRole): Date {
  return new Date(Date.UTC(2026, 0, 1) + order.index * 60_000 + ROLE_OFFSET[role] * 1_000);
}

export const quantityOf = (order: PlannedOrder) => 1_000 + order.index;
export const fullName = (buyer: PlannedBuyer) => `${buyer.firstName} ${buyer.lastName}`;
/** Pence as stores write decimal amounts: 1234 → "12.34". */
export const decimal = (pence: number) =>
  `${pence < 0 ? '-' : ''}${Math.floor(Math.abs(pence) / 100)}.${String(Math.abs(pence) % 100).padStart(2, '0')}`;

/** The refund the plan gives an order that sends one (every refund path has one). */
export function refundOf(order: PlannedOrder) {
  if (!order.refund) throw new Error(`soak webhook: order ${order.index} (${order.path}) plans no refund`);
  return order.refund;
}
