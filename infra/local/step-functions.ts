import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ExecutionStatus } from '../../shared/workflow/ports';
import type { AccessCheck, AccessRequest } from './access';
import { AwsServiceError, awsJsonHandler } from './aws-json';
import { functionNameFromArn, LOCAL_ACCOUNT, LOCAL_REGION } from './template';

/** One execution, as DescribeExecution reports it and as it is persisted under the data dir. */
export interface ExecutionRecord {
  executionArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  /** Epoch milliseconds. */
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** The order key of the input (`$.order.orderKey`), for progress lines and lookups. */
  orderKey?: string;
}

/** One step of an execution's timeline; carries names and error names only, never inputs or tokens. */
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

/** What the progress printer receives: a timeline event with the execution it belongs to. */
export interface WorkflowEvent extends TimelineEvent {
  executionName: string;
  orderKey?: string;
}

/** Invokes a function by folder name; rejects with an error whose `name` is the Lambda `errorType`. */
export type Invoker = (functionName: string, payload: unknown) => Promise<unknown>;

export interface LocalStepFunctionsOptions {
  readonly stateMachineName: string;
  readonly definition: StateMachineDefinition;
  readonly invoke: Invoker;
  /** Executions are appended to `<dataDir>/executions.jsonl`. */
  readonly dataDir: string;
  /** Caps every Wait, every Retry interval and the callback timeout, in seconds (may be fractional). */
  readonly maxWaitSeconds: number;
}

/** Marks where `$$.Task.Token` goes: the engine has no task token of its own, local mode makes one per entry. */
const TOKEN_MARKER = '__LOCAL_TASK_TOKEN__';
const TOKEN_PREFIX = 'local1.';
const LAMBDA_INVOKE = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/;
/** The statuses the local engine reports (it has no redrive, so never PENDING_REDRIVE). */
const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

interface TaskBinding {
  functionName: string;
  /** `arn:aws:states:::lambda:invoke…` wraps the result in `{ Payload, StatusCode }`; a bare function ARN does not. */
  wrapped: boolean;
  callback: boolean;
  /** Callback tasks only: seconds before `States.Timeout`, already capped. */
  timeoutSeconds: number;
}

