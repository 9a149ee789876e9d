/** What the local Step Functions engine takes and tells: its options, its event streams. */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ExecutionStatus } from '../../../shared/workflow/ports';
import type { LocalStateMachineConfig } from '../template/types';
import type { ExecutionHistoryEvent } from './execution-store';

/**
 * One step of aws-local-stepfunctions' own event log (not an AWS history event): what the engine reports, kept as a
 * stream for measurements that count the engine's state transitions (the cost bench). Operators read
 * {@link ExecutionHistoryEvent}s.
 */
export interface TimelineEvent {
  timestamp: number;
  type:
    | 'ExecutionStarted'
    | 'StateEntered'
    | 'StateExited'
    | 'StateRetried'
    | 'StateCaught'
    | 'StateFailed'
    | ExecutionStatus;
  state?: string;
  stateType?: string;
  error?: string;
  cause?: string;
}

/** An engine step with the execution it belongs to. */
export interface WorkflowEvent extends TimelineEvent {
  executionName: string;
  orderKey?: string;
}

/** A history event as it is recorded, with the execution it belongs to: what the progress printer reads. */
export interface HistoryNotice {
  executionArn: string;
  executionName: string;
  orderKey?: string;
  event: ExecutionHistoryEvent;
}

/** Invokes a function by folder name; rejects with an error whose `name` is the Lambda `errorType`. */
export type Invoker = (functionName: string, payload: unknown) => Promise<unknown>;

export interface LocalStepFunctionsOptions {
  readonly stateMachineName: string;
  readonly definition: StateMachineDefinition;
  /** Role, type, logging and tracing, as DescribeStateMachine shows them. @default STANDARD, no logging */
  readonly stateMachine?: LocalStateMachineConfig;
  readonly invoke: Invoker;
  /** Executions and their histories are appended to `<dataDir>/executions.jsonl`. */
  readonly dataDir: string;
  /** Caps every Wait, every Retry interval and the callback timeout, in seconds (may be fractional). */
  readonly maxWaitSeconds: number;
}
