/**
 * The soak's Stripe webhooks: Checkout Sessions, subscription and renewal invoices, free trials,
 * `invoice_payment.paid`, refunded charges and disputes, each from a published sample with this order's ids, buyer
 * and money (what each changes is named on {@link stripeWebhook}), signed per attempt.
 */
import { formatCredit } from '../../shared/domain/credit';
import {
  type Json,
  Samples,
  sampleJson,
  stripeBody,
  stripeEvent,
  stripeHeaders,
  Variants,
} from '../../test/fixtures/webhooks';
import type { EventRole, PlannedBuyer, PlannedOrder } from './plan-types';
import { eventTime, fullName, quantityOf, refundOf, type SoakWebhook, soakOrderKey } from './webhook-common';

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
export function stripeWebhook(
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
