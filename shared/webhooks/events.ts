import { type Provider, Providers } from '../domain/keys';
import { type OrderEvent, OrderEventSchema } from '../domain/order-event';
import { parseField } from './payload';

/** What intake publishes as the `detail` of one bus event. */
export type IntakeEvent = OrderEvent;

/**
 * Validates an assembled event against the published contract, the last guard before PutEvents; a
 * failure is a {@link MalformedPayload} naming the normalized field (e.g. `orderId`).
 */
export function validateIntakeEvent(event: IntakeEvent): IntakeEvent {
  return parseField(OrderEventSchema, event, '');
}

/** A normalizer's verdict: one event to publish, or a topic this system does not act on. */
export type Normalized = { outcome: 'event'; event: IntakeEvent } | { outcome: 'ignored'; topic: string };

/** Narrows a path segment to a provider this intake serves. */
export function isProvider(value: string | undefined): value is Provider {
  return value !== undefined && (Providers as readonly string[]).includes(value);
}
