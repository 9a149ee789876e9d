/**
 * The money model-based test's world: the real use cases over dynalite and the Yay sandbox (over HTTP), driven
 * step by step as the `CustomerProvisioning` graph drives them, with crash points before and after every store write
 * and Yay call. The oracle ({@link owedByOracle}) is a small model of what an order owes, written apart from
 * shared/domain/money.ts on purpose: the test compares the two. Hand-written: no provider sends these orders.
 */
import type { Duration } from 'aws-cdk-lib';
import { RetryPolicies } from '../../../infra/constructs/provisioning-workflow';
import { DEFAULT_STORE_FRONT, type YaySandbox } from '../../../local/yay-sandbox/server';
import type { MoneyFact } from '../../../shared/domain/money';
import type { OrderEvent } from '../../../shared/domain/order-event';
import type { Outcome } from '../../../shared/domain/order-state';
import { ErrorNames, OrderIncomplete } from '../../../shared/errors';
import type { DynamoStore, NotificationStores } from '../../../shared/store/dynamo-store';
import { storeFrontLookup } from '../../../shared/store-fronts';
import { awaitPayment } from '../../../shared/workflow/await-payment';
import type {
  CaughtError,
  CustomerRef,
  ExecutionInput,
  PaymentState,
  ReconcileResult,
  TransferResult,
} from '../../../shared/workflow/contract';
import { createCustomer } from '../../../shared/workflow/create-customer';
import { type DispatchDeps, dispatchOrderEvent } from '../../../shared/workflow/dispatch';
import type { EventsOut } from '../../../shared/workflow/events-out';
import type { ExecutionStatus, Observability, WorkflowControl } from '../../../shared/workflow/ports';
import { reconcileTransfer } from '../../../shared/workflow/reconcile-transfer';
import { recordCustomer } from '../../../shared/workflow/record-customer';
import { recordOutcome } from '../../../shared/workflow/record-outcome';
import { sweep } from '../../../shared/workflow/sweep';
import { transferCredit } from '../../../shared/workflow/transfer-credit';
import { passwordKey } from '../../../shared/yay/password-box';
import type { YayApi } from '../../../shared/yay/types';

/** The process dying at a crash point: the step's Lambda never answers (its execution aborts, an event is redelivered). */
export class Crash extends Error {
  override readonly name = 'Crash';
}

/** Where crashes strike: the `countdown`-th next store write or Yay call, before or after it takes effect. */
export class CrashPoints {
  private countdown = 0;
  private when: 'before' | 'after' = 'before';
  enabled = true;

  arm(countdown: number, when: 'before' | 'after'): void {
    this.countdown = countdown;
    this.when = when;
  }

  disarm(): void {
    this.countdown = 0;
  }

  async around<T>(call: () => Promise<T>): Promise<T> {
    if (!this.enabled || this.countdown === 0) return call();
    this.countdown -= 1;
    if (this.countdown > 0) return call();
    if (this.when === 'before') throw new Crash('crashed before the write');
    await call();
    throw new Crash('crashed after the write');
  }
}

const STORE_WRITES = [
  'record',
  'recordFact',
  'leaveOwed',
  'storeTaskToken',
  'recordCustomer',
  'recordOutcome',
  'flagAttention',
  'setExecution',
  'beginReplay',
  'closeAttention',
  'recordAction',
  'putCustomer',
  'planIntent',
  'transition',
  'noteMoneyChange',
  'reopenCancelled',
  'acquire',
  'release',
  'claimPayment',
  'notePaymentFact',
] as const;

/** The store, each write behind the crash points; reads pass (a crash before a read is one after the write before). */
export function crashingStore(store: DynamoStore, crashes: CrashPoints): DynamoStore {
  const wrapped = { ...store } as Record<string, unknown>;
  for (const name of STORE_WRITES) {
    const write = (store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name];
    if (!write) throw new Error(`store has no ${name}`);
    wrapped[name] = (...args: unknown[]) => crashes.around(() => write(...args));
  }
  return wrapped as unknown as DynamoStore;
}

