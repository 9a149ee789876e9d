import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ExecutionStatus } from '../../../shared/workflow/ports';
import type { AccessCheck } from '../../iam/access';
import { AwsServiceError } from '../aws-json';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../template/types';
import { assertExecutionArn, assertExecutionName, executionArn } from './arns';
import { rewriteDefinition, type TaskBinding } from './definition';
import {
  type ExecutionHistoryEvent,
  type ExecutionRecord,
  ExecutionStore,
  type NewHistoryEvent,
} from './execution-store';
import {
  type EngineStateEvent,
  executionClosedEvent,
  executionEnd,
  executionStartedEvent,
  stateHistoryEvent,
} from './history-events';
import { RedriveTokens, redriveRefusal, stoppedIn } from './redrive';
import { endRun, entered, newRun, type Run, untilEntered } from './run';
import { stepFunctionsService } from './service';
import { TaskTokens } from './task-tokens';
import { TaskRunner } from './tasks';
import type { HistoryNotice, LocalStepFunctionsOptions, TimelineEvent, WorkflowEvent } from './types';

export type { ExecutionHistoryEvent, ExecutionRecord } from './execution-store';
export type {
  HistoryNotice,
  Invoker,
  LocalStepFunctionsOptions,
  TimelineEvent,
  WorkflowEvent,
} from './types';

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
  private readonly bindings: ReadonlyMap<string, TaskBinding>;
  private readonly waitOverrides: Record<string, number>;
  private readonly store: ExecutionStore;
  private readonly running = new Map<string, Run>();
  private readonly tokens = new TaskTokens();
  private readonly tasks: TaskRunner;
  private readonly redriveTokens = new RedriveTokens();
  /** When this engine was made: DescribeStateMachine's creation date. */
  readonly createdAt = Date.now();

  constructor(readonly options: LocalStepFunctionsOptions) {
    this.stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${options.stateMachineName}`;
    // Validate the definition as written before rewriting it: a broken template fails the start.
    new StateMachine(options.definition, { validationOptions: { checkPaths: true, checkArn: true } });
    this.tasks = new TaskRunner({
      invoke: options.invoke,
      tokens: this.tokens,
      appendFor: (run, event) => this.appendFor(run, event),
      untilEntered,
    });
    const rewritten = rewriteDefinition(options.definition, options.maxWaitSeconds);
    this.rewritten = rewritten.definition;
    this.bindings = rewritten.bindings;
    this.waitOverrides = rewritten.waitOverrides;
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
    if (run) endRun(run);
    Object.assign(record, update, { stopDate: Date.now() });
    const at = record.stopDate as number;
    this.append(record, executionClosedEvent(record, at));
    this.store.putRecord(record);
    this.engineStep(record, {
      timestamp: at,
      type: record.status,
      ...(record.error ? { error: record.error } : {}),
      ...(record.cause ? { cause: record.cause } : {}),
    });
    this.tokens.rejectAll(record.executionArn);
    this.events.emit('closed', record);
  }

  /** StartExecution: same name and input while RUNNING → the same execution; otherwise ExecutionAlreadyExists. */
  startExecution(name: string, input: string): ExecutionRecord {
    assertExecutionName(name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new AwsServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const arn = executionArn(this.options.stateMachineName, name);
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
    this.append(record, executionStartedEvent(record, this.roleArn));
    this.engineStep(record, { timestamp: record.startDate, type: 'ExecutionStarted' });
    this.run(record, parsed);
    return record;
  }

  /** The state machine's role: the template's, or a made-up one. */
  get roleArn(): string {
    return this.options.stateMachine?.roleArn ?? `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`;
  }

  /** Runs the execution from the definition's start, or from `startAt` (a redrive), with `input`. */
  private run(record: ExecutionRecord, input: unknown, startAt?: string): void {
    const machine = startAt
      ? new StateMachine({ ...this.rewritten, StartAt: startAt }, { validationOptions: { noValidate: true } })
      : this.machine;
    const run = newRun(record);
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [state, binding] of this.bindings) {
      handlers[state] = (taskInput) => this.tasks.run(run, state, binding, taskInput);
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
          if (run.live) this.close(record, executionEnd(error));
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
   * `…Failed` event (recorded by TaskRunner, tasks.ts) followed by another `…Scheduled`, or by the state's exit, says it.
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
    const recorded = stateHistoryEvent(event);
    if (recorded) this.appendFor(run, recorded);
    if (event.type === 'StateEntered' || event.type === 'StateRetried') entered(run, name);
  }

  /** SendTaskSuccess: the waiting task succeeds with `output` (JSON). */
  sendTaskSuccess(token: unknown, output: unknown): void {
    this.tokens.succeed(token, output);
  }

  /** SendTaskFailure: the waiting task fails with `error` and `cause`. */
  sendTaskFailure(token: unknown, error: unknown, cause: unknown): void {
    this.tokens.fail(token, error, cause);
  }

  /** SendTaskHeartbeat: accepted for a token a task waits on. */
  heartbeat(token: string): void {
    this.tokens.heartbeat(token);
  }

  /** Why RedriveExecution would refuse the execution now (DescribeExecution's `redriveStatusReason`). */
  redriveStatusReason(record: ExecutionRecord): string | undefined {
    return redriveRefusal(record, this.store.eventCount(record.executionArn));
  }

  describe(arn: unknown): ExecutionRecord {
    assertExecutionArn(arn);
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

  /**
   * RedriveExecution: a FAILED, ABORTED or TIMED_OUT execution runs again from the state it stopped in, with that
   * state's input; the states it completed are not run again. Same ARN, `redriveCount` one more, an
   * `ExecutionRedriven` event, RUNNING until its new end. A client token it was redriven with in the last 15
   * minutes answers that redrive again, as Step Functions does.
   */
  redriveExecution(arn: unknown, clientToken?: string): { record: ExecutionRecord; redriveDate: number } {
    const record = this.describe(arn);
    const now = Date.now();
    const seen = this.redriveTokens.seen(record.executionArn, clientToken, now);
    if (seen !== undefined) return { record, redriveDate: seen };
    const reason = this.redriveStatusReason(record);
    if (reason) throw new AwsServiceError('ExecutionNotRedrivable', `${reason}: '${record.executionArn}'`);
    const resume = stoppedIn(this.store.events(record.executionArn));
    for (const key of ['stopDate', 'output', 'error', 'cause'] as const) delete record[key];
    Object.assign(record, {
      status: 'RUNNING',
      redriveCount: (record.redriveCount ?? 0) + 1,
      redriveDate: now,
    });
    this.redriveTokens.remember(record.executionArn, clientToken, now);
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

  /** The AWS JSON 1.0 operations of Step Functions local mode serves, over loopback; `access` enforces IAM. */
  serviceHandler(access?: AccessCheck) {
    return stepFunctionsService(this, access);
  }
}
