/** An execution's history as the operator tools show it: types, states and error names; anything secret masked. */
import {
  GetExecutionHistoryCommand,
  type HistoryEvent,
  paginateGetExecutionHistory,
  type SFNClient,
} from '@aws-sdk/client-sfn';

/**
 * One event of an execution's history, as the console and `ops status` show it: its type as Step Functions names it
 * (`TaskStateEntered`, `LambdaFunctionFailed`, `ExecutionSucceeded`, …), the state, the error name, and a state's
 * input or output as the Step Functions console shows them. Never a task's parameters (a callback's task token is
 * there), and a `taskToken` anywhere in an input or output is masked.
 */
export interface HistoryEntry {
  at: string;
  type: string;
  /** The state entered or left, when the event is about one. */
  state?: string;
  /** The error name of a failed task or execution. */
  error?: string;
  /** The state's input (`…StateEntered`) or output (`…StateExited`), JSON text, masked. */
  input?: string;
  output?: string;
  /** How many events of a long history were left out just before this one. */
  omitted?: number;
}

/**
 * At most this many events of one execution are read from its start, and this many more from its end (a Standard
 * execution's history has no fixed bound).
 */
const MAX_HISTORY = 500;

const TAIL_HISTORY = 100;

/** What the console shows in place of a task token found in a state's input or output. */
export const MASKED = '(masked)';

/** The JSON text with every member whose name says token masked; text that is not JSON is not shown at all. */
function masked(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.stringify(
      JSON.parse(text),
      (key, value) => (/token/i.test(key) && typeof value === 'string' ? MASKED : value),
      2,
    );
  } catch {
    return undefined;
  }
}

function entryOf(event: HistoryEvent): HistoryEntry {
  const state = event.stateEnteredEventDetails?.name ?? event.stateExitedEventDetails?.name;
  const error =
    event.executionFailedEventDetails?.error ??
    event.taskFailedEventDetails?.error ??
    event.lambdaFunctionFailedEventDetails?.error ??
    event.taskTimedOutEventDetails?.error ??
    event.lambdaFunctionTimedOutEventDetails?.error ??
    event.executionTimedOutEventDetails?.error ??
    event.executionAbortedEventDetails?.error;
  const input = masked(event.stateEnteredEventDetails?.input);
  const output = masked(event.stateExitedEventDetails?.output);
  return {
    at: event.timestamp?.toISOString() ?? '',
    type: event.type ?? '',
    ...(state ? { state } : {}),
    ...(error ? { error } : {}),
    ...(input !== undefined ? { input } : {}),
    ...(output !== undefined ? { output } : {}),
  };
}

/**
 * An execution's history, each event reduced to its time, type, state, error name and a state's data: every page up to
 * MAX_HISTORY events (the SDK's paginator), and past that the newest TAIL_HISTORY events (read in reverse), the first
 * of them saying how many were left out — so a long history (an hourly retry runs for a week) still shows how it ends.
 * Undefined when Step Functions does not know the execution.
 */
export async function executionHistory(
  sfn: SFNClient,
  executionArn: string,
): Promise<HistoryEntry[] | undefined> {
  const entries: HistoryEntry[] = [];
  let lastId = 0;
  let more = false;
  try {
    for await (const page of paginateGetExecutionHistory({ client: sfn, pageSize: 200 }, { executionArn })) {
      for (const event of page.events ?? []) {
        if (entries.length === MAX_HISTORY) {
          more = true;
          break;
        }
        entries.push(entryOf(event));
        lastId = event.id ?? lastId;
      }
      if (more || entries.length === MAX_HISTORY) {
        more ||= page.nextToken !== undefined;
        break;
      }
    }
    if (!more) return entries;
    const newest = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: TAIL_HISTORY }),
    );
    const tail = (newest.events ?? []).filter((event) => (event.id ?? 0) > lastId).reverse();
    const firstId = tail[0]?.id ?? lastId + 1;
    return [
      ...entries,
      ...tail.map((event, i) => ({
        ...entryOf(event),
        ...(i === 0 && firstId > lastId + 1 ? { omitted: firstId - lastId - 1 } : {}),
      })),
    ];
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}
