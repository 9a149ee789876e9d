import { z } from 'zod';
import { type Provider, Providers } from '../domain/keys';
import { BuyerSchema, type OrderEvent, OrderEventSchema } from '../domain/order-event';
import { parseField } from './payload';

/**
 * `Order Refunded` as intake can know it: an {@link OrderEvent} whose buyer may be unknown, because
 * Shopify's `refunds/create` payload carries only the order id and a Stripe charge may lack billing
 * details. The order key is always present; that is what a refund is matched on downstream.
 */
export const OrderRefundedEventSchema = OrderEventSchema.extend({
  kind: z.literal('refunded'),
  buyer: BuyerSchema.optional(),
  buyerKey: z.string().min(1).optional(),
});
export type OrderRefundedEvent = z.infer<typeof OrderRefundedEventSchema>;

/** What intake publishes as the `detail` of one bus event. */
export type IntakeEvent = OrderEvent | OrderRefundedEvent;

/**
 * Validates an assembled event against the published contract, the last guard before PutEvents; a
 * failure is a {@link MalformedPayload} naming the normalized field (e.g. `buyer.email`).
 */
export function validateIntakeEvent(event: IntakeEvent): IntakeEvent {
  if (event.kind === 'refunded') return parseField(OrderRefundedEventSchema, event, '');
  return parseField(OrderEventSchema, event, '');
}

/** A normalizer's verdict: one event to publish, or a topic this system does not act on. */
export type Normalized = { outcome: 'event'; event: IntakeEvent } | { outcome: 'ignored'; topic: string };

/** Narrows a path segment to a provider this intake serves. */
export function isProvider(value: string | undefined): value is Provider {
  return value !== undefined && (Providers as readonly string[]).includes(value);
}
