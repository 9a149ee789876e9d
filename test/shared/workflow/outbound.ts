import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import type { OutboundDetailType } from '../../../shared/domain/outbound-events';
import { type EventsOut, eventBridgeEventsOut } from '../../../shared/workflow/events-out';

/** One PutEvents entry as the bus received it, its detail parsed. */
export interface PublishedEvent {
  source: string;
  detailType: OutboundDetailType;
  bus: string;
  detail: Record<string, unknown> & { eventId: string; orderKey: string };
}

/**
 * The real EventBridge adapter over a mocked client (the process edge): what the use cases published, entry by
 * entry, as PutEvents was asked. `failNext` makes the next call refuse every entry (FailedEntryCount).
 */
export function outboundRecorder(bus = 'test-bus') {
  const client = new EventBridgeClient({
    region: 'eu-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  // This instance only: two recorders in one file do not share (or restore) each other's mock.
  const mock = mockClient(client);
  const published: PublishedEvent[] = [];
  let failures = 0;
  mock.on(PutEventsCommand).callsFake((input: { Entries: Array<Record<string, string>> }) => {
    if (failures > 0) {
      failures -= 1;
      return {
        FailedEntryCount: input.Entries.length,
        Entries: input.Entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'test' })),
      };
    }
    for (const entry of input.Entries) {
      published.push({
        source: entry.Source as string,
        detailType: entry.DetailType as OutboundDetailType,
        bus: entry.EventBusName as string,
        detail: JSON.parse(entry.Detail as string),
      });
    }
    return { FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: randomUUID() })) };
  });
  const events: EventsOut = eventBridgeEventsOut(client, bus);
  return {
    events,
    published,
    /** The detail-types published so far, in order. */
    types: () => published.map((event) => event.detailType),
    failNext(count = 1) {
      failures = count;
    },
    clear() {
      published.length = 0;
    },
    restore: () => mock.restore(),
  };
}
