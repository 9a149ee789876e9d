import * as z from 'zod';
import { parseCredit } from '../domain/credit';
import { buyerKey, orderKey } from '../domain/keys';
import type { Buyer, Credit, OrderEventKind, YayAddress } from '../domain/order-event';
import { type CreditCatalog, creditForLines } from './catalog';
import { type IntakeEvent, type Normalized, validateIntakeEvent } from './events';
import { MalformedPayload, parseField, required, splitName, toYayAddress } from './payload';

/** Stripe event types intake acts on, and the order kind each becomes. */
export const StripeTopics = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'charge.refunded',
] as const;

const Metadata = z.record(z.string(), z.string()).nullish();

const StripeAddress = z
  .object({
    line1: z.string().nullish(),
    line2: z.string().nullish(),
    city: z.string().nullish(),
    state: z.string().nullish(),
    postal_code: z.string().nullish(),
    country: z.string().nullish(),
  })
  .nullish();

/** The envelope of every Stripe event (`object: "event"`), webhook or EventBridge. */
export const StripeEventSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  created: z.number().int().nonnegative(),
  /** Set for Connect events: the connected account the event belongs to. */
  account: z.string().min(1).nullish(),
  data: z.object({ object: z.unknown() }),
});

/** `customer_details` of a session, `billing_details` of a charge: the same shape. */
const StripeContact = z
  .object({
    name: z.string().nullish(),
    email: z.email().nullish(),
    phone: z.string().nullish(),
    address: StripeAddress,
  })
  .nullish();

/** The fields of a Checkout Session intake reads. */
export const CheckoutSessionSchema = z.object({
  id: z.string().min(1),
  object: z.literal('checkout.session'),
  currency: z.string().length(3).nullish(),
  customer: z.string().nullish(),
  customer_email: z.string().nullish(),
  customer_details: StripeContact,
  metadata: Metadata,
  payment_intent: z.string().nullish(),
  payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
});

/** The fields of a Charge intake reads (for `charge.refunded`). */
export const ChargeSchema = z.object({
  id: z.string().min(1),
  object: z.literal('charge'),
  currency: z.string().length(3),
  customer: z.string().nullish(),
  billing_details: StripeContact,
  receipt_email: z.email().nullish(),
  metadata: Metadata,
  payment_intent: z.string().nullish(),
});

/** What the Stripe normalizer needs besides the payload. */
export interface StripeContext {
  catalog: CreditCatalog;
  /** Store id when the event is not a Connect event (no `account`); defaults to `default`. */
  defaultStore?: string;
}

const OBJECT = 'data.object';

function stripeCredit(
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
      throw new MalformedPayload(
        'invalid_payload',
        `${OBJECT}.metadata.yay_credit: ${error instanceof Error ? error.message : 'invalid'}`,
      );
    }
  }
  const sku = metadata?.sku;
  if (sku !== undefined) return creditForLines(catalog, code, [{ sku, quantity: 1 }]);
  return {
    amount: null,
    currency: code,
    unpricedReason: 'no metadata.yay_credit or metadata.sku on the payment',
  };
}

function stripeBuyer(
  details: { name?: string | null; email?: string | null; phone?: string | null } | null | undefined,
  fallbackEmail: string | null | undefined,
  field: string,
): Buyer {
  const name = required(details?.name, `${OBJECT}.${field}.name`).trim();
  const email = required(details?.email ?? fallbackEmail, `${OBJECT}.${field}.email`);
  return buyerOf(name, email, details?.phone);
}

// The events below are built field by field, not with object spread: `{ ...base, … }` and
// `{ name, ...splitName(name) }` cost about half of normalizeStripe's time per event (CPU profile of the
// intake benchmark: V8 clones the spread source, then grows the copy one property at a time).
function buyerOf(name: string, email: string, phone: string | null | undefined): Buyer {
  const { firstName, lastName } = splitName(name);
  const buyer: Buyer = { name, firstName, lastName, email };
  if (phone) buyer.phone = phone;
  return buyer;
}

