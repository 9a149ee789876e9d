/**
 * The soak's webhooks: each planned event as its store sends it, built from the providers' published samples and
 * the hand-written variants of `test/fixtures/webhooks` (README "Fixtures"), then signed per delivery with the
 * provider's signer and the secret local mode was given. This file picks the builder of the order's provider; each
 * has a file of its own (webhook-stripe.ts, webhook-shopify.ts, webhook-woocommerce.ts; what they share,
 * webhook-common.ts). What each builder changes in its sample is named beside it; everything else stays as published.
 *
 * Every order buys credit as `SOAK-UNIT` × (1000 + its index) at 0.010 (a Stripe session says the same amount in
 * `metadata.yay_credit`, an invoice prices `price_soak_unit` the same way), so each amount is unique and a ledger
 * transfer names its order. The money agrees with the credit: the credit line costs a penny a unit, and every amount
 * an event states — a session's `amount_total`, an invoice's `amount_paid`, a charge's `amount_refunded`, a Shopify
 * order's totals and refund transactions, a WooCommerce `total` and `refunds[].total`, a dispute's amount — is the
 * order's own (`PlannedOrder.paid`, `PlannedOrder.refund`).
 */
import type { EventRole, PlannedBuyer, PlannedOrder, SoakPlan } from './plan-types';
import type { SoakWebhook } from './webhook-common';
import { shopifyWebhook } from './webhook-shopify';
import { stripeWebhook } from './webhook-stripe';
import { wooWebhook } from './webhook-woocommerce';

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