/** The Yay client, its two calls that change Yay behind the crash points. */
export function crashingYay(yay: YayApi, crashes: CrashPoints): YayApi {
  return {
    ...yay,
    checkAuthentication: () => yay.checkAuthentication(),
    listCustomers: () => yay.listCustomers(),
    listStoreFronts: () => yay.listStoreFronts(),
    resellerBalance: () => yay.resellerBalance(),
    customerBalance: (customer) => yay.customerBalance(customer),
    createCustomer: (input) => crashes.around(() => yay.createCustomer(input)),
    transferCredit: (uuid, amount) => crashes.around(() => yay.transferCredit(uuid, amount)),
  } as YayApi;
}

type Phase = 'create' | 'record' | 'wait' | 'waiting' | 'transfer' | 'reconcile' | 'outcome' | 'done';

/** One execution of `CustomerProvisioning`, interpreted state by state as the graph in infra runs it. */
export interface ModelExecution {
  name: string;
  arn: string;
  input: ExecutionInput;
  status: ExecutionStatus;
  phase: Phase;
  customer?: CustomerRef;
  payment?: PaymentState;
  transfer?: TransferResult;
  reconcile?: ReconcileResult;
  outcome?: Outcome;
  error?: CaughtError;
  token?: string;
  /** What SendTaskSuccess/Failure or the task's timeout left for the waiting task. */
  taskResult?: { paid: true } | { error: string };
  /** Retries of the current state by error name, and when the next attempt may run (model seconds). */
  attempts: Map<string, number>;
  notBefore: number;
}

const seconds = (duration: Duration) => duration.toSeconds();

/** The graph's Retry for an error name, by state (infra/constructs/provisioning-workflow.ts). */
function retryFor(
  phase: Phase,
  error: string,
): { interval: number; backoff: number; max: number } | undefined {
  const policies = [
    RetryPolicies.awsTransient,
    ...(phase === 'create' || phase === 'transfer' || phase === 'reconcile'
      ? [RetryPolicies.yayUnavailable, RetryPolicies.yayRateLimited]
      : []),
    ...(phase === 'transfer' ? [RetryPolicies.resellerBalanceTooLow] : []),
    ...(phase === 'transfer' || phase === 'reconcile' ? [RetryPolicies.leaseBusy] : []),
  ];
  const policy = policies.find((p) => (p.errors as readonly string[]).includes(error));
  if (!policy) return undefined;
  return { interval: seconds(policy.interval), backoff: policy.backoffRate, max: policy.maxAttempts };
}

/** The model's clock (seconds since the start of a run), shared by the use cases' `now`. */
export class ModelClock {
  seconds = 0;
  private readonly start = Date.parse('2026-12-06T09:00:00.000Z');
  now = (): Date => new Date(this.start + this.seconds * 1000);
  advance(by: number): void {
    this.seconds += by;
  }
}

/** Step Functions, as far as the use cases see it: executions by name, task tokens, statuses. */
export class ModelWorkflow implements WorkflowControl {
  readonly executions = new Map<string, ModelExecution>();
  private nextToken = 1;

  constructor(private readonly clock: ModelClock) {}

  executionArn(name: string): string {
    return `arn:aws:states:eu-west-2:123456789012:execution:CustomerProvisioning:${name}`;
  }

  async start(name: string, input: unknown) {
    const arn = this.executionArn(name);
    if (this.executions.has(arn)) return { executionArn: arn, alreadyExists: true };
    this.executions.set(arn, {
      name,
      arn,
      input: input as ExecutionInput,
      status: 'RUNNING',
      phase: 'create',
      attempts: new Map(),
      notBefore: this.clock.seconds,
    });
    return { executionArn: arn, alreadyExists: false };
  }

  newToken(): string {
    return `test-only-token-${this.nextToken++}`;
  }

  private waitingFor(token: string): ModelExecution | undefined {
    return [...this.executions.values()].find(
      (execution) => execution.token === token && execution.phase === 'waiting' && !execution.taskResult,
    );
  }

  async resume(taskToken: string) {
    const execution = this.waitingFor(taskToken);
    if (execution?.status !== 'RUNNING') return { resumed: false, reason: 'TaskTimedOut' };
    execution.taskResult = { paid: true };
    return { resumed: true };
  }

  async fail(taskToken: string, error: string) {
    const execution = this.waitingFor(taskToken);
    if (execution?.status !== 'RUNNING') return { resumed: false, reason: 'TaskTimedOut' };
    execution.taskResult = { error };
    return { resumed: true };
  }

  async status(executionArn: string) {
    return this.executions.get(executionArn)?.status;
  }

