import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DetailTypes, EVENT_SOURCE } from '../domain/order-event';
import type { IntakeEvent } from './events';

/** Publishes one normalized event; resolves only once the bus has durably accepted it. */
export interface OrderEventPublisher {
  publish(event: IntakeEvent): Promise<void>;
}

/** The bus refused the entry (FailedEntryCount > 0) or could not be reached: the sender must retry. */
export class PublishFailed extends Error {
  override readonly name = 'PublishFailed';
}

/**
 * PutEvents to the provisioning bus: `Source` {@link EVENT_SOURCE}, `DetailType` per kind, `Detail` the
 * event as JSON. PutEvents answers 200 even when an entry is refused, so `FailedEntryCount` is checked;
 * a refused entry is an error, never a silent success.
 */
export function eventBridgePublisher(client: EventBridgeClient, eventBusName: string): OrderEventPublisher {
  return {
    async publish(event) {
      const result = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: eventBusName,
              Source: EVENT_SOURCE,
              DetailType: DetailTypes[event.kind],
              Detail: JSON.stringify(event),
            },
          ],
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        const entry = result.Entries?.[0];
        throw new PublishFailed(
          `PutEvents refused the entry: ${entry?.ErrorCode ?? 'unknown error'} ${entry?.ErrorMessage ?? ''}`.trim(),
        );
      }
    },
  };
}
