/**
 * The Step Functions calls the workflow makes, behind one small interface so use cases can be tested
 * with aws-sdk-client-mock underneath (see {@link ../workflow/sfn-control}) and run locally unchanged.
 */
export interface WorkflowControl {
  /**
   * Starts the execution named `name`. An execution of that name that already exists counts as
   * success (`alreadyExists: true`): every delivery, schedule and replay collapses onto one execution.
   */
  start(name: string, input: unknown): Promise<{ executionArn: string; alreadyExists: boolean }>;
  /** Resumes a waiting task. `resumed: false` when the task is already closed or the token expired. */
  resume(taskToken: string, output: unknown): Promise<{ resumed: boolean; reason?: string }>;
  /** Fails a waiting task with `error` (matched by the state machine's Catch). Same `resumed` semantics. */
  fail(taskToken: string, error: string, cause: string): Promise<{ resumed: boolean; reason?: string }>;
  /** The execution's status, or `undefined` when no such execution exists (never started or aged out). */
  status(executionArn: string): Promise<ExecutionStatus | undefined>;
  /** The ARN an execution of this name has (or will have) on this state machine. */
  executionArn(name: string): string;
}

export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

/** The Powertools Metrics method the use cases call (a structural subset, so tests can record calls). */
export interface MetricsSink {
  addMetric(name: string, unit: 'Count' | 'None', value: number): void;
}

/** The Powertools Logger methods the use cases call. Never pass a secret or a task token. */
export interface LogSink {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Injected time, so tests control expiry and ordering. */
export type Clock = () => Date;

/** What every use case gets besides its own ports. */
export interface Observability {
  metrics: MetricsSink;
  log: LogSink;
  now: Clock;
}
