import type { ExecutionHistoryEvent, HistoryNotice } from '../aws/step-functions/engine';

/** Where local mode writes: one line at a time (stdout by default). */
export type LineSink = (line: string) => void;

/** One line of progress: a state an execution passed through, or the execution itself, and how it went. */
export interface ProgressStep {
  timestamp: number;
  /** Undefined for a line about the execution (started, redriven, ended). */
  state?: string;
  outcome: string;
  /** The error a failure, retry or catch was about, by name. */
  error?: string;
  /** The execution failed or timed out. */
  failed?: boolean;
}

const TASK_FAILURES = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
]);
const TASK_SCHEDULED = new Set(['TaskScheduled', 'LambdaFunctionScheduled']);

function errorOf(event: ExecutionHistoryEvent): string | undefined {
  return (
    event.taskFailedEventDetails?.error ??
    event.taskTimedOutEventDetails?.error ??
    event.lambdaFunctionFailedEventDetails?.error ??
    event.lambdaFunctionTimedOutEventDetails?.error ??
    event.executionFailedEventDetails?.error ??
    event.executionTimedOutEventDetails?.error ??
    event.executionAbortedEventDetails?.error
  );
}

/**
 * Reads one execution's history, event by event, as the steps a person follows: each state left (`ok`, or `caught
 * (<error>)` when its task failed and a Catch took it), each retry (`retry (<error>)`: a task failed and was
 * scheduled again), a callback task `waiting` once its function has returned, a Choice by the branch it took, and
 * the execution's start, redrive and end. Only names and error names are read — never an input, an output or a
 * task's parameters — so nothing secret can reach a line.
 */
export function progressReader(executionName: string): (event: ExecutionHistoryEvent) => ProgressStep[] {
  let state: string | undefined;
  let failure: string | undefined;
  let choice: ProgressStep | undefined;
  return (event) => {
    const steps: ProgressStep[] = [];
    const at = event.timestamp;
    if (choice && (event.type.endsWith('StateEntered') || event.type.startsWith('Execution'))) {
      const next = event.stateEnteredEventDetails?.name;
      steps.push({ ...choice, outcome: next ? `→ ${next}` : 'ok' });
      choice = undefined;
    }
    if (event.type.endsWith('StateEntered')) {
      state = event.stateEnteredEventDetails?.name;
      failure = undefined;
    } else if (event.type.endsWith('StateExited')) {
      const name = event.stateExitedEventDetails?.name ?? state;
      if (failure !== undefined)
        steps.push({ timestamp: at, state: name, outcome: `caught (${failure})`, error: failure });
      else if (event.type === 'ChoiceStateExited')
        choice = { timestamp: at, ...(name ? { state: name } : {}), outcome: 'ok' };
      else steps.push({ timestamp: at, ...(name ? { state: name } : {}), outcome: 'ok' });
      failure = undefined;
    } else if (TASK_FAILURES.has(event.type)) {
      failure = errorOf(event) ?? 'error';
    } else if (TASK_SCHEDULED.has(event.type) && failure !== undefined) {
      steps.push({
        timestamp: at,
        ...(state ? { state } : {}),
        outcome: `retry (${failure})`,
        error: failure,
      });
      failure = undefined;
    } else if (
      event.type === 'TaskSubmitted' &&
      event.taskSubmittedEventDetails?.resource?.endsWith('waitForTaskToken')
    ) {
      steps.push({ timestamp: at, ...(state ? { state } : {}), outcome: 'waiting' });
    } else if (event.type === 'ExecutionStarted') {
      steps.push({ timestamp: at, outcome: `started (${executionName})` });
    } else if (event.type === 'ExecutionRedriven') {
      steps.push({
        timestamp: at,
        outcome: `redriven (${event.executionRedrivenEventDetails?.redriveCount ?? 1})`,
      });
    } else if (event.type === 'ExecutionSucceeded') {
      steps.push({ timestamp: at, outcome: 'execution succeeded' });
    } else if (event.type.startsWith('Execution')) {
      const error = errorOf(event);
      const what = event.type
        .slice('Execution'.length)
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .toLowerCase();
      steps.push({
        timestamp: at,
        outcome: `execution ${what}${error ? ` (${error})` : ''}`,
        ...(error ? { error } : {}),
        ...(event.type === 'ExecutionFailed' || event.type === 'ExecutionTimedOut' ? { failed: true } : {}),
      });
    }
    return steps;
  };
}

function clock(timestamp: number): string {
  return new Date(timestamp).toISOString().slice(11, 19);
}

/**
 * Turns executions' history events into progress a person can follow ({@link progressReader}): one line per step,
 * order key (or execution name), state and outcome, or one JSON object per line with `json`.
 */
export function progressPrinter(format: 'human' | 'json', sink: LineSink): (notice: HistoryNotice) => void {
  const readers = new Map<string, (event: ExecutionHistoryEvent) => ProgressStep[]>();
  return ({ executionArn, executionName, orderKey, event }) => {
    let read = readers.get(executionArn);
    if (!read) {
      read = progressReader(executionName);
      readers.set(executionArn, read);
    }
    for (const step of read(event)) {
      if (format === 'json') {
        sink(
          JSON.stringify({
            time: new Date(step.timestamp).toISOString(),
            level: step.failed ? 'ERROR' : 'INFO',
            message: 'workflow progress',
            orderKey,
            execution: executionName,
            state: step.state,
            outcome: step.outcome,
            ...(step.error ? { error: step.error } : {}),
          }),
        );
      } else {
        sink(`${clock(step.timestamp)}  ${orderKey ?? executionName}  ${step.state ?? '-'}  ${step.outcome}`);
      }
    }
    // An execution that ended needs no reader until a redrive, which starts a fresh one.
    if (
      event.type.startsWith('Execution') &&
      event.type !== 'ExecutionStarted' &&
      event.type !== 'ExecutionRedriven'
    )
      readers.delete(executionArn);
  };
}
