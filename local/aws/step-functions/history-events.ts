/**
 * The execution-level history events as Step Functions records them — the start, each state's entry and exit, the
 * end — built from the engine's record and its own event log. (A task's events are built where it runs: tasks.ts.)
 */
import type { HistoryEventType } from '@aws-sdk/client-sfn';
import type { StateMachine } from 'aws-local-stepfunctions';
import type { ExecutionStatus } from '../../../shared/workflow/ports';
import type { ExecutionRecord, NewHistoryEvent } from './execution-store';

/** A state's step of the engine's event log (the package does not export its event types). */
export type EngineStateEvent = Extract<
  Awaited<ReturnType<ReturnType<StateMachine['run']>['eventLogs']['next']>>['value'],
  { state: unknown }
>;

const json = (value: unknown) => JSON.stringify(value ?? null);

/** `ExecutionStarted`, with the input and the role it runs as. */
export function executionStartedEvent(record: ExecutionRecord, roleArn: string): NewHistoryEvent {
  return {
    timestamp: record.startDate,
    type: 'ExecutionStarted',
    executionStartedEventDetails: {
      input: record.input,
      inputDetails: { truncated: false },
      roleArn,
    },
  };
}

/** The event that closes an execution: Succeeded with its output, or Failed, TimedOut or Aborted with the error. */
export function executionClosedEvent(record: ExecutionRecord, at: number): NewHistoryEvent {
  const failure = {
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
  };
  switch (record.status) {
    case 'SUCCEEDED':
      return {
        timestamp: at,
        type: 'ExecutionSucceeded',
        executionSucceededEventDetails: { output: record.output, outputDetails: { truncated: false } },
      };
    case 'FAILED':
      return { timestamp: at, type: 'ExecutionFailed', executionFailedEventDetails: failure };
    case 'TIMED_OUT':
      return { timestamp: at, type: 'ExecutionTimedOut', executionTimedOutEventDetails: failure };
    default:
      return { timestamp: at, type: 'ExecutionAborted', executionAbortedEventDetails: failure };
  }
}

/**
 * One step of the engine's log, as Step Functions records it: `<Type>StateEntered` with the state's input and
 * `<Type>StateExited` with its output. Failures, retries and catches have no event of their own there (undefined):
 * the task's `…Failed` event followed by another `…Scheduled`, or by the state's exit, says it.
 */
export function stateHistoryEvent(event: EngineStateEvent): NewHistoryEvent | undefined {
  const { name, type } = event.state;
  if (event.type === 'StateEntered') {
    return {
      timestamp: event.timestamp,
      type: `${type}StateEntered` as HistoryEventType,
      stateEnteredEventDetails: { name, input: json(event.state.input), inputDetails: { truncated: false } },
    };
  }
  if (event.type === 'StateExited') {
    return {
      timestamp: event.timestamp,
      type: `${type}StateExited` as HistoryEventType,
      stateExitedEventDetails: {
        name,
        output: json(event.state.output),
        outputDetails: { truncated: false },
      },
    };
  }
  return undefined;
}

/** How an execution the engine rejected ends: aborted, timed out, or failed with its state's error and cause. */
export function executionEnd(error: unknown): { status: ExecutionStatus; error?: string; cause?: string } {
  const err = error as Error & { cause?: { name?: string; message?: string } };
  const name = err.constructor?.name;
  if (name === 'ExecutionAbortedError') return { status: 'ABORTED' };
  if (name === 'ExecutionTimeoutError') return { status: 'TIMED_OUT', error: 'States.Timeout' };
  // ExecutionError keeps the state's error as its cause: name = Error, message = Cause.
  const inner = err.cause && typeof err.cause === 'object' ? err.cause : err;
  return { status: 'FAILED', error: inner.name ?? 'Error', cause: inner.message ?? '' };
}