  running(): ModelExecution[] {
    return [...this.executions.values()].filter((execution) => execution.status === 'RUNNING');
  }
}

/** Everything one run of the model test drives. */
export interface World {
  clock: ModelClock;
  workflow: ModelWorkflow;
  crashes: CrashPoints;
  store: DynamoStore;
  notifications: NotificationStores;
  yay: YayApi;
  sandbox: YaySandbox;
  observability: Observability;
  events: EventsOut;
  namingKey: string;
  /** Reconciliation's limit for deciding from balances alone (thousandths). */
  byBalanceUpTo: number;
  /** The entry point running now (dispatch, sweep, a step), for the log lines it writes. */
  source: 'dispatch' | 'sweep' | 'step';
}

const PASSWORD_KEY = passwordKey('test-only-password-key-not-a-secret-0000');

/** Every port a use case takes, over the crashing adapters. */
export function depsOf(world: World) {
  const store = crashingStore(world.store, world.crashes);
  return {
    ...world.observability,
    orders: store,
    transfers: store,
    payments: store,
    buyers: store,
    leases: store,
    yay: crashingYay(world.yay, world.crashes),
    workflow: world.workflow,
    events: world.events,
    namingKey: async () => world.namingKey,
    passwordKey: async () => PASSWORD_KEY,
    passwords: world.notifications.passwords,
    storeFrontFor: storeFrontLookup({ default: DEFAULT_STORE_FRONT.uuid, stores: {} }),
    byBalanceUpTo: world.byBalanceUpTo,
  };
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : 'Error');

/** Delivers one bus event to dispatch; false when the delivery crashed (EventBridge delivers it again). */
export async function dispatch(world: World, event: OrderEvent): Promise<boolean> {
  world.source = 'dispatch';
  try {
    await dispatchOrderEvent(depsOf(world) as DispatchDeps, event);
    return true;
  } catch (error) {
    if (error instanceof Crash) return false;
    throw error;
  } finally {
    world.source = 'step';
  }
}

/** The waiting task of an execution times out (the payment window closed). */
export function timeOut(execution: ModelExecution): void {
  if (execution.status === 'RUNNING' && execution.phase === 'waiting' && !execution.taskResult) {
    execution.taskResult = { error: 'States.Timeout' };
  }
}

/**
 * Runs one state of an execution, as the graph would: its Task, then its Retry (by error name, waiting its interval
 * on the model clock) or Catch (to an outcome, and Record outcome). A crash aborts the execution without an outcome,
 * as a killed process would leave it; the sweep finds it. Resolves whether anything happened.
 */
