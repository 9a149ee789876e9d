import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { OUTBOUND_SOURCE, type OutboundEvent } from '../domain/outbound-events';
import { DependencyUnavailable } from '../errors';

/**
 * Publishes outbound facts (shared/domain/outbound-events.ts) on the provisioning bus, at least once: a step that
 * is retried publishes again, and the event's stable `detail.eventId` lets consumers drop the repeat.
 */
export interface EventsOut {
  publish(events: readonly OutboundEvent[]): Promise<void>;
}

/** PutEvents allows ten entries per call. */
const BATCH = 10;

/**
 * PutEvents to the provisioning bus with `Source` {@link OUTBOUND_SOURCE}. A refused entry (PutEvents answers 200
 * with `FailedEntryCount`) is {@link DependencyUnavailable}: the step is retried, never silently short of a fact.
 */
export function eventBridgeEventsOut(client: EventBridgeClient, eventBusName: string): EventsOut {
  return {
    async publish(events) {
      for (let start = 0; start < events.length; start += BATCH) {
        const batch = events.slice(start, start + BATCH);
        const out = await client.send(
          new PutEventsCommand({
            Entries: batch.map((event) => ({
              EventBusName: eventBusName,
              Source: OUTBOUND_SOURCE,
              DetailType: event.detailType,
              Detail: JSON.stringify(event.detail),
            })),
          }),
        );
        if ((out.FailedEntryCount ?? 0) > 0) {
          const failed = out.Entries?.find((entry) => entry.ErrorCode);
          throw new DependencyUnavailable(
            `PutEvents refused ${out.FailedEntryCount} outbound event(s): ${failed?.ErrorCode ?? 'unknown'}`,
          );
        }
      }
    },
  };
}
