import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import type { HistoryEventType } from '@aws-sdk/client-sfn';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ExecutionStatus } from '../../../shared/workflow/ports';
import type { AccessCheck, AccessRequest } from '../../iam/access';
import { AwsServiceError, awsJsonHandler, pageOf, requireMember } from '../aws-json';
import {
  functionNameFromArn,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalStateMachineConfig,
  localFunctionArn,
} from '../template/types';
import {
  type ExecutionHistoryEvent,
  type ExecutionRecord,
  ExecutionStore,
  type NewHistoryEvent,
} from './execution-store';

export type { ExecutionHistoryEvent, ExecutionRecord } from './execution-store';

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

/** Marks where `$$.Task.Token` goes: the engine has no task token of its own, local mode makes one per entry. */
const TOKEN_MARKER = '__LOCAL_TASK_TOKEN__';
const TOKEN_PREFIX = 'local1.';
const LAMBDA_INVOKE = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/;
const STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];
const EXECUTION_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;
const STATE_MACHINE_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
/** What StartExecution refuses in a name: white space, brackets, wildcards, special and control characters. */
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControl = (name: string) =>
  [...name].some((c) => {
    const code = c.charCodeAt(0);
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });
/** Step Functions redrives an execution within 14 days of its end, and while its history is under 25,000 events. */
const REDRIVABLE_MS = 14 * 24 * 3600 * 1000;
const MAX_HISTORY_EVENTS = 24_999;
/** RedriveExecution answers the same for one of an execution's last 10 client tokens, for 15 minutes. */
const REDRIVE_TOKEN_MS = 15 * 60 * 1000;

interface TaskBinding {
  functionName: string;
  /** `arn:aws:states:::lambda:invoke…` wraps the result in `{ Payload, StatusCode }`; a bare function ARN does not. */
  wrapped: boolean;
  callback: boolean;
  /** Callback tasks only: seconds before `States.Timeout`, already capped. */
  timeoutSeconds: number;
  /** TimeoutSeconds and HeartbeatSeconds as the template declares them, for the scheduled event. */
  declaredTimeoutSeconds?: number;
  declaredHeartbeatSeconds?: number;
}

interface PendingToken {
  executionArn: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * One run of an execution on the engine: its start, or one redrive. `live` until the execution closes; nothing a
 * run that is no longer live does (a Lambda still answering, the engine unwinding an abort) reaches the history.
 */
interface Run {
  readonly record: ExecutionRecord;
  live: boolean;
  abort: () => void;
  done: Promise<void>;
  /**
   * Entries and retries of each state the history has recorded, and invocations of each task: a task's n-th
   * invocation records its events once the n-th entry is recorded, so its events follow its state's in the history.
   */
  readonly entries: Map<string, number>;
  readonly invocations: Map<string, number>;
  readonly waiters: Set<{ state: string; count: number; resolve: () => void }>;
}

type AslState = Record<string, unknown> & { Type: string };

/** A state's step of the engine's event log (the package does not export its event types). */
type EngineStateEvent = Extract<
  Awaited<ReturnType<ReturnType<StateMachine['run']>['eventLogs']['next']>>['value'],
  { state: unknown }
>;

function replaceTokenPaths(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(replaceTokenPaths);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key.endsWith('.$') && inner === '$$.Task.Token') out[key.slice(0, -2)] = TOKEN_MARKER;
    else out[key] = replaceTokenPaths(inner);
  }
  return out;
}

function fillToken(value: unknown, token: string): unknown {
  if (value === TOKEN_MARKER) return token;
  if (Array.isArray(value)) return value.map((item) => fillToken(item, token));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillToken(v, token)]));
}

/** An error the engine's Retry/Catch matches by `name`; `message` becomes the Cause, as on AWS. */
function stateError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

const json = (value: unknown) => JSON.stringify(value ?? null);

