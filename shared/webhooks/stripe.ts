import type * as z from 'zod';
import { parseCredit } from '../domain/credit';
import { buyerKey, orderKey } from '../domain/keys';
import type { MoneyFact } from '../domain/money';
import type { Buyer, Credit, OrderEventKind } from '../domain/order-event';
import { type CatalogLine, type CreditCatalog, creditForLines } from './catalog';
import { type IntakeEvent, type Normalized, validateIntakeEvent } from './events';
import { firstText, parseField, pickAddress, pickName, type RawAddress } from './payload';
import {
  ChargeSchema,
  CheckoutSessionSchema,
  DisputeSchema,
  type InvoiceLine,
  InvoicePaymentSchema,
  InvoiceSchema,
  type StripeAddress,
  StripeEventSchema,
  StripeEventTypeSchema,
} from './stripe-payloads';

export {
  ChargeSchema,
  CheckoutSessionSchema,
  DisputeSchema,
  InvoicePaymentSchema,
  InvoiceSchema,
  StripeEventSchema,
} from './stripe-payloads';

/** Stripe event types intake acts on. */
export const StripeTopics = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'charge.refunded',
  'charge.dispute.created',
  'invoice.paid',
  'invoice_payment.paid',
] as const;
type StripeTopic = (typeof StripeTopics)[number];

/**
 * Invoice billing reasons that are a paid top-up: the first invoice of a subscription and each renewal.
 * Others (`manual`, `subscription_update` prorations, `upcoming`, …) are acknowledged and ignored.
 */
export const SubscriptionBillingReasons = ['subscription_create', 'subscription_cycle'] as const;

/** What the Stripe normalizer needs besides the payload. */
export interface StripeContext {
  catalog: CreditCatalog;
  /** Store id when the event is not a Connect event (no `account`); defaults to `default`. */
  defaultStore?: string;
}

const OBJECT = 'data.object';
const NO_CURRENCY = 'XXX';

const KINDS: Record<
  Exclude<
    StripeTopic,
    'charge.refunded' | 'charge.dispute.created' | 'invoice.paid' | 'invoice_payment.paid'
  >,
  OrderEventKind
> = {
  'checkout.session.completed': 'paid',
  'checkout.session.async_payment_succeeded': 'payment_confirmed',
  'checkout.session.async_payment_failed': 'payment_failed',
};

/**
 * Credit from the payment's metadata: `yay_credit` (an amount) or `sku` (a catalog key). A value the store set
 * wrongly is the merchant's to fix, not a broken delivery: the order is accepted as unpriced, with the reason.
 */
function metadataCredit(
  metadata: Record<string, string> | null | undefined,
  currency: string,
  catalog: CreditCatalog,
): Credit {
  const code = currency.toUpperCase();
  const explicit = metadata?.yay_credit;
  if (explicit !== undefined) {
    try {
      return { amount: parseCredit(explicit), currency: code };
    } catch (error) {
      const why = error instanceof Error ? error.message : 'invalid';
      return { amount: null, currency: code, unpricedReason: `metadata.yay_credit: ${why}` };
    }
  }
  const sku = metadata?.sku;
  if (sku !== undefined) return creditForLines(catalog, code, [{ refs: [sku], quantity: 1 }]);
  return {
    amount: null,
    currency: code,
    unpricedReason: 'no metadata.yay_credit or metadata.sku on the payment',
  };
}

function buyerOf(
  names: readonly (string | null | undefined)[],
  emails: readonly (string | null | undefined)[],
  phones: readonly (string | null | undefined)[],
): Buyer {
  const buyer: Buyer = pickName(names.map((full) => ({ full })));
  const email = firstText(...emails);
  if (email) buyer.email = email;
  const phone = firstText(...phones);
  if (phone) buyer.phone = phone;
  return buyer;
}

function raw(address: StripeAddress): RawAddress | undefined {
  if (!address) return undefined;
  return {
    line1: address.line1,
    line2: address.line2,
    city: address.city,
    state: address.state,
    zip: address.postal_code,
    country: address.country,
  };
}

/** The fields every Stripe order event shares. */
interface Base {
  provider: 'stripe';
  store: string;
  sourceEventId: string;
  occurredAt: string;
}

function withBuyer(event: IntakeEvent, store: string, customer: string | undefined): IntakeEvent {
  const key = buyerKey('stripe', store, customer, event.buyer?.email);
  if (key) event.buyerKey = key;
  return event;
}

