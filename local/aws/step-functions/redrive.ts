/** Step Functions' RedriveExecution rules: where a redrive resumes, when it is refused, and its client tokens. */
import type { ExecutionHistoryEvent, ExecutionRecord } from './execution-store';

/** Step Functions redrives an execution within 14 days of its end, and while its history is under 25,000 events. */
const REDRIVABLE_MS = 14 * 24 * 3600 * 1000;
const MAX_HISTORY_EVENTS = 24_999;
/** RedriveExecution answers the same for one of an execution's last 10 client tokens, for 15 minutes. */
const REDRIVE_TOKEN_MS = 15 * 60 * 1000;

/** Where a redrive resumes: the state the execution was in when it stopped, and that state's input. */
export function stoppedIn(
  events: readonly ExecutionHistoryEvent[],
): { state: string; input?: string } | undefined {
  const open: Array<{ state: string; input?: string }> = [];
  for (const event of events) {
    if (event.type.endsWith('StateEntered') && event.stateEnteredEventDetails?.name) {
      const { name, input } = event.stateEnteredEventDetails;
      open.push({ state: name, ...(input !== undefined ? { input } : {}) });
    } else if (event.type.endsWith('StateExited')) {
      open.pop();
    }
  }
  return open.at(-1);
}

/**
 * Why RedriveExecution would refuse the execution now, as DescribeExecution's `redriveStatusReason` says it;
 * undefined when it would not.
 */
export function redriveRefusal(
  record: ExecutionRecord,
  eventCount: number,
  now = Date.now(),
): string | undefined {
  if (record.status === 'RUNNING' || record.status === 'SUCCEEDED')
    return `Execution is ${record.status} and cannot be redriven`;
  if (record.startedBeforeRedrive) return 'Execution was started before the launch of RedriveExecution';
  if (eventCount >= MAX_HISTORY_EVENTS) return 'Execution history event limit exceeded';
  if (record.stopDate !== undefined && now - record.stopDate > REDRIVABLE_MS)
    return 'Execution redrivable period exceeded';
  return undefined;
}

/** The client tokens an execution was redriven with: the last 10, each answered again for 15 minutes. */
export class RedriveTokens {
  private readonly used = new Map<string, Array<{ token: string; at: number; redriveDate: number }>>();

  /** The redrive date a token already got, if it is one of the execution's recent ones. */
  seen(executionArn: string, clientToken: string | undefined, now: number): number | undefined {
    if (!clientToken) return undefined;
    return this.recent(executionArn, now).find((used) => used.token === clientToken)?.redriveDate;
  }

  /** Keeps a token the execution was just redriven with. */
  remember(executionArn: string, clientToken: string | undefined, now: number): void {
    if (!clientToken) return;
    this.used.set(executionArn, [
      ...this.recent(executionArn, now).slice(-9),
      { token: clientToken, at: now, redriveDate: now },
    ]);
  }

  private recent(executionArn: string, now: number) {
    return (this.used.get(executionArn) ?? []).filter((used) => now - used.at < REDRIVE_TOKEN_MS);
  }
}
