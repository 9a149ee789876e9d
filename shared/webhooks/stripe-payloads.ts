/**
 * What Stripe sends, as far as intake reads it: the event envelope and the objects of the topics it acts on, across
 * the API versions still in use. Only what keys an order is required; everything else is optional.
 */
import * as z from 'zod';

const Metadata = z.record(z.string(), z.string()).nullish();

/** An address as Stripe sends it (customer, billing, shipping). */
export const StripeAddress = z
  .object({
    line1: z.string().nullish(),
    line2: z.string().nullish(),
    city: z.string().nullish(),
    state: z.string().nullish(),
    postal_code: z.string().nullish(),
    country: z.string().nullish(),
  })
  .nullish();
export type StripeAddress = z.infer<typeof StripeAddress>;

/** A shipping recipient (`shipping_details`, `collected_information.shipping_details`, `customer_shipping`). */
const StripeShipping = z.object({ name: z.string().nullish(), address: StripeAddress }).nullish();

/** An id that an API version may send expanded into an object. */
const ExpandableId = z
  .union([z.string(), z.object({ id: z.string() })])
  .nullish()
  .transform((value) => (typeof value === 'string' ? value : value?.id));

/** Read first, alone: a type intake does not act on is acknowledged whatever the rest of the event holds. */
export const StripeEventTypeSchema = z.object({ type: z.string().min(1) });

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
    email: z.string().nullish(),
    phone: z.string().nullish(),
    address: StripeAddress,
  })
  .nullish();

/**
 * The fields of a Checkout Session intake reads. Only what keys the order is required: a genuine session may
 * carry no name, no e-mail or (Checkout's default) only country and postcode.
 */
export const CheckoutSessionSchema = z.object({
  id: z.string().min(1),
  object: z.literal('checkout.session').optional(),
  mode: z.string().nullish(),
  currency: z.string().length(3).nullish(),
  customer: ExpandableId,
  customer_email: z.string().nullish(),
  customer_details: StripeContact,
  /** Older API versions put the collected shipping address here… */
  shipping_details: StripeShipping,
  /** …current ones here. */
  collected_information: z.object({ shipping_details: StripeShipping }).nullish(),
  metadata: Metadata,
  payment_intent: ExpandableId,
  /** `paid`, `unpaid` (an asynchronous method such as Bacs or SEPA still settling), `no_payment_required`. */
  payment_status: z.string().min(1),
  /** What the buyer pays, minor units (null on Stripe's own synthetic sample). */
  amount_total: z.number().int().nullish(),
  total_details: z.object({ amount_shipping: z.number().int().nullish() }).nullish(),
});

/** The fields of a Charge intake reads (for `charge.refunded`). */
export const ChargeSchema = z.object({
  id: z.string().min(1),
  object: z.literal('charge').optional(),
  currency: z.string().length(3),
  customer: ExpandableId,
  billing_details: StripeContact,
  receipt_email: z.string().nullish(),
  metadata: Metadata,
  payment_intent: ExpandableId,
  /** The invoice the charge paid; API versions before 2025-03-31.basil only. */
  invoice: ExpandableId,
  /**
   * Minor units refunded so far: a running total over all of the charge's refunds. Stripe always sends it; a body
   * without it is still a refund, recorded with no amount for a person to weigh.
   */
  amount_refunded: z.number().int().nullish(),
});

/** The fields of a Dispute intake reads (for `charge.dispute.created`). */
export const DisputeSchema = z.object({
  id: z.string().min(1),
  object: z.literal('dispute').optional(),
  amount: z.number().int(),
  currency: z.string().length(3),
  charge: ExpandableId,
  payment_intent: ExpandableId,
  status: z.string().nullish(),
});

/**
 * The fields of an InvoicePayment intake reads (for `invoice_payment.paid`): how API versions from basil on tell
 * which PaymentIntent paid an invoice, which the invoice itself no longer carries.
 */
export const InvoicePaymentSchema = z.object({
  id: z.string().min(1),
  object: z.literal('invoice_payment').optional(),
  invoice: ExpandableId,
  amount_paid: z.number().int().nullish(),
  currency: z.string().length(3),
  payment: z.object({ payment_intent: ExpandableId }).nullish(),
});

/** A price as an invoice line carries it before 2025-03-31.basil (`price`), or as its id after (`pricing`). */
const PriceRef = z.object({ id: z.string().min(1), lookup_key: z.string().nullish() }).nullish();

/** One line of an invoice: what it priced, and how many. */
export const InvoiceLine = z.object({
  quantity: z.number().int().nonnegative().nullish(),
  price: PriceRef,
  pricing: z
    .object({
      price_details: z.object({ price: z.union([z.string().min(1), PriceRef]).nullish() }).nullish(),
    })
    .nullish(),
});

/**
 * The fields of an Invoice intake reads (for `invoice.paid`), in the current API version's shape (lines priced
 * through `pricing.price_details.price`) and the previous one (lines carry the `price` object; the invoice
 * carries `payment_intent`).
 */
export const InvoiceSchema = z.object({
  id: z.string().min(1),
  object: z.literal('invoice').optional(),
  billing_reason: z.string().nullish(),
  currency: z.string().length(3),
  customer: ExpandableId,
  customer_email: z.string().nullish(),
  customer_name: z.string().nullish(),
  customer_phone: z.string().nullish(),
  customer_address: StripeAddress,
  customer_shipping: StripeShipping,
  lines: z.object({ data: z.array(InvoiceLine) }),
  payment_intent: ExpandableId,
  /** What was due and what was paid, minor units (0 for a free trial's first invoice). */
  amount_due: z.number().int().nullish(),
  amount_paid: z.number().int().nullish(),
});