/** Where a redrive resumes: the state the execution was in when it stopped, and that state's input. */
function stoppedIn(events: readonly ExecutionHistoryEvent[]): { state: string; input?: string } | undefined {
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
 * The CustomerProvisioning state machine, run by `aws-local-stepfunctions` with the parts it lacks:
 * Lambda tasks bound to the local handlers by state name, `.waitForTaskToken` emulated (a token per
 * entry, SendTaskSuccess/Failure resolve it, the state's TimeoutSeconds raises `States.Timeout`),
 * every Wait / Retry interval / callback timeout capped, AWS's StartExecution name semantics, redrive,
 * and each execution's history recorded with Step Functions' event types and details as it happens
 * (executions of a previous process read as ABORTED).
 */
export class LocalStepFunctions {
  readonly stateMachineArn: string;
  /**
   * `history`: each history event as it is recorded; `event`: each step of the engine's own log; `closed`: an
   * execution ended (its record is final and on disk); `idle`: the last execution of this process running has ended.
   */
  readonly events = new EventEmitter<{
    history: [HistoryNotice];
    event: [WorkflowEvent];
    closed: [ExecutionRecord];
    idle: [];
  }>();
  private readonly rewritten: StateMachineDefinition;
  private readonly machine: StateMachine;
  private readonly bindings = new Map<string, TaskBinding>();
  private readonly waitOverrides: Record<string, number> = {};
  private readonly store: ExecutionStore;
  private readonly running = new Map<string, Run>();
  private readonly tokens = new Map<string, PendingToken>();
  private readonly redriveTokens = new Map<
    string,
    Array<{ token: string; at: number; redriveDate: number }>
  >();
  private readonly createdAt = Date.now();

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${options.stateMachineName}`;
    // Validate the definition as written before rewriting it: a broken template fails the start.
    new StateMachine(options.definition, { validationOptions: { checkPaths: true, checkArn: true } });
    this.rewritten = this.rewrite(options.definition);
    // The rewrite may leave fractional MaxDelaySeconds, which the validator would refuse; it was checked above.
    this.machine = new StateMachine(this.rewritten, { validationOptions: { noValidate: true } });
    mkdirSync(options.dataDir, { recursive: true });
    this.store = new ExecutionStore(options.dataDir, (state) => {
      const binding = this.bindings.get(state);
      if (!binding) return undefined;
      return binding.wrapped ? 'integration' : 'function';
    });
    // An execution still RUNNING on disk belonged to a process that died: nothing runs it now.
    for (const record of this.store.records.values()) {
      if (record.status === 'RUNNING') {
        this.close(record, {
          status: 'ABORTED',
          error: 'States.Aborted',
          cause: 'local mode stopped while the execution was running',
        });
      }
    }
  }

  private rewrite(definition: StateMachineDefinition): StateMachineDefinition {
    const cap = this.options.maxWaitSeconds;
    const visit = (machine: { States: Record<string, unknown> }) => {
      for (const [name, raw] of Object.entries(machine.States)) {
        const state = raw as AslState;
        if (Array.isArray(state.Retry)) {
          state.Retry = (state.Retry as Array<Record<string, unknown>>).map((retrier) => ({
            ...retrier,
            MaxDelaySeconds: Math.min(Number(retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY), cap),
          }));
        }
        if (state.Type === 'Wait') {
          const seconds = typeof state.Seconds === 'number' ? state.Seconds : cap;
          this.waitOverrides[name] = Math.round(Math.min(seconds, cap) * 1000);
        }
        if (state.Type === 'Task') this.bind(name, state);
        for (const branch of (state.Branches as Array<{ States: Record<string, unknown> }> | undefined) ??
          []) {
          visit(branch);
        }
        const processor = (state.ItemProcessor ?? state.Iterator) as
          | { States: Record<string, unknown> }
          | undefined;
        if (processor) visit(processor);
      }
    };
    const copy = JSON.parse(JSON.stringify(definition)) as StateMachineDefinition;
    visit(copy as unknown as { States: Record<string, unknown> });
    return copy;
  }

  private bind(name: string, state: AslState): void {
    const resource = String(state.Resource);
    const invoke = LAMBDA_INVOKE.exec(resource);
    let functionName: string | undefined;
    if (invoke) {
      const params = (state.Parameters ?? {}) as Record<string, unknown>;
      functionName =
        typeof params.FunctionName === 'string' ? functionNameFromArn(params.FunctionName) : undefined;
    } else {
      functionName = functionNameFromArn(resource);
    }
    if (!functionName) {
      throw new Error(
        `state "${name}": resource ${resource} is not a Lambda function of the template (unsupported locally)`,
      );
    }
    const callback = Boolean(invoke?.[1]);
    const declared = {
      ...(typeof state.TimeoutSeconds === 'number' ? { declaredTimeoutSeconds: state.TimeoutSeconds } : {}),
      ...(typeof state.HeartbeatSeconds === 'number'
        ? { declaredHeartbeatSeconds: state.HeartbeatSeconds }
        : {}),
    };
    let timeoutSeconds = this.options.maxWaitSeconds;
    if (callback) {
      if (typeof state.TimeoutSeconds === 'number')
        timeoutSeconds = Math.min(state.TimeoutSeconds, timeoutSeconds);
      state.Parameters = replaceTokenPaths(state.Parameters);
      // The engine races every Task against its TimeoutSeconds (60 s by default); the callback emulation
      // keeps its own clock, so give the engine's a margin it never reaches first.
      state.TimeoutSeconds = Math.ceil(timeoutSeconds) + 3600;
      delete state.TimeoutSecondsPath;
      delete state.HeartbeatSeconds;
    }
    this.bindings.set(name, {
      functionName,
      wrapped: Boolean(invoke),
      callback,
      timeoutSeconds,
      ...declared,
    });
  }

  private notice(record: ExecutionRecord, event: ExecutionHistoryEvent): void {
    this.events.emit('history', {
      executionArn: record.executionArn,
      executionName: record.name,
      ...(record.orderKey ? { orderKey: record.orderKey } : {}),
      event,
    });
  }

  /** Appends to an execution's history, whatever runs it. */
  private append(record: ExecutionRecord, event: NewHistoryEvent): void {
    this.notice(record, this.store.appendEvent(record.executionArn, event));
  }

  /** Appends what a run observed, unless the execution has closed since (then Step Functions records nothing). */
  private appendFor(run: Run, event: Omit<NewHistoryEvent, 'timestamp'> & { timestamp?: number }): void {
    if (run.live) this.append(run.record, { timestamp: Date.now(), ...event });
  }

  private engineStep(record: ExecutionRecord, event: TimelineEvent): void {
    this.events.emit('event', {
      ...event,
      executionName: record.name,
      ...(record.orderKey ? { orderKey: record.orderKey } : {}),
    });
  }

  private close(
    record: ExecutionRecord,
    update: Partial<ExecutionRecord> & { status: ExecutionStatus },
  ): void {
    const run = this.running.get(record.executionArn);
    if (run) {
      run.live = false;
      for (const waiter of run.waiters) waiter.resolve();
      run.waiters.clear();
    }
    Object.assign(record, update, { stopDate: Date.now() });
    const at = record.stopDate as number;
    const failure = {
      ...(record.error !== undefined ? { error: record.error } : {}),
      ...(record.cause !== undefined ? { cause: record.cause } : {}),
    };
    switch (record.status) {
      case 'SUCCEEDED':
        this.append(record, {
          timestamp: at,
          type: 'ExecutionSucceeded',
          executionSucceededEventDetails: { output: record.output, outputDetails: { truncated: false } },
        });
        break;
      case 'FAILED':
        this.append(record, { timestamp: at, type: 'ExecutionFailed', executionFailedEventDetails: failure });
        break;
      case 'TIMED_OUT':
        this.append(record, {
          timestamp: at,
          type: 'ExecutionTimedOut',
          executionTimedOutEventDetails: failure,
        });
        break;
      default:
        this.append(record, {
          timestamp: at,
          type: 'ExecutionAborted',
          executionAbortedEventDetails: failure,
        });
    }
    this.store.putRecord(record);
    this.engineStep(record, {
      timestamp: at,
      type: record.status,
      ...(record.error ? { error: record.error } : {}),
      ...(record.cause ? { cause: record.cause } : {}),
    });
    for (const [token, pending] of this.tokens) {
      if (pending.executionArn === record.executionArn) {
        this.tokens.delete(token);
        pending.reject(stateError('States.Aborted', 'execution closed'));
      }
    }
    this.events.emit('closed', record);
  }

  private executionArn(name: string): string {
    return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${this.options.stateMachineName}:${name}`;
  }

  /** StartExecution: same name and input while RUNNING → the same execution; otherwise ExecutionAlreadyExists. */
  startExecution(name: string, input: string): ExecutionRecord {
    if (name.length < 1 || name.length > 80 || INVALID_NAME.test(name) || isControl(name)) {
      throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new AwsServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const arn = this.executionArn(name);
    const existing = this.store.records.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const orderKey = (parsed as { order?: { orderKey?: unknown } } | null)?.order?.orderKey;
    const record: ExecutionRecord = {
      executionArn: arn,
      name,
      input,
      status: 'RUNNING',
      startDate: Date.now(),
      ...(typeof orderKey === 'string' ? { orderKey } : {}),
    };
    this.store.putRecord(record);
    this.append(record, {
      timestamp: record.startDate,
      type: 'ExecutionStarted',
      executionStartedEventDetails: {
        input,
        inputDetails: { truncated: false },
        roleArn: this.roleArn,
      },
    });
    this.engineStep(record, { timestamp: record.startDate, type: 'ExecutionStarted' });
    this.run(record, parsed);
    return record;
  }

  private get roleArn(): string {
    return this.options.stateMachine?.roleArn ?? `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`;
  }

  /** Runs the execution from the definition's start, or from `startAt` (a redrive), with `input`. */
  private run(record: ExecutionRecord, input: unknown, startAt?: string): void {
    const machine = startAt
      ? new StateMachine({ ...this.rewritten, StartAt: startAt }, { validationOptions: { noValidate: true } })
      : this.machine;
    const run: Run = {
      record,
      live: true,
      abort: () => undefined,
      done: Promise.resolve(),
      entries: new Map(),
      invocations: new Map(),
      waiters: new Set(),
    };
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [state, binding] of this.bindings) {
      handlers[state] = (taskInput) => this.runTask(run, state, binding, taskInput);
    }
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: this.waitOverrides,
      },
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          RoleArn: this.roleArn,
          RedriveCount: record.redriveCount ?? 0,
        },
        StateMachine: { Id: this.stateMachineArn, Name: this.options.stateMachineName },
      },
    });
    run.abort = execution.abort;
    const logs = (async () => {
      for await (const event of execution.eventLogs) {
        if (run.live && 'state' in event) this.observe(run, event);
      }
    })();
    // Close only once the event log is drained, so the history ends with the execution's last state.
    const done = Promise.allSettled([execution.result, logs])
      .then(() => execution.result)
      .then(
        (output) => {
          if (run.live) this.close(record, { status: 'SUCCEEDED', output: JSON.stringify(output) });
        },
        (error: unknown) => {
          if (!run.live) return;
          const err = error as Error & { cause?: { name?: string; message?: string } };
          const name = err.constructor?.name;
          if (name === 'ExecutionAbortedError') this.close(record, { status: 'ABORTED' });
          else if (name === 'ExecutionTimeoutError')
            this.close(record, { status: 'TIMED_OUT', error: 'States.Timeout' });
          else {
            // ExecutionError keeps the state's error as its cause: name = Error, message = Cause.
            const inner = err.cause && typeof err.cause === 'object' ? err.cause : err;
            this.close(record, {
              status: 'FAILED',
              error: inner.name ?? 'Error',
              cause: inner.message ?? '',
            });
          }
        },
      );
    run.done = done.then(() => {
      // A redrive may already run the execution again: only this run's own entry is removed.
      if (this.running.get(record.executionArn) === run) this.running.delete(record.executionArn);
      if (this.running.size === 0) this.events.emit('idle');
    });
    this.running.set(record.executionArn, run);
  }

  /**
   * One step of the engine's log, as Step Functions records it: `<Type>StateEntered` with the state's input and
   * `<Type>StateExited` with its output. Failures, retries and catches have no event of their own there: the task's
   * `…Failed` event (recorded by {@link runTask}) followed by another `…Scheduled`, or by the state's exit, says it.
   */
  private observe(run: Run, event: EngineStateEvent): void {
    const { name, type } = event.state;
    const error = 'Error' in event ? String(event.Error) : undefined;
    this.engineStep(run.record, {
      timestamp: event.timestamp,
      type: event.type,
      state: name,
      stateType: type,
      ...(error ? { error } : {}),
    });
    switch (event.type) {
      case 'StateEntered':
        this.appendFor(run, {
          timestamp: event.timestamp,
          type: `${type}StateEntered` as HistoryEventType,
          stateEnteredEventDetails: {
            name,
            input: json(event.state.input),
            inputDetails: { truncated: false },
          },
        });
        this.entered(run, name);
        break;
      case 'StateRetried':
        this.entered(run, name);
        break;
      case 'StateExited':
        this.appendFor(run, {
          timestamp: event.timestamp,
          type: `${type}StateExited` as HistoryEventType,
          stateExitedEventDetails: {
            name,
            output: json(event.state.output),
            outputDetails: { truncated: false },
          },
        });
        break;
      default:
        break;
    }
  }

  private entered(run: Run, state: string): void {
    const count = (run.entries.get(state) ?? 0) + 1;
    run.entries.set(state, count);
    for (const waiter of run.waiters) {
      if (waiter.state === state && waiter.count <= count) {
        run.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /** Resolves once the history has the `count`-th entry (or retry) of `state`, or the execution has closed. */
  private untilEntered(run: Run, state: string, count: number): Promise<void> {
    if (!run.live || (run.entries.get(state) ?? 0) >= count) return Promise.resolve();
    return new Promise((resolve) => run.waiters.add({ state, count, resolve }));
  }

  /**
   * A Task state's work, recorded as Step Functions records it: a bare function ARN as `LambdaFunctionScheduled`,
   * `…Started`, `…Succeeded`/`…Failed`; the optimized integration (`arn:aws:states:::lambda:invoke`) as
   * `TaskScheduled` (its parameters), `TaskStarted`, `TaskSucceeded`/`TaskFailed`, with `TaskSubmitted` once a
   * `.waitForTaskToken` invocation has returned and `TaskTimedOut` when no callback came in time.
   */
  private async runTask(run: Run, state: string, binding: TaskBinding, input: unknown): Promise<unknown> {
    const invocation = (run.invocations.get(state) ?? 0) + 1;
    run.invocations.set(state, invocation);
    await this.untilEntered(run, state, invocation);
    if (!run.live) throw stateError('States.Aborted', 'execution closed');
    const executionArn = run.record.executionArn;
    const resource = binding.wrapped
      ? binding.callback
        ? 'invoke.waitForTaskToken'
        : 'invoke'
      : localFunctionArn(binding.functionName);
    const task = { resourceType: 'lambda', resource };
    const timeouts = {
      ...(binding.declaredTimeoutSeconds !== undefined
        ? { timeoutInSeconds: binding.declaredTimeoutSeconds }
        : {}),
      ...(binding.declaredHeartbeatSeconds !== undefined
        ? { heartbeatInSeconds: binding.declaredHeartbeatSeconds }
        : {}),
    };
    const params = (input ?? {}) as Record<string, unknown>;
    const token = binding.callback ? `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}` : undefined;
    if (binding.wrapped) {
      this.appendFor(run, {
        type: 'TaskScheduled',
        taskScheduledEventDetails: {
          ...task,
          region: LOCAL_REGION,
          parameters: json(token ? fillToken(params, token) : params),
          ...timeouts,
        },
      });
      this.appendFor(run, { type: 'TaskStarted', taskStartedEventDetails: task });
    } else {
      this.appendFor(run, {
        type: 'LambdaFunctionScheduled',
        lambdaFunctionScheduledEventDetails: {
          resource,
          input: json(input),
          inputDetails: { truncated: false },
          ...(binding.declaredTimeoutSeconds !== undefined
            ? { timeoutInSeconds: binding.declaredTimeoutSeconds }
            : {}),
        },
      });
      this.appendFor(run, { type: 'LambdaFunctionStarted' });
    }
    const succeeded = (output: unknown) =>
      this.appendFor(
        run,
        binding.wrapped
          ? {
              type: 'TaskSucceeded',
              taskSucceededEventDetails: {
                ...task,
                output: json(output),
                outputDetails: { truncated: false },
              },
            }
          : {
              type: 'LambdaFunctionSucceeded',
              lambdaFunctionSucceededEventDetails: {
                output: json(output),
                outputDetails: { truncated: false },
              },
            },
      );
    try {
      const payload = binding.wrapped ? params.Payload : input;
      if (!token) {
        const result = await this.invokeAsStep(binding.functionName, payload);
        const output = binding.wrapped
          ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 }
          : result;
        succeeded(output);
        return output;
      }
      const output = await this.callback(run, executionArn, binding, token, payload, task);
      succeeded(output);
      return output;
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      const failure = { error: err.name, cause: err.message };
      if (binding.callback && err.name === 'States.Timeout') {
        this.appendFor(run, { type: 'TaskTimedOut', taskTimedOutEventDetails: { ...task, ...failure } });
      } else if (binding.wrapped) {
        this.appendFor(run, { type: 'TaskFailed', taskFailedEventDetails: { ...task, ...failure } });
      } else {
        this.appendFor(run, { type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: failure });
      }
      throw err;
    }
  }

  /** A `.waitForTaskToken` task: the function is invoked with the token, then the task waits for its callback. */
  private async callback(
    run: Run,
    executionArn: string,
    binding: TaskBinding,
    token: string,
    payload: unknown,
    task: { resourceType: string; resource: string },
  ): Promise<unknown> {
    const outcome = new Promise<unknown>((resolve, reject) => {
      this.tokens.set(token, { executionArn, resolve, reject });
    });
    // Registered before the invocation: the handler may resume the task itself (order already paid).
    outcome.catch(() => undefined);
    let submitted: unknown;
    try {
      submitted = await this.invokeAsStep(binding.functionName, fillToken(payload, token));
    } catch (error) {
      this.tokens.delete(token);
      throw error;
    }
    this.appendFor(run, {
      type: 'TaskSubmitted',
      taskSubmittedEventDetails: {
        ...task,
        output: json({ ExecutedVersion: '$LATEST', Payload: submitted, StatusCode: 200 }),
        outputDetails: { truncated: false },
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.tokens.delete(token);
        reject(stateError('States.Timeout', `no task callback within ${binding.timeoutSeconds} s`));
      }, binding.timeoutSeconds * 1000);
    });
    try {
      return await Promise.race([outcome, timeout]);
    } finally {
      clearTimeout(timer);
      this.tokens.delete(token);
    }
  }

  private async invokeAsStep(functionName: string, payload: unknown): Promise<unknown> {
    try {
      return await this.options.invoke(functionName, payload);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      // On AWS the Cause of a Lambda error is this JSON; record-outcome and operators read it the same way.
      throw stateError(err.name, JSON.stringify({ errorType: err.name, errorMessage: err.message }));
    }
  }

  private takeToken(token: unknown): PendingToken {
    if (typeof token !== 'string' || !token.startsWith(TOKEN_PREFIX)) {
      throw new AwsServiceError('InvalidToken', 'Invalid Token');
    }
    const pending = this.tokens.get(token);
    // A well-formed token nobody waits for belonged to a task that timed out or an execution that closed
    // (including one of a previous process): AWS answers TaskTimedOut for those.
    if (!pending) throw new AwsServiceError('TaskTimedOut', 'Task Timed Out');
    this.tokens.delete(token);
    return pending;
  }

  sendTaskSuccess(token: unknown, output: unknown): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(output));
    } catch {
      throw new AwsServiceError('InvalidOutput', 'Invalid Output: not JSON');
    }
    this.takeToken(token).resolve(parsed);
  }

  sendTaskFailure(token: unknown, error: unknown, cause: unknown): void {
    this.takeToken(token).reject(stateError(String(error ?? 'States.TaskFailed'), String(cause ?? '')));
  }

  describe(arn: unknown): ExecutionRecord {
    if (typeof arn !== 'string' || !EXECUTION_ARN.test(arn))
      throw new AwsServiceError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const record = this.store.records.get(arn);
    if (!record) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return record;
  }

  /** Executions, newest first, of one status if given. */
  list(status?: ExecutionStatus): ExecutionRecord[] {
    return [...this.store.records.values()]
      .filter((record) => !status || record.status === status)
      .sort((a, b) => b.startDate - a.startDate);
  }

  /** The execution's history, oldest first (ExecutionDoesNotExist for one nobody knows). */
  history(arn: string): ExecutionHistoryEvent[] {
    this.describe(arn);
    return this.store.events(arn);
  }

  stopExecution(arn: unknown, error?: string, cause?: string): ExecutionRecord {
    const record = this.describe(arn);
    if (record.status === 'RUNNING') {
      const run = this.running.get(record.executionArn);
      this.close(record, { status: 'ABORTED', ...(error ? { error } : {}), ...(cause ? { cause } : {}) });
      run?.abort();
    }
    return record;
  }

  /** Why RedriveExecution would refuse the execution now, as DescribeExecution's `redriveStatusReason` says it. */
  private notRedrivable(record: ExecutionRecord): string | undefined {
    if (record.status === 'RUNNING' || record.status === 'SUCCEEDED')
      return `Execution is ${record.status} and cannot be redriven`;
    if (record.startedBeforeRedrive) return 'Execution was started before the launch of RedriveExecution';
    if (this.store.eventCount(record.executionArn) >= MAX_HISTORY_EVENTS)
      return 'Execution history event limit exceeded';
    if (record.stopDate !== undefined && Date.now() - record.stopDate > REDRIVABLE_MS)
      return 'Execution redrivable period exceeded';
    return undefined;
  }

  /**
   * RedriveExecution: a FAILED, ABORTED or TIMED_OUT execution runs again from the state it stopped in, with that
   * state's input; the states it completed are not run again. Same ARN, `redriveCount` one more, an
   * `ExecutionRedriven` event, RUNNING until its new end. A client token it was redriven with in the last 15
   * minutes answers that redrive again, as Step Functions does.
   */
  redriveExecution(arn: unknown, clientToken?: string): { record: ExecutionRecord; redriveDate: number } {
    const record = this.describe(arn);
    const now = Date.now();
    const recent = (this.redriveTokens.get(record.executionArn) ?? []).filter(
      (used) => now - used.at < REDRIVE_TOKEN_MS,
    );
    const seen = clientToken ? recent.find((used) => used.token === clientToken) : undefined;
    if (seen) return { record, redriveDate: seen.redriveDate };
    const reason = this.notRedrivable(record);
    if (reason) throw new AwsServiceError('ExecutionNotRedrivable', `${reason}: '${record.executionArn}'`);
    const resume = stoppedIn(this.store.events(record.executionArn));
    for (const key of ['stopDate', 'output', 'error', 'cause'] as const) delete record[key];
    Object.assign(record, {
      status: 'RUNNING',
      redriveCount: (record.redriveCount ?? 0) + 1,
      redriveDate: now,
    });
    if (clientToken) {
      this.redriveTokens.set(record.executionArn, [
        ...recent.slice(-9),
        { token: clientToken, at: now, redriveDate: now },
      ]);
    }
    this.store.putRecord(record);
    this.append(record, {
      timestamp: now,
      type: 'ExecutionRedriven',
      executionRedrivenEventDetails: { redriveCount: record.redriveCount },
    });
    // Stopped before its first state was entered: it starts again from the start, with the execution's input.
    this.run(record, JSON.parse(resume?.input ?? record.input), resume?.state);
    return { record, redriveDate: now };
  }

  /** Executions of this process still running. */
  get runningCount(): number {
    return this.running.size;
  }

  /** True while an execution of the order runs (in this process: those of a previous one read ABORTED). */
  isRunning(orderKey: string): boolean {
    for (const run of this.running.values()) {
      if (run.live && run.record.orderKey === orderKey) return true;
    }
    return false;
  }

  /**
   * Resolves once nothing runs, executions started meanwhile included (or rejects after `timeoutMs`): on the
   * engine's own `idle` event, not by polling.
   */
  async idle(timeoutMs = 60_000): Promise<void> {
    if (this.running.size === 0) return;
    let onIdle: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onIdle = resolve;
        this.events.once('idle', onIdle);
        timer = setTimeout(
          () => reject(new Error(`${this.running.size} execution(s) still running after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
    } finally {
      clearTimeout(timer);
      if (onIdle) this.events.off('idle', onIdle);
    }
  }

  /** Aborts everything still running (recorded as ABORTED: the next start's sweep picks the orders up). */
  async shutdown(): Promise<void> {
    for (const run of [...this.running.values()]) {
      if (run.live) this.close(run.record, { status: 'ABORTED', cause: 'local mode stopped' });
      run.abort();
    }
    await Promise.allSettled([...this.running.values()].map((run) => run.done));
    this.store.close();
  }

  /**
   * What IAM authorizes a call on: the state machine for those about it (StartExecution, ListExecutions,
   * DescribeStateMachine), `*` for ListStateMachines, the execution for those about one, and for a task callback the
   * state machine whose task the token belongs to (IAM's resource for SendTask*: there is one state machine here, and
   * every token, live or dead, is one of its tasks).
   */
  accessRequests(operation: string, input: Record<string, unknown>): AccessRequest[] {
    const action = `states:${operation}`;
    const arn = (value: unknown) => (typeof value === 'string' && value !== '' ? value : '*');
    switch (operation) {
      case 'StartExecution':
      case 'ListExecutions':
      case 'DescribeStateMachine':
        return [{ action, resource: arn(input.stateMachineArn) }];
      case 'ListStateMachines':
        return [{ action, resource: '*' }];
      case 'SendTaskSuccess':
      case 'SendTaskFailure':
      case 'SendTaskHeartbeat':
        return [{ action, resource: this.stateMachineArn }];
      default:
        return [{ action, resource: arn(input.executionArn) }];
    }
  }

  private stateMachineOf(arn: unknown): void {
    if (typeof arn !== 'string' || !STATE_MACHINE_ARN.test(arn))
      throw new AwsServiceError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    if (arn !== this.stateMachineArn)
      throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }

  /** The state machine's description, as DescribeStateMachine and DescribeStateMachineForExecution share it. */
  private machineDescription() {
    const config = this.options.stateMachine;
    return {
      stateMachineArn: this.stateMachineArn,
      name: this.options.stateMachineName,
      definition: JSON.stringify(this.options.definition),
      roleArn: this.roleArn,
      loggingConfiguration: config?.logging
        ? {
            level: config.logging.level,
            includeExecutionData: config.logging.includeExecutionData,
            destinations: config.logging.logGroupArns.map((logGroupArn) => ({
              cloudWatchLogsLogGroup: { logGroupArn },
            })),
          }
        : { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: config?.tracingEnabled ?? false },
      // The template sets no key of its own: Step Functions encrypts with one it owns.
      encryptionConfiguration: { type: 'AWS_OWNED_KEY' },
    };
  }

  /** The AWS JSON 1.0 operations of Step Functions local mode serves, over loopback; `access` enforces IAM. */
  serviceHandler(access?: AccessCheck) {
    const epoch = (ms?: number) => (ms === undefined ? undefined : ms / 1000);
    const invalidToken = (token: string) => new AwsServiceError('InvalidToken', `Invalid Token: '${token}'`);
    const summary = (record: ExecutionRecord) => ({
      executionArn: record.executionArn,
      stateMachineArn: this.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: epoch(record.startDate),
      stopDate: epoch(record.stopDate),
      redriveCount: record.redriveCount ?? 0,
      redriveDate: epoch(record.redriveDate),
    });
    const describe = (record: ExecutionRecord) => {
      const reason = this.notRedrivable(record);
      return {
        ...summary(record),
        input: record.input,
        inputDetails: { included: true },
        ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
        error: record.error,
        cause: record.cause,
        redriveStatus: reason ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
        ...(reason ? { redriveStatusReason: reason } : {}),
      };
    };
    const withoutData = (event: ExecutionHistoryEvent): ExecutionHistoryEvent =>
      JSON.parse(JSON.stringify(event), (key, value) =>
        key === 'input' || key === 'output' || key === 'parameters' ? undefined : value,
      ) as ExecutionHistoryEvent;
    return awsJsonHandler({
      targetPrefix: 'AWSStepFunctions',
      jsonVersion: '1.0',
      ...(access
        ? { access: { check: access, requests: (operation, input) => this.accessRequests(operation, input) } }
        : {}),
      operations: {
        DescribeStateMachine: (input) => {
          this.stateMachineOf(requireMember(input, 'stateMachineArn'));
          return {
            ...this.machineDescription(),
            status: 'ACTIVE',
            type: this.options.stateMachine?.type ?? 'STANDARD',
            creationDate: epoch(this.createdAt),
          };
        },
        DescribeStateMachineForExecution: (input) => {
          this.describe(requireMember(input, 'executionArn'));
          return { ...this.machineDescription(), updateDate: epoch(this.createdAt) };
        },
        ListStateMachines: (input) => {
          const page = pageOf([this.stateMachineArn], input.nextToken, input.maxResults, {
            defaultSize: 100,
            maxSize: 1000,
            scope: 'stateMachines',
            invalidToken,
          });
          return {
            stateMachines: page.items.map((stateMachineArn) => ({
              stateMachineArn,
              name: this.options.stateMachineName,
              type: this.options.stateMachine?.type ?? 'STANDARD',
              creationDate: epoch(this.createdAt),
            })),
            nextToken: page.nextToken,
          };
        },
        StartExecution: (input) => {
          this.stateMachineOf(requireMember(input, 'stateMachineArn'));
          const record = this.startExecution(
            typeof input.name === 'string' ? input.name : randomUUID(),
            typeof input.input === 'string' ? input.input : '{}',
          );
          return { executionArn: record.executionArn, startDate: epoch(record.startDate) };
        },
        DescribeExecution: (input) => describe(this.describe(requireMember(input, 'executionArn'))),
        StopExecution: (input) => {
          const record = this.stopExecution(
            requireMember(input, 'executionArn'),
            typeof input.error === 'string' ? input.error : undefined,
            typeof input.cause === 'string' ? input.cause : undefined,
          );
          return { stopDate: epoch(record.stopDate) };
        },
        RedriveExecution: (input) => {
          const { redriveDate } = this.redriveExecution(
            requireMember(input, 'executionArn'),
            typeof input.clientToken === 'string' ? input.clientToken : undefined,
          );
          return { redriveDate: epoch(redriveDate) };
        },
        ListExecutions: (input) => {
          this.stateMachineOf(requireMember(input, 'stateMachineArn'));
          const status = input.statusFilter as ExecutionStatus | undefined;
          if (status !== undefined && !STATUSES.includes(status)) {
            throw new AwsServiceError(
              'ValidationException',
              `1 validation error detected: Value '${String(status)}' at 'statusFilter' failed to satisfy constraint: ` +
                `Member must satisfy enum value set: [${STATUSES.join(', ')}]`,
            );
          }
          const redrive = input.redriveFilter as string | undefined;
          if (redrive !== undefined && redrive !== 'REDRIVEN' && redrive !== 'NOT_REDRIVEN') {
            throw new AwsServiceError(
              'ValidationException',
              `1 validation error detected: Value '${String(redrive)}' at 'redriveFilter' failed to satisfy constraint: ` +
                'Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]',
            );
          }
          const all = this.list(status).filter(
            (record) => redrive === undefined || (redrive === 'REDRIVEN') === (record.redriveCount ?? 0) > 0,
          );
          const page = pageOf(all, input.nextToken, input.maxResults, {
            defaultSize: 100,
            maxSize: 1000,
            scope: `executions:${status ?? ''}:${redrive ?? ''}`,
            invalidToken,
          });
          return { executions: page.items.map(summary), nextToken: page.nextToken };
        },
        GetExecutionHistory: (input) => {
          const arn = requireMember(input, 'executionArn');
          const reverse = input.reverseOrder === true;
          const events = this.history(arn);
          if (reverse) events.reverse();
          const page = pageOf(events, input.nextToken, input.maxResults, {
            defaultSize: 100,
            maxSize: 1000,
            scope: `history:${arn}:${reverse}`,
            invalidToken,
          });
          const withData = input.includeExecutionData !== false;
          return {
            events: page.items.map((event) => ({
              ...(withData ? event : withoutData(event)),
              timestamp: epoch(event.timestamp),
            })),
            nextToken: page.nextToken,
          };
        },
        SendTaskSuccess: (input) => {
          this.sendTaskSuccess(requireMember(input, 'taskToken'), input.output);
          return {};
        },
        SendTaskFailure: (input) => {
          this.sendTaskFailure(requireMember(input, 'taskToken'), input.error, input.cause);
          return {};
        },
        SendTaskHeartbeat: (input) => {
          const token = requireMember(input, 'taskToken');
          if (!token.startsWith(TOKEN_PREFIX)) throw new AwsServiceError('InvalidToken', 'Invalid Token');
          // Heartbeats are not emulated; a live token is accepted, a dead one refused as on AWS.
          if (!this.tokens.has(token)) throw new AwsServiceError('TaskTimedOut', 'Task Timed Out');
          return {};
        },
      },
    });
  }
}