function refundEvent(base: Base, object: unknown, catalog: CreditCatalog): IntakeEvent {
  const charge = parseField(ChargeSchema, object, OBJECT);
  // The order the charge paid, in the order of certainty: the session id the store copied into the metadata,
  // the invoice (API versions before basil), else the PaymentIntent, which dispatch resolves to the order that
  // recorded it as its `paymentRef` (a Checkout Session or an invoice).
  const orderId =
    charge.metadata?.checkout_session_id ?? charge.invoice ?? charge.payment_intent ?? charge.id;
  const currency = charge.currency.toUpperCase();
  const event: IntakeEvent = {
    ...base,
    kind: 'refunded',
    orderId,
    orderKey: orderKey('stripe', base.store, orderId),
    credit: metadataCredit(charge.metadata, charge.currency, catalog),
    // `amount_refunded` is the charge's running total: each delivery states all that was refunded so far, so the
    // facts of one charge are never added up (the largest counts), and a redelivery is the same fact.
    facts: [
      {
        type: 'refund',
        id: `${charge.id}@${charge.amount_refunded ?? 'unknown'}`,
        runningTotalOf: charge.id,
        amount: charge.amount_refunded ?? null,
        currency,
        at: base.occurredAt,
      },
    ],
  };
  if (charge.payment_intent) event.paymentRef = charge.payment_intent;
  const buyer = buyerOf(
    [charge.billing_details?.name],
    [charge.billing_details?.email, charge.receipt_email],
    [charge.billing_details?.phone],
  );
  if (Object.keys(buyer).length > 0) event.buyer = buyer;
  return withBuyer(event, base.store, charge.customer);
}

function invoiceLines(lines: z.infer<typeof InvoiceLine>[]): CatalogLine[] {
  return lines.map((line) => {
    const priced = line.pricing?.price_details?.price;
    const price = typeof priced === 'string' ? { id: priced, lookup_key: undefined } : (priced ?? line.price);
    return { refs: [price?.lookup_key, price?.id], quantity: line.quantity ?? 1 };
  });
}

function invoiceEvent(base: Base, object: unknown, catalog: CreditCatalog): Normalized {
  const invoice = parseField(InvoiceSchema, object, OBJECT);
  const reason = invoice.billing_reason ?? 'none';
  if (!(SubscriptionBillingReasons as readonly string[]).includes(reason)) {
    return { outcome: 'ignored', topic: `invoice.paid:${reason}` };
  }
  const lines = invoiceLines(invoice.lines.data);
  const credit = creditForLines(catalog, invoice.currency, lines);
  const currency = invoice.currency.toUpperCase();
  const paid = invoice.amount_paid ?? null;
  const event: IntakeEvent = {
    ...base,
    kind: 'paid',
    orderId: invoice.id,
    orderKey: orderKey('stripe', base.store, invoice.id),
    buyer: buyerOf(
      [invoice.customer_name, invoice.customer_shipping?.name],
      [invoice.customer_email],
      [invoice.customer_phone],
    ),
    credit,
    money: {
      total: invoice.amount_due ?? paid,
      currency,
      singleCreditLine: lines.length === 1 && credit.amount !== null,
    },
    // One payment per invoice, by the invoice's id: `invoice_payment.paid` reports the same payment under it.
    facts: [{ type: 'payment', id: invoice.id, amount: paid, currency, at: base.occurredAt }],
  };
  const address = pickAddress([raw(invoice.customer_address), raw(invoice.customer_shipping?.address)]);
  if (address) event.address = address;
  if (invoice.payment_intent) event.paymentRef = invoice.payment_intent;
  return { outcome: 'event', event: validateIntakeEvent(withBuyer(event, base.store, invoice.customer)) };
}

/**
 * `charge.dispute.created`: a dispute (chargeback or inquiry) on the payment, keyed like a refund that names only its
 * PaymentIntent (dispatch finds the order that recorded it). Before credit moves a person decides; after, it is a
 * refund after credit.
 */
function disputeEvent(base: Base, object: unknown): IntakeEvent {
  const dispute = parseField(DisputeSchema, object, OBJECT);
  const orderId = dispute.payment_intent ?? dispute.charge ?? dispute.id;
  const event: IntakeEvent = {
    ...base,
    kind: 'disputed',
    orderId,
    orderKey: orderKey('stripe', base.store, orderId),
    credit: {
      amount: null,
      currency: dispute.currency.toUpperCase(),
      unpricedReason: 'a dispute prices nothing',
    },
    facts: [
      {
        type: 'dispute',
        id: dispute.id,
        amount: dispute.amount,
        currency: dispute.currency.toUpperCase(),
        at: base.occurredAt,
        ...(dispute.status ? { status: dispute.status } : {}),
      },
    ],
  };
  if (dispute.payment_intent) event.paymentRef = dispute.payment_intent;
  return event;
}

/**
 * `invoice_payment.paid` (API versions from basil on): the invoice's payment and the PaymentIntent that made it,
 * which the invoice no longer names. A payment confirmation of the invoice's order that records its PaymentIntent,
 * so a refund naming only that PaymentIntent finds the order.
 */
function invoicePaymentEvent(base: Base, object: unknown): Normalized {
  const payment = parseField(InvoicePaymentSchema, object, OBJECT);
  if (!payment.invoice) return { outcome: 'ignored', topic: 'invoice_payment.paid:no_invoice' };
  const currency = payment.currency.toUpperCase();
  const event: IntakeEvent = {
    ...base,
    kind: 'payment_confirmed',
    orderId: payment.invoice,
    orderKey: orderKey('stripe', base.store, payment.invoice),
    credit: { amount: null, currency, unpricedReason: 'an invoice payment prices nothing' },
    facts: [
      {
        type: 'payment',
        id: payment.invoice,
        amount: payment.amount_paid ?? null,
        currency,
        at: base.occurredAt,
      },
    ],
  };
  const intent = payment.payment?.payment_intent;
  if (intent) event.paymentRef = intent;
  return { outcome: 'event', event: validateIntakeEvent(event) };
}