type StripeAddressFields = z.infer<typeof StripeAddress>;

function stripeAddress(address: StripeAddressFields): YayAddress | undefined {
  if (!address) return undefined;
  return toYayAddress({
    line1: address.line1,
    line2: address.line2,
    city: address.city,
    state: address.state,
    zip: address.postal_code,
    country: address.country,
  });
}

/**
 * Maps a Stripe event to an order event.
 *
 * - `checkout.session.completed`: `payment_status` paid (or no payment required) → `paid`; unpaid (an
 *   asynchronous method such as Bacs or SEPA still settling) → `placed`.
 * - `checkout.session.async_payment_succeeded` → `payment_confirmed`; `…_failed` → `payment_failed`.
 * - `charge.refunded` → `refunded`. A Charge does not name its Checkout Session, and intake keeps no
 *   lookup table, so the order is taken from the charge's metadata: `checkout_session_id` (the store copies
 *   the session id into the PaymentIntent's metadata, which Stripe copies onto its charges). Without it,
 *   the refund is keyed by the PaymentIntent id, which matches no order: downstream then records an unmatched
 *   refund for a person instead of guessing.
 *
 * Store: the Connect `account` when present, else `defaultStore`.
 */
export function normalizeStripe(payload: unknown, ctx: StripeContext): Normalized {
  const event = parseField(StripeEventSchema, payload, '');
  const store = event.account ?? ctx.defaultStore ?? 'default';
  const occurredAt = new Date(event.created * 1000).toISOString();

  if (event.type === 'charge.refunded') {
    const charge = parseField(ChargeSchema, event.data.object, OBJECT);
    const orderId =
      charge.metadata?.checkout_session_id ?? required(charge.payment_intent, `${OBJECT}.payment_intent`);
    const refund: IntakeEvent = {
      provider: 'stripe',
      store,
      sourceEventId: event.id,
      occurredAt,
      kind: 'refunded',
      orderId,
      orderKey: orderKey('stripe', store, orderId),
      credit: stripeCredit(charge.metadata, charge.currency, ctx.catalog),
    };
    const name = charge.billing_details?.name?.trim();
    const email = charge.billing_details?.email ?? charge.receipt_email;
    if (name && email) refund.buyer = buyerOf(name, email, charge.billing_details?.phone);
    if (email) refund.buyerKey = buyerKey('stripe', store, charge.customer ?? undefined, email);
    return { outcome: 'event', event: validateIntakeEvent(refund) };
  }

  let kind: OrderEventKind;
  switch (event.type) {
    case 'checkout.session.completed':
      kind = 'paid';
      break;
    case 'checkout.session.async_payment_succeeded':
      kind = 'payment_confirmed';
      break;
    case 'checkout.session.async_payment_failed':
      kind = 'payment_failed';
      break;
    default:
      return { outcome: 'ignored', topic: event.type };
  }
  const session = parseField(CheckoutSessionSchema, event.data.object, OBJECT);
  if (kind === 'paid' && session.payment_status === 'unpaid') kind = 'placed';
  const buyer = stripeBuyer(session.customer_details, session.customer_email, 'customer_details');
  const currency = required(session.currency, `${OBJECT}.currency`);
  const orderEvent: IntakeEvent = {
    provider: 'stripe',
    store,
    sourceEventId: event.id,
    occurredAt,
    kind,
    orderId: session.id,
    orderKey: orderKey('stripe', store, session.id),
    buyerKey: buyerKey('stripe', store, session.customer ?? undefined, buyer.email),
    buyer,
    credit: stripeCredit(session.metadata, currency, ctx.catalog),
  };
  const address = stripeAddress(session.customer_details?.address);
  if (address) orderEvent.address = address;
  return { outcome: 'event', event: validateIntakeEvent(orderEvent) };
}
