import * as z from 'zod';
import { Providers } from './keys';
import { MoneyFactSchema, OrderMoneySchema } from './money';

/**
 * The one normalized event every webhook and native EventBridge delivery maps to. It is the
 * `detail` of the bus event and the input of the `CustomerProvisioning` execution.
 */
export const OrderEventKinds = [
  'placed',
  'paid',
  'payment_confirmed',
  'payment_failed',
  'refunded',
  'disputed',
] as const;
export type OrderEventKind = (typeof OrderEventKinds)[number];

/** EventBridge `detail-type` per kind: past-tense facts. */
export const DetailTypes = {
  placed: 'Order Placed',
  paid: 'Order Paid',
  payment_confirmed: 'Payment Confirmed',
  payment_failed: 'Payment Failed',
  refunded: 'Order Refunded',
  disputed: 'Order Disputed',
} as const satisfies Record<OrderEventKind, string>;

/** EventBridge `source` of events published by intake. */
export const EVENT_SOURCE = 'yay.provisioning';

/** Yay's address fields, as the create-customer body takes them: complete. */
export const YayAddressSchema = z.object({
  street_one: z.string().min(1),
  street_two: z.string().optional(),
  city: z.string().min(1),
  state: z.string().optional(),
  zip: z.string().min(1),
  country_code: z.string().length(2),
});
export type YayAddress = z.infer<typeof YayAddressSchema>;

/**
 * An address as far as the store gave it, in Yay's field names. Any part may be missing: create-customer
 * decides whether a new customer can be made from it, and a person completes the rest (`ops complete`).
 */
export const PartialAddressSchema = z.object({
  street_one: z.string().optional(),
  street_two: z.string().optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  zip: z.string().optional(),
  country_code: z.string().optional(),
});
export type PartialAddress = z.infer<typeof PartialAddressSchema>;

/**
 * The buyer as the store described them. Every field may be missing in a genuine order (a phone order with no
 * e-mail, an empty first name): such an order is accepted and waits for a person, never refused at intake.
 */
export const BuyerSchema = z.object({
  /** Full name as the store shows it; used as Yay `contact_name`. */
  name: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
});
export type Buyer = z.infer<typeof BuyerSchema>;

export const CreditSchema = z.object({
  /** Integer thousandths of a pound; null when the catalog does not price the order. */
  amount: z.number().int().nonnegative().nullable(),
  /** ISO currency of the order as paid (e.g. "GBP"). */
  currency: z.string().length(3),
  /** Why `amount` is null (unpriced currency, unknown SKU); the order waits for a person. */
  unpricedReason: z.string().optional(),
});
export type Credit = z.infer<typeof CreditSchema>;

/**
 * The one normalized event of every kind. Refunds and payment events may lack the buyer (Shopify's
 * `refunds/create` carries only the order id), so `buyer` and `buyerKey` are optional throughout; the steps
 * that need them say so by name.
 */
export const OrderEventSchema = z.object({
  kind: z.enum(OrderEventKinds),
  provider: z.enum(Providers),
  store: z.string().min(1),
  orderId: z.string().min(1),
  /** `provider:store:orderId` */
  orderKey: z.string().min(1),
  /** `provider:store:customerId|email`; absent when the store sent neither. */
  buyerKey: z.string().min(1).optional(),
  buyer: BuyerSchema.optional(),
  address: PartialAddressSchema.optional(),
  credit: CreditSchema,
  /**
   * The provider's id of the payment itself, which its refunds carry (Stripe: the PaymentIntent of a Checkout
   * Session or invoice, `pi_…`). Recorded with the order so a refund finds it without store-side metadata.
   */
  paymentRef: z.string().min(1).optional(),
  /**
   * What the order costs, in the store's words (its total, currency and whether it is one credit line): the
   * figures a refund or payment is judged against. Set on the events that describe the whole order.
   */
  money: OrderMoneySchema.optional(),
  /**
   * The money facts this event reports: a payment, refunds (a WooCommerce update carries all of them so far), a
   * dispute, a failure. Each is recorded once on the order by its provider id; the credit owed is derived from them.
   */
  facts: z.array(MoneyFactSchema).optional(),
  /** Provider event or delivery id, for tracing and dedupe where it is stable. */
  sourceEventId: z.string().min(1),
  /** ISO-8601 time the provider says the event happened. */
  occurredAt: z.string().min(1),
});
export type OrderEvent = z.infer<typeof OrderEventSchema>;
