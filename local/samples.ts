import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

/** A sample buyer: obvious fakes only. */
export interface SampleBuyer {
  name: string;
  email: string;
  /** Stripe customer id; a repeat buyer reuses it. */
  customerId?: string;
}

export interface StripeCheckoutSample {
  /** Checkout Session id (`cs_test_…`): the order id. Default: a fresh one. */
  sessionId?: string;
  type?:
    | 'checkout.session.completed'
    | 'checkout.session.async_payment_succeeded'
    | 'checkout.session.async_payment_failed';
  paymentStatus?: 'paid' | 'unpaid';
  buyer?: SampleBuyer;
  /** GBP, three decimals on the wire, e.g. "10.000". */
  credit?: string;
  /** Stripe event id; a redelivery of the same event repeats it. Default: a fresh one. */
  eventId?: string;
}

export const SAMPLE_BUYER: SampleBuyer = {
  name: 'Geoff Wilson',
  email: 'geoff.wilson@example.com',
  customerId: 'cus_test_local_geoff',
};

/** A fresh test-mode id with Stripe's prefix. */
export function sampleId(prefix: string): string {
  return `${prefix}_test_${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`;
}

/**
 * A Stripe event carrying a Checkout Session, shaped as Stripe sends it (the fields intake reads plus the
 * envelope). `checkout.session.completed` with `unpaid` is an asynchronous payment still settling.
 */
export function stripeCheckoutEvent(sample: StripeCheckoutSample = {}): Record<string, unknown> {
  const buyer = sample.buyer ?? SAMPLE_BUYER;
  const type = sample.type ?? 'checkout.session.completed';
  const paymentStatus = sample.paymentStatus ?? (type === 'checkout.session.completed' ? 'paid' : 'paid');
  return {
    id: sample.eventId ?? sampleId('evt'),
    object: 'event',
    api_version: '2025-03-31.basil',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type,
    data: {
      object: {
        id: sample.sessionId ?? sampleId('cs'),
        object: 'checkout.session',
        mode: 'payment',
        currency: 'gbp',
        amount_total: 1000,
        customer: buyer.customerId ?? null,
        customer_email: buyer.email,
        customer_details: {
          name: buyer.name,
          email: buyer.email,
          phone: null,
          address: {
            line1: 'Westbury House',
            line2: null,
            city: 'Guildford',
            state: 'Surrey',
            postal_code: 'GU2 4AW',
            country: 'GB',
          },
        },
        metadata: { yay_credit: sample.credit ?? '10.000' },
        payment_intent: sampleId('pi'),
        payment_status: type === 'checkout.session.async_payment_failed' ? 'unpaid' : paymentStatus,
        status: 'complete',
      },
    },
  };
}

/** The `Stripe-Signature` header for `body`, made by Stripe's own library (`t=…,v1=…`). */
export function signStripe(body: string, secret: string, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret,
    ...(timestamp === undefined ? {} : { timestamp }),
  });
}

/** One webhook delivery's answer. */
export interface DeliveryResult {
  status: number;
  body: string;
}

/** POSTs a Stripe event, signed with `secret`, to `<baseUrl>/webhooks/stripe`. */
export async function sendStripeEvent(
  baseUrl: string,
  secret: string,
  event: Record<string, unknown>,
  options: { signature?: string } = {},
): Promise<DeliveryResult> {
  const body = JSON.stringify(event);
  const response = await fetch(`${baseUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': options.signature ?? signStripe(body, secret),
    },
    body,
  });
  return { status: response.status, body: await response.text() };
}

/** The order key intake derives for a Stripe session (no Connect account → store `default`). */
export function stripeOrderKey(event: Record<string, unknown>): string {
  const session = (event.data as { object: { id: string } }).object;
  const store = typeof event.account === 'string' ? event.account : 'default';
  return `stripe:${store}:${session.id}`;
}