function sessionEvent(
  base: Base,
  type: keyof typeof KINDS,
  object: unknown,
  catalog: CreditCatalog,
): Normalized {
  const session = parseField(CheckoutSessionSchema, object, OBJECT);
  // A subscription's first payment arrives as its invoice (`invoice.paid`, billing_reason subscription_create),
  // which carries the priced lines; provisioning from the session as well would count it twice.
  if (session.mode && session.mode !== 'payment') {
    return { outcome: 'ignored', topic: `${type}:${session.mode}` };
  }
  let kind = KINDS[type];
  if (
    kind === 'paid' &&
    session.payment_status !== 'paid' &&
    session.payment_status !== 'no_payment_required'
  ) {
    kind = 'placed';
  }
  // Stripe's own sample session has no currency: price it as ISO 4217's "no currency", which no catalog entry
  // prices, so only an explicit metadata.yay_credit moves credit.
  const currency = session.currency ?? NO_CURRENCY;
  const shipping = session.collected_information?.shipping_details ?? session.shipping_details;
  const code = currency.toUpperCase();
  const total = session.amount_total ?? null;
  // The payment's id: its PaymentIntent, else (nothing to pay: no PaymentIntent) the session's own.
  const fact = (type: MoneyFact['type']): MoneyFact => ({
    type,
    id: session.payment_intent ?? session.id,
    amount: total,
    currency: code,
    at: base.occurredAt,
  });
  const event: IntakeEvent = {
    ...base,
    kind,
    orderId: session.id,
    orderKey: orderKey('stripe', base.store, session.id),
    buyer: buyerOf(
      [session.customer_details?.name, shipping?.name],
      [session.customer_details?.email, session.customer_email],
      [session.customer_details?.phone],
    ),
    credit: metadataCredit(session.metadata, currency, catalog),
    // The metadata prices the whole payment; only a shipping charge would be money for something else.
    money: { total, currency: code, singleCreditLine: !session.total_details?.amount_shipping },
  };
  if (kind === 'paid' || kind === 'payment_confirmed') event.facts = [fact('payment')];
  if (kind === 'payment_failed') event.facts = [fact('failure')];
  const address = pickAddress([raw(session.customer_details?.address), raw(shipping?.address)]);
  if (address) event.address = address;
  if (session.payment_intent) event.paymentRef = session.payment_intent;
  return { outcome: 'event', event: validateIntakeEvent(withBuyer(event, base.store, session.customer)) };
}

/**
 * Maps a Stripe event to an order event.
 *
 * - `checkout.session.completed` (payment mode): `payment_status` paid (or no payment required) → `paid`;
 *   otherwise (an asynchronous method such as Bacs or SEPA still settling) → `placed`.
 * - `checkout.session.async_payment_succeeded` → `payment_confirmed`; `…_failed` → `payment_failed`.
 * - `invoice.paid` for a subscription's first invoice or a renewal → `paid`, keyed by the invoice id and priced
 *   from its lines through the catalog (by the price's lookup key, else its id).
 * - `invoice_payment.paid` → `payment_confirmed` of the invoice's order, with the PaymentIntent that paid it.
 * - `charge.refunded` → `refunded`, keyed as well as the charge allows (see {@link refundEvent}), with the charge's
 *   running refund total as the fact.
 * - `charge.dispute.created` → `disputed`, keyed by its PaymentIntent.
 *
 * Each event carries its money facts in exact minor units (a payment, a running refund total, a dispute, a failure).
 *
 * Store: the Connect `account` when present, else `defaultStore`. The type is read before anything else, so an
 * event of any other type is acknowledged whatever its shape.
 */
export function normalizeStripe(payload: unknown, ctx: StripeContext): Normalized {
  const { type } = parseField(StripeEventTypeSchema, payload, '');
  if (!(StripeTopics as readonly string[]).includes(type)) return { outcome: 'ignored', topic: type };
  const envelope = parseField(StripeEventSchema, payload, '');
  const store = envelope.account ?? ctx.defaultStore ?? 'default';
  const base: Base = {
    provider: 'stripe',
    store,
    sourceEventId: envelope.id,
    occurredAt: new Date(envelope.created * 1000).toISOString(),
  };
  const object = envelope.data.object;
  const topic = type as StripeTopic;
  if (topic === 'charge.refunded') {
    return { outcome: 'event', event: validateIntakeEvent(refundEvent(base, object, ctx.catalog)) };
  }
  if (topic === 'charge.dispute.created') {
    return { outcome: 'event', event: validateIntakeEvent(disputeEvent(base, object)) };
  }
  if (topic === 'invoice.paid') return invoiceEvent(base, object, ctx.catalog);
  if (topic === 'invoice_payment.paid') return invoicePaymentEvent(base, object);
  return sessionEvent(base, topic, object, ctx.catalog);
}
