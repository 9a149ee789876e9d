import * as z from 'zod';
import { Providers } from './keys';

/**
 * The one normalized event every webhook and native EventBridge delivery maps to. It is the
 * `detail` of the bus event and the input of the `CustomerProvisioning` execution.
 */
export const OrderEventKinds = ['placed', 'paid', 'payment_confirmed', 'payment_failed', 'refunded'] as const;
export type OrderEventKind = (typeof OrderEventKinds)[number];

/** EventBridge `detail-type` per kind: past-tense facts. */
export const DetailTypes = {
  placed: 'Order Placed',
  paid: 'Order Paid',
  payment_confirmed: 'Payment Confirmed',
  payment_failed: 'Payment Failed',
  refunded: 'Order Refunded',
} as const satisfies Record<OrderEventKind, string>;

/** EventBridge `source` of events published by intake. */
export const EVENT_SOURCE = 'yay.provisioning';

/** Yay's address fields, as the create-customer body takes them. */
export const YayAddressSchema = z.object({
  street_one: z.string().min(1),
  street_two: z.string().optional(),
  city: z.string().min(1),
  state: z.string().optional(),
  zip: z.string().min(1),
  country_code: z.string().length(2),
});
export type YayAddress = z.infer<typeof YayAddressSchema>;

export const BuyerSchema = z.object({
  /** Full name as the store shows it; used as Yay `contact_name`. */
  name: z.string().min(1),
  firstName: z.string().min(1),
  lastName: z.string().min(1),
  email: z.string().email(),
  phone: z.string().optional(),
});
export type Buyer = z.infer<typeof BuyerSchema>;

export const CreditSchema = z.object({
  /** Integer thousandths of a pound; null when the catalog does not price the order. */
  amount: z.number().int().nonnegative().nullable(),
  /** ISO currency of the order as paid (e.g. "GBP"). */
  currency: z.string().length(3),
  /** Why `amount` is null (unpriced currency, unknown SKU); the order is recorded and flagged. */
  unpricedReason: z.string().optional(),
});
export type Credit = z.infer<typeof CreditSchema>;

export const OrderEventSchema = z.object({
  kind: z.enum(OrderEventKinds),
  provider: z.enum(Providers),
  store: z.string().min(1),
  orderId: z.string().min(1),
  /** `provider:store:orderId` */
  orderKey: z.string().min(1),
  /** `provider:store:customerId|email` */
  buyerKey: z.string().min(1),
  buyer: BuyerSchema,
  /** Present on placed/paid events; payment status events may omit it. */
  address: YayAddressSchema.optional(),
  credit: CreditSchema,
  /** Provider event or delivery id, for tracing and dedupe where it is stable. */
  sourceEventId: z.string().min(1),
  /** ISO-8601 time the provider says the event happened. */
  occurredAt: z.string().min(1),
});
export type OrderEvent = z.infer<typeof OrderEventSchema>;

/**
 * `Order Refunded` as intake can know it: an {@link OrderEvent} whose buyer may be unknown, because Shopify's
 * `refunds/create` payload carries only the order id (and a Stripe charge may lack billing details). A
 * refund is matched on `orderKey` alone, so consumers of `Order Refunded` parse with this schema.
 */
export const OrderRefundedEventSchema = OrderEventSchema.extend({
  kind: z.literal('refunded'),
  buyer: BuyerSchema.optional(),
  buyerKey: z.string().min(1).optional(),
});
export type OrderRefundedEvent = z.infer<typeof OrderRefundedEventSchema>;

/**
 * What dispatch reads from the bus: any order event, where a refund may lack the buyer (Shopify's
 * `refunds/create` carries only the order id). Discriminated on `kind`, so an error still names the field.
 */
export const BusOrderEventSchema = z.discriminatedUnion('kind', [
  OrderEventSchema.extend({ kind: z.enum(['placed', 'paid', 'payment_confirmed', 'payment_failed']) }),
  OrderRefundedEventSchema,
]);
export type BusOrderEvent = z.infer<typeof BusOrderEventSchema>;
