/** The events published for other systems, as `ops events` and the console read them back. */
import { existsSync, readFileSync } from 'node:fs';
import { type CloudWatchLogsClient, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import { OpsError } from './errors';

/** One published event as `ops events` shows it. */
export interface PublishedLine {
  time: string;
  detailType: string;
  detail: Record<string, unknown>;
}

function publishedLine(event: { time?: string; 'detail-type'?: string; detail?: unknown }): PublishedLine {
  return {
    time: event.time ?? '',
    detailType: event['detail-type'] ?? '',
    detail: (event.detail ?? {}) as Record<string, unknown>,
  };
}

/** Local mode's copy of the outbound-events log group: one event per line. */
export function localEventLines(file: string | undefined, orderKey: string | undefined): PublishedLine[] {
  if (!file) throw new OpsError('this local mode records no outbound events (restart it with this version)');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => publishedLine(JSON.parse(line)))
    .filter((line) => orderKey === undefined || line.detail.orderKey === orderKey);
}

/** The outbound-events log group, every page (FilterLogEvents), filtered server-side by order when asked. */
export async function logGroupEventLines(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  orderKey: string | undefined,
): Promise<PublishedLine[]> {
  const lines: PublishedLine[] = [];
  const filterPattern = orderKey ? `{ $.detail.orderKey = ${JSON.stringify(orderKey)} }` : undefined;
  for await (const page of paginateFilterLogEvents(
    { client: logs },
    { logGroupName, ...(filterPattern ? { filterPattern } : {}) },
  )) {
    for (const event of page.events ?? []) {
      if (event.message) lines.push(publishedLine(JSON.parse(event.message)));
    }
  }
  return lines.sort((a, b) => a.time.localeCompare(b.time));
}