interface PendingToken {
  executionArn: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

type AslState = Record<string, unknown> & { Type: string };

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

/**
 * The CustomerProvisioning state machine, run by `aws-local-stepfunctions` with the parts it lacks:
 * Lambda tasks bound to the local handlers by state name, `.waitForTaskToken` emulated (a token per
 * entry, SendTaskSuccess/Failure resolve it, the state's TimeoutSeconds raises `States.Timeout`),
 * every Wait / Retry interval / callback timeout capped, AWS's StartExecution name semantics, and
 * executions persisted so that those of a previous process read as ABORTED.
 */
export class LocalStepFunctions {
  readonly stateMachineArn: string;
  /**
   * `event`: each timeline step; `closed`: an execution ended (its record is final and on disk);
   * `idle`: the last execution of this process running has finished.
   */
  readonly events = new EventEmitter<{ event: [WorkflowEvent]; closed: [ExecutionRecord]; idle: [] }>();
  private readonly machine: StateMachine;
  private readonly bindings = new Map<string, TaskBinding>();
  private readonly waitOverrides: Record<string, number> = {};
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly timelines = new Map<string, TimelineEvent[]>();
  private readonly running = new Map<string, { abort: () => void; done: Promise<void> }>();
  private readonly tokens = new Map<string, PendingToken>();
  private readonly file: string;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${options.stateMachineName}`;
    // Validate the definition as written before rewriting it: a broken template fails the start.
    new StateMachine(options.definition, { validationOptions: { checkPaths: true, checkArn: true } });
    const rewritten = this.rewrite(options.definition);
    // The rewrite may leave fractional MaxDelaySeconds, which the validator would refuse; it was checked above.
    this.machine = new StateMachine(rewritten, { validationOptions: { noValidate: true } });
    mkdirSync(options.dataDir, { recursive: true });
    this.file = join(options.dataDir, 'executions.jsonl');
    this.load();
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
    this.bindings.set(name, { functionName, wrapped: Boolean(invoke), callback, timeoutSeconds });
  }

  private load(): void {
    if (!existsSync(this.file)) return;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const record = JSON.parse(line) as ExecutionRecord & { timeline?: TimelineEvent[] };
        const { timeline, ...rest } = record;
        this.executions.set(rest.executionArn, rest);
        if (timeline) this.timelines.set(rest.executionArn, timeline);
      } catch {
        // A line cut short by a kill: the record before it still stands.
      }
    }
    // An execution still RUNNING on disk belonged to a process that died: nothing runs it now.
    for (const record of this.executions.values()) {
      if (record.status === 'RUNNING') {
        this.close(record, {
          status: 'ABORTED',
          error: 'States.Aborted',
          cause: 'local mode stopped while the execution was running',
        });
      }
    }
  }

  private persist(record: ExecutionRecord, withTimeline = false): void {
    const line = withTimeline
      ? { ...record, timeline: this.timelines.get(record.executionArn) ?? [] }
      : record;
    // Synchronous on purpose: StartExecution must not answer before its record is on disk, or a kill right
    // after it would leave an order pointing at an execution nobody knows.
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  private record(arn: string, event: TimelineEvent): void {
    let timeline = this.timelines.get(arn);
    if (!timeline) {
      timeline = [];
      this.timelines.set(arn, timeline);
    }
    timeline.push(event);
    const execution = this.executions.get(arn);
    this.events.emit('event', {
      ...event,
      executionName: execution?.name ?? arn,
      ...(execution?.orderKey ? { orderKey: execution.orderKey } : {}),
    });
  }

  private close(
    record: ExecutionRecord,
    update: Partial<ExecutionRecord> & { status: ExecutionStatus },
  ): void {
    Object.assign(record, update, { stopDate: Date.now() });
    this.record(record.executionArn, {
      timestamp: record.stopDate as number,
      type: record.status,
      ...(record.error ? { error: record.error } : {}),
      ...(record.cause ? { cause: record.cause } : {}),
    });
    this.persist(record, true);
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
    if (!/^[A-Za-z0-9-_]{1,80}$/.test(name)) {
      throw new AwsServiceError(
        'InvalidName',
        `execution name "${name}" must be 1-80 characters of [A-Za-z0-9-_]`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new AwsServiceError('InvalidExecutionInput', 'execution input is not JSON');
    }
    const arn = this.executionArn(name);
    const existing = this.executions.get(arn);
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
    this.executions.set(arn, record);
    this.persist(record);
    this.record(arn, { timestamp: record.startDate, type: 'ExecutionStarted' });
    this.run(record, parsed);
    return record;
  }

  private run(record: ExecutionRecord, input: unknown): void {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [state, binding] of this.bindings) {
      handlers[state] = (taskInput) => this.runTask(record.executionArn, binding, taskInput);
    }
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: this.waitOverrides,
      },
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          RoleArn: 'arn:aws:iam::000000000000:role/local',
        },
        StateMachine: { Id: this.stateMachineArn, Name: this.options.stateMachineName },
      },
    });
    const logs = (async () => {
      for await (const event of execution.eventLogs) {
        if (!('state' in event)) continue;
        const kind = event.type as TimelineEvent['type'];
        const error = 'Error' in event ? String(event.Error) : undefined;
        this.record(record.executionArn, {
          timestamp: event.timestamp,
          type: kind,
          state: event.state.name,
          stateType: event.state.type,
          ...(error ? { error } : {}),
        });
      }
    })();
    // Close only once the event log is drained, so the timeline ends with the execution's last state.
    const done = Promise.allSettled([execution.result, logs])
      .then(() => execution.result)
      .then(
        (output) => {
          if (record.status === 'RUNNING')
            this.close(record, { status: 'SUCCEEDED', output: JSON.stringify(output) });
        },
        (error: unknown) => {
          if (record.status !== 'RUNNING') return;
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
    const settled = done.then(() => {
      this.running.delete(record.executionArn);
      if (this.running.size === 0) this.events.emit('idle');
    });
    this.running.set(record.executionArn, { abort: execution.abort, done: settled });
  }

  private async runTask(executionArn: string, binding: TaskBinding, input: unknown): Promise<unknown> {
    const params = (input ?? {}) as Record<string, unknown>;
    const payload = binding.wrapped ? params.Payload : input;
    if (!binding.callback) {
      const result = await this.invokeAsStep(binding.functionName, payload);
      return binding.wrapped ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 } : result;
    }
    const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
    const outcome = new Promise<unknown>((resolve, reject) => {
      this.tokens.set(token, { executionArn, resolve, reject });
    });
    // Registered before the invocation: the handler may resume the task itself (order already paid).
    outcome.catch(() => undefined);
    try {
      await this.invokeAsStep(binding.functionName, fillToken(payload, token));
    } catch (error) {
      this.tokens.delete(token);
      throw error;
    }
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
      throw new AwsServiceError('InvalidOutput', 'task output is not JSON');
    }
    this.takeToken(token).resolve(parsed);
  }

  sendTaskFailure(token: unknown, error: unknown, cause: unknown): void {
    this.takeToken(token).reject(stateError(String(error ?? 'States.TaskFailed'), String(cause ?? '')));
  }

  describe(arn: unknown): ExecutionRecord {
    const record = typeof arn === 'string' ? this.executions.get(arn) : undefined;
    if (!record)
      throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return record;
  }

  list(status?: ExecutionStatus): ExecutionRecord[] {
    return [...this.executions.values()]
      .filter((record) => !status || record.status === status)
      .sort((a, b) => b.startDate - a.startDate);
  }

  timeline(arn: string): TimelineEvent[] {
    this.describe(arn);
    return [...(this.timelines.get(arn) ?? [])];
  }

  stopExecution(arn: unknown, error?: string, cause?: string): ExecutionRecord {
    const record = this.describe(arn);
    if (record.status === 'RUNNING') {
      this.close(record, { status: 'ABORTED', ...(error ? { error } : {}), ...(cause ? { cause } : {}) });
      this.running.get(record.executionArn)?.abort();
    }
    return record;
  }

  /** Executions of this process still running. */
  get runningCount(): number {
    return this.running.size;
  }

  /** True while an execution of the order runs (in this process: those of a previous one read ABORTED). */
  isRunning(orderKey: string): boolean {
    for (const arn of this.running.keys()) {
      const record = this.executions.get(arn);
      if (record?.orderKey === orderKey && record.status === 'RUNNING') return true;
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
    for (const arn of [...this.running.keys()]) {
      const record = this.executions.get(arn);
      if (record?.status === 'RUNNING')
        this.close(record, { status: 'ABORTED', cause: 'local mode stopped' });
      this.running.get(arn)?.abort();
    }
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  /**
   * What IAM authorizes a call on: the state machine for StartExecution and ListExecutions, the execution for
   * those about one, and for a task callback the state machine whose task the token belongs to (IAM's resource for
   * SendTask*: there is one state machine here, and every token, live or dead, is one of its tasks).
   */
  accessRequests(operation: string, input: Record<string, unknown>): AccessRequest[] {
    const action = `states:${operation}`;
    const arn = (value: unknown) => (typeof value === 'string' && value !== '' ? value : '*');
    switch (operation) {
      case 'StartExecution':
      case 'ListExecutions':
        return [{ action, resource: arn(input.stateMachineArn) }];
      case 'SendTaskSuccess':
      case 'SendTaskFailure':
      case 'SendTaskHeartbeat':
        return [{ action, resource: this.stateMachineArn }];
      default:
        return [{ action, resource: arn(input.executionArn) }];
    }
  }

  /** The AWS JSON 1.0 operations the handlers and the ops CLI call, over loopback; `access` enforces IAM. */
  serviceHandler(access?: AccessCheck) {
    const epoch = (ms?: number) => (ms === undefined ? undefined : ms / 1000);
    const summary = (record: ExecutionRecord) => ({
      executionArn: record.executionArn,
      stateMachineArn: this.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: epoch(record.startDate),
      stopDate: epoch(record.stopDate),
    });
    const describe = (record: ExecutionRecord) => ({
      ...summary(record),
      input: record.input,
      output: record.output,
      error: record.error,
      cause: record.cause,
    });
    return awsJsonHandler({
      targetPrefix: 'AWSStepFunctions',
      jsonVersion: '1.0',
      ...(access
        ? { access: { check: access, requests: (operation, input) => this.accessRequests(operation, input) } }
        : {}),
      operations: {
        StartExecution: (input) => {
          if (input.stateMachineArn !== this.stateMachineArn) {
            throw new AwsServiceError(
              'StateMachineDoesNotExist',
              `State Machine Does Not Exist: '${String(input.stateMachineArn)}'`,
            );
          }
          const record = this.startExecution(
            String(input.name ?? randomBytes(8).toString('hex')),
            String(input.input ?? '{}'),
          );
          return { executionArn: record.executionArn, startDate: epoch(record.startDate) };
        },
        DescribeExecution: (input) => describe(this.describe(input.executionArn)),
        StopExecution: (input) => {
          const record = this.stopExecution(input.executionArn, input.error as string, input.cause as string);
          return { stopDate: epoch(record.stopDate) };
        },
        ListExecutions: (input) => {
          const status = input.statusFilter as ExecutionStatus | undefined;
          if (status && !STATUSES.includes(status))
            throw new AwsServiceError('ValidationException', `statusFilter ${status} is not valid`);
          const all = this.list(status);
          const start = Number(input.nextToken ?? 0);
          const size = Math.min(Number(input.maxResults ?? 100) || 100, 1000);
          const page = all.slice(start, start + size);
          return {
            executions: page.map(summary),
            nextToken: start + size < all.length ? String(start + size) : undefined,
          };
        },
        GetExecutionHistory: (input) => {
          const events = this.timeline(String(input.executionArn)).map((event, index) => ({
            id: index + 1,
            previousEventId: index,
            timestamp: epoch(event.timestamp),
            type: event.state ? `${event.stateType ?? ''}${event.type}` : event.type,
            ...(event.state ? { stateEnteredEventDetails: { name: event.state } } : {}),
            ...(event.error
              ? { executionFailedEventDetails: { error: event.error, cause: event.cause } }
              : {}),
          }));
          return { events: input.reverseOrder ? events.reverse() : events };
        },
        SendTaskSuccess: (input) => {
          this.sendTaskSuccess(input.taskToken, input.output);
          return {};
        },
        SendTaskFailure: (input) => {
          this.sendTaskFailure(input.taskToken, input.error, input.cause);
          return {};
        },
        SendTaskHeartbeat: (input) => {
          // Heartbeats are not emulated; a live token is accepted, a dead one refused as on AWS.
          if (typeof input.taskToken !== 'string' || !this.tokens.has(input.taskToken)) {
            throw new AwsServiceError('TaskTimedOut', 'Task Timed Out');
          }
          return {};
        },
      },
    });
  }
}
