/**
 * The soak's WooCommerce webhooks: ordinary orders (the published order 727, whole or its credit line alone),
 * WooCommerce Subscriptions parents and renewals, in each status a role gives them and with their refunds; what each
 * changes is named on {@link wooWebhook}. Every delivery gets its own id.
 */
import { type Json, Samples, sampleJson, Variants, wooHeaders } from '../../test/fixtures/webhooks';
import type { EventRole, PlannedBuyer, PlannedOrder } from './plan-types';
import { decimal, eventTime, quantityOf, refundOf, type SoakWebhook, soakOrderKey } from './webhook-common';

/** The first role an order's script sends: WooCommerce announces it as `order.created`, the rest as updates. */
function firstRole(order: PlannedOrder): EventRole | undefined {
  for (const step of order.steps) if (step.do === 'send') return step.role;
  return undefined;
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
export function wooWebhook(
  order: PlannedOrder,
  buyer: PlannedBuyer,
  role: EventRole,
  secret: string,
): SoakWebhook {
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