export async function step(world: World, execution: ModelExecution): Promise<boolean> {
  if (execution.status !== 'RUNNING' || execution.notBefore > world.clock.seconds) return false;
  if (execution.phase === 'waiting' && !execution.taskResult) return false;
  const deps = depsOf(world);
  const input = execution.input;
  const toOutcome = (outcome: Outcome, error?: CaughtError) => {
    execution.outcome = outcome;
    if (error) execution.error = error;
    execution.phase = 'outcome';
    execution.attempts.clear();
  };
  try {
    switch (execution.phase) {
      case 'create':
        execution.customer = await createCustomer(deps, input);
        execution.phase = 'record';
        break;
      case 'record':
        execution.payment = await recordCustomer(deps, {
          ...input,
          customer: execution.customer as CustomerRef,
        });
        execution.phase = execution.payment.paid ? 'transfer' : 'wait';
        break;
      case 'wait':
        execution.token = world.workflow.newToken();
        execution.phase = 'waiting';
        await awaitPayment(deps, { orderKey: input.order.orderKey, taskToken: execution.token });
        break;
      case 'waiting': {
        const result = execution.taskResult;
        execution.taskResult = undefined;
        if (result && 'paid' in result) execution.phase = 'transfer';
        else if (result?.error === 'States.Timeout') toOutcome('expired', { Error: 'States.Timeout' });
        else toOutcome('payment_failed', { Error: result?.error ?? 'PaymentFailed' });
        break;
      }
      case 'transfer': {
        const transfer = await transferCredit(deps, {
          ...input,
          customer: execution.customer as CustomerRef,
        });
        execution.transfer = transfer;
        toOutcome(
          transfer.status === 'APPLIED' || transfer.status === 'NOTHING_OWED'
            ? 'fulfilled'
            : transfer.status === 'CANCELLED'
              ? 'refunded'
              : 'needs_attention',
        );
        break;
      }
      case 'reconcile': {
        const reconcile = await reconcileTransfer(deps, input.order.orderKey);
        execution.reconcile = reconcile;
        if (reconcile.decision === 'applied') toOutcome('fulfilled');
        else if (reconcile.decision === 'retry') execution.phase = 'transfer';
        else toOutcome('needs_attention');
        break;
      }
      case 'outcome': {
        const outcome = execution.outcome as Outcome;
        await recordOutcome(deps, {
          ...input,
          outcome,
          ...(execution.customer ? { customer: execution.customer } : {}),
          ...(execution.transfer ? { transfer: execution.transfer } : {}),
          ...(execution.reconcile ? { reconcile: execution.reconcile } : {}),
          ...(execution.error ? { error: execution.error } : {}),
        });
        execution.phase = 'done';
        execution.status = outcome === 'failed' ? 'FAILED' : 'SUCCEEDED';
        break;
      }
      case 'done':
        return false;
    }
    execution.attempts.clear();
    return true;
  } catch (error) {
    if (error instanceof Crash) {
      execution.status = 'ABORTED';
      return true;
    }
    const name = errorName(error);
    if (execution.phase === 'transfer' && name === ErrorNames.TransferOutcomeUnknown) {
      execution.error = { Error: name, Cause: (error as Error).message };
      execution.phase = 'reconcile';
      execution.attempts.clear();
      return true;
    }
    if (execution.phase === 'create' && error instanceof OrderIncomplete) {
      toOutcome('needs_attention', { Error: name, Cause: error.message });
      return true;
    }
    const retry = retryFor(execution.phase, name);
    const attempt = (execution.attempts.get(name) ?? 0) + 1;
    if (retry && attempt <= retry.max) {
      execution.attempts.set(name, attempt);
      execution.notBefore = world.clock.seconds + retry.interval * retry.backoff ** (attempt - 1);
      return true;
    }
    if (execution.phase === 'outcome') {
      // Record outcome's own Catch: the execution fails loudly, the order keeps what it had.
      execution.status = 'FAILED';
      execution.phase = 'done';
      return true;
    }
    toOutcome('failed', { Error: name, Cause: (error as Error).message });
    return true;
  }
}

/** Runs the sweep as its schedule would (every order old enough); a crash only cuts the sweep short. */
export async function runSweep(world: World, paymentWindowSeconds: number): Promise<void> {
  world.source = 'sweep';
  try {
    await sweep(depsOf(world), { paymentWindowSeconds, minAgeSeconds: 0 });
  } catch (error) {
    if (!(error instanceof Crash)) throw error;
  } finally {
    world.source = 'step';
  }
}

/** One order a model run follows: its event template, money and the facts its store will report. */
export interface ScriptedOrder {
  event: OrderEvent;
  /** Thousandths of credit the catalog gives the order. */
  credit: number;
  total: number;
  singleCreditLine: boolean;
  facts: MoneyFact[];
}

/**
 * What the order owes, as a person would work it out from the facts: a number (thousandths), or `person` when only a
 * person can tell. Written from the product's rules, not from shared/domain/money.ts.
 */
export function owedByOracle(order: ScriptedOrder): number | 'person' {
  const seen = new Map<string, MoneyFact>();
  for (const fact of order.facts)
    if (!seen.has(`${fact.type}:${fact.id}`)) seen.set(`${fact.type}:${fact.id}`, fact);
  const facts = [...seen.values()];
  if (facts.some((fact) => fact.type === 'dispute')) return 'person';
  const paid = facts.filter((f) => f.type === 'payment').reduce((sum, f) => sum + (f.amount ?? 0), 0);
  const payments = facts.filter((f) => f.type === 'payment').length;
  const refunded = facts.filter((f) => f.type === 'refund').reduce((sum, f) => sum + (f.amount ?? 0), 0);
  if (payments === 0) return refunded > 0 ? 'person' : 0;
  if (paid !== order.total || refunded > paid) return 'person';
  if (paid === 0) return 0;
  if (refunded === 0) return order.credit;
  if (refunded === paid) return 0;
  if (!order.singleCreditLine) return 'person';
  const kept = (order.credit * (paid - refunded)) / paid;
  if (!Number.isInteger(kept) || (kept > 0 && kept < 10)) return 'person';
  return kept;
}
