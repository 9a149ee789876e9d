import type { WorkflowEvent } from './step-functions';

/** Where local mode writes: one line at a time (stdout by default). */
export type LineSink = (line: string) => void;

function clock(timestamp: number): string {
  return new Date(timestamp).toISOString().slice(11, 19);
}

/**
 * Turns workflow events into progress a person can follow: one line per state an order passes through
 * (order key, state, outcome), or one JSON object per line with `json`. Events carry state names and
 * error names only — never inputs, outputs or task tokens — so nothing secret can reach the terminal.
 */
export function progressPrinter(format: 'human' | 'json', sink: LineSink): (event: WorkflowEvent) => void {
  // The engine reports a failure before saying whether it is retried or caught; keep it for that line.
  const lastError = new Map<string, string>();
  // A Choice's outcome is the branch it took, known only when the next state is entered.
  const choices = new Map<string, WorkflowEvent>();
  const emit = (event: WorkflowEvent, outcome: string) => {
    const who = event.orderKey ?? event.executionName;
    if (format === 'json') {
      sink(
        JSON.stringify({
          time: new Date(event.timestamp).toISOString(),
          level: event.type === 'FAILED' || event.type === 'TIMED_OUT' ? 'ERROR' : 'INFO',
          message: 'workflow progress',
          orderKey: event.orderKey,
          execution: event.executionName,
          state: event.state,
          outcome,
          ...(event.error ? { error: event.error } : {}),
        }),
      );
      return;
    }
    sink(`${clock(event.timestamp)}  ${who}  ${event.state ?? '-'}  ${outcome}`);
  };
  return (event) => {
    const key = `${event.executionName}/${event.state ?? ''}`;
    const choice = choices.get(event.executionName);
    if (choice && (event.type === 'StateEntered' || !event.state)) {
      choices.delete(event.executionName);
      emit(choice, event.type === 'StateEntered' ? `→ ${event.state}` : 'ok');
    }
    let outcome: string | undefined;
    switch (event.type) {
      case 'ExecutionStarted':
        outcome = `started (${event.executionName})`;
        break;
      case 'StateEntered':
        // Only a callback wait is worth a line on entry: it may last until a payment arrives.
        if (event.stateType === 'Task' && /wait/i.test(event.state ?? '')) outcome = 'waiting';
        break;
      case 'StateFailed':
        lastError.set(key, event.error ?? 'error');
        break;
      case 'StateRetried':
        outcome = `retry (${lastError.get(key) ?? 'error'})`;
        break;
      case 'StateCaught':
        outcome = `caught (${lastError.get(key) ?? 'error'})`;
        lastError.delete(key);
        break;
      case 'StateExited':
        lastError.delete(key);
        if (event.stateType === 'Choice') choices.set(event.executionName, event);
        else outcome = 'ok';
        break;
      case 'SUCCEEDED':
        outcome = 'execution succeeded';
        break;
      default:
        outcome = `execution ${event.type.toLowerCase()}${event.error ? ` (${event.error})` : ''}`;
    }
    if (outcome !== undefined) emit(event, outcome);
  };
}
