import type { Millis } from '../../../shared/domain/credit';
import { YayRateLimited, YayRejected, YayUnavailable } from '../../../shared/errors';
import type {
  ExecutionStatus,
  LogSink,
  MetricsSink,
  Observability,
  WorkflowControl,
} from '../../../shared/workflow/ports';
import type {
  BalanceHistoryEntry,
  CreateCustomerInput,
  YayApi,
  YayCustomer,
} from '../../../shared/yay/types';

/** What the next transfer call does. */
export type TransferFault =
  | 'rejected' // 400: definite refusal, nothing applied
  | 'never-sent' // connection refused: YayUnavailable(mayHaveReachedYay=false), nothing applied
  | 'rate-limited' // 429, nothing applied
  | 'lost-answer' // applied, then the answer is lost: YayUnavailable(mayHaveReachedYay=true)
  | 'timeout-not-applied' // timed out before Yay processed it: YayUnavailable(true), nothing applied
  | 'process-error'; // a non-Yay error after the request may have left (e.g. a bug parsing the answer)

/**
 * An in-memory YayApi for use-case tests: a ledger of customers and balances, faults queued per transfer
 * call, and a gate to hold transfers open so tests can observe overlap. Behaviour mirrors what
 * shared/yay/README.md says of the API; every balance movement (a transfer that applied, a customer's spending,
 * an opening balance) is also written to the customer's balance history, at {@link FakeYay.now}.
 */
export class FakeYay implements YayApi {
  resellerMillis = 100_000;
  readonly customers = new Map<string, YayCustomer & { balance: number }>();
  readonly transferFaults: TransferFault[] = [];
  /** Every transfer call made, applied or not. */
  readonly transferCalls: { uuid: string; amount: number }[] = [];
  /** Transfers that moved money. */
  readonly applied: { uuid: string; amount: number }[] = [];
  customerBalanceReadable = true;
  /** When set, the next customer-balance reads throw it (a throttle, an outage) instead of answering. */
  customerBalanceError?: Error;
  /** Each customer's balance history, oldest first, as {@link customerBalanceHistory} answers it. */
  readonly history = new Map<string, BalanceHistoryEntry[]>();
  /** False: no history path answers (`customerBalanceHistory` is `undefined`), as on an API without one. */
  customerBalanceHistoryReadable = true;
  /** When set, history reads throw it (a throttle, an outage) instead of answering. */
  customerBalanceHistoryError?: Error;
  /** Yay's clock, stamped on each history entry; a test sets it to its own (e.g. a recording clock). */
  now: () => Date = () => new Date();
  inFlight = 0;
  maxInFlight = 0;
  /** When set, each transfer awaits it before answering (holds the call open). */
  gate?: () => Promise<void>;
  private next = 1;

  addCustomer(name: string, balance = 0): string {
    const uuid = `00000000-0000-4000-8000-${String(this.next++).padStart(12, '0')}`;
    this.customers.set(uuid, { uuid, name, balance });
    this.history.set(uuid, []);
    if (balance !== 0) this.record(uuid, balance);
    return uuid;
  }

  /**
   * The customer spends `amount` thousandths (calls, numbers): the balance may go below zero, as Yay's does for a
   * customer who called past it. Recorded in the history as a negative change. Returns the new balance.
   */
  spend(uuid: string, amount: number): number {
    const customer = this.customers.get(uuid);
    if (!customer) throw new Error(`FakeYay.spend: no customer ${uuid}`);
    if (!Number.isSafeInteger(amount) || amount <= 0)
      throw new RangeError(`spend a positive integer, got ${amount}`);
    customer.balance -= amount;
    this.record(uuid, -amount);
    return customer.balance;
  }

  private record(uuid: string, change: number): void {
    const customer = this.customers.get(uuid);
    const entries = this.history.get(uuid) ?? [];
    this.history.set(uuid, entries);
    entries.push({
      change: change as Millis,
      at: this.now().toISOString(),
      balance: (customer?.balance ?? 0) as Millis,
    });
  }

  async checkAuthentication(): Promise<void> {}

  async createCustomer(input: CreateCustomerInput): Promise<{ uuid?: string }> {
    if ([...this.customers.values()].some((c) => c.name === input.name)) {
      throw new YayRejected('POST /account/reseller answered 400', 400);
    }
    return { uuid: this.addCustomer(input.name) };
  }

  async listCustomers(): Promise<YayCustomer[]> {
    return [...this.customers.values()].map(({ uuid, name }) => ({ uuid, name }));
  }

  async listStoreFronts(): Promise<Record<string, unknown>[]> {
    return [];
  }

  async transferCredit(customerUuid: string, amount: Millis): Promise<void> {
    this.transferCalls.push({ uuid: customerUuid, amount });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate) await this.gate();
      const fault = this.transferFaults.shift();
      switch (fault) {
        case 'rejected':
          throw new YayRejected('PUT /account/reseller/{uuid} answered 400', 400);
        case 'never-sent':
          throw new YayUnavailable('connect ECONNREFUSED 127.0.0.1', false);
        case 'rate-limited':
          throw new YayRateLimited('PUT /account/reseller/{uuid} answered 429');
        case 'timeout-not-applied':
          throw new YayUnavailable('request timed out', true);
        case 'process-error':
          throw new TypeError('simulated crash after the request left');
      }
      const customer = this.customers.get(customerUuid);
      if (!customer) throw new YayRejected('PUT /account/reseller/{uuid} answered 404', 404);
      if (amount > this.resellerMillis)
        throw new YayRejected('PUT /account/reseller/{uuid} answered 400', 400);
      this.resellerMillis -= amount;
      customer.balance += amount;
      this.record(customerUuid, amount);
      this.applied.push({ uuid: customerUuid, amount });
      if (fault === 'lost-answer') throw new YayUnavailable('socket hang up', true);
    } finally {
      this.inFlight--;
    }
  }

  async resellerBalance(): Promise<Millis> {
    return this.resellerMillis as Millis;
  }

  async customerBalance(customer: { uuid: string; name: string }): Promise<Millis | undefined> {
    if (this.customerBalanceError) throw this.customerBalanceError;
    if (!this.customerBalanceReadable) return undefined;
    return this.customers.get(customer.uuid)?.balance as Millis | undefined;
  }

  async customerBalanceHistory(customer: {
    uuid: string;
    name: string;
  }): Promise<BalanceHistoryEntry[] | undefined> {
    if (this.customerBalanceHistoryError) throw this.customerBalanceHistoryError;
    if (!this.customerBalanceHistoryReadable) return undefined;
    const entries = this.history.get(customer.uuid);
    return entries?.map((entry) => ({ ...entry }));
  }
}

export interface Recorded {
  metrics: { name: string; unit: string; value: number }[];
  logs: { level: string; message: string; extra: Record<string, unknown>[] }[];
  /** Everything logged, as one string: for "never logs X" assertions. */
  logText(): string;
  metricTotal(name: string): number;
}

/** Observability that records metrics and log lines, with a settable clock. */
export function recordingObservability(start = new Date('2026-11-27T06:00:00.000Z')) {
  const recorded: Recorded = {
    metrics: [],
    logs: [],
    logText: () => JSON.stringify(recorded.logs),
    metricTotal: (name) =>
      recorded.metrics.filter((m) => m.name === name).reduce((sum, m) => sum + m.value, 0),
  };
  const clock = { now: start };
  const metrics: MetricsSink = {
    addMetric: (name, unit, value) => {
      recorded.metrics.push({ name, unit, value });
    },
  };
  const at =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      recorded.logs.push({ level, message, extra });
    };
  const log: LogSink = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const observability: Observability = { metrics, log, now: () => clock.now };
  return {
    observability,
    recorded,
    /** Moves the clock forward. */
    advance(seconds: number) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
  };
}

/** A promise with its resolver, for holding a fake call open. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * An in-memory WorkflowControl: executions by name with their input and status, resumes and failures recorded.
 * AWS's StartExecution semantics: a name seen before is `alreadyExists`.
 */
export class FakeWorkflow implements WorkflowControl {
  readonly started: { name: string; input: unknown }[] = [];
  readonly statuses = new Map<string, ExecutionStatus>();
  readonly resumed: { taskToken: string; output: unknown }[] = [];
  readonly failed: { taskToken: string; error: string }[] = [];

  executionArn(name: string): string {
    return `arn:aws:states:eu-west-2:123456789012:execution:CustomerProvisioning:${name}`;
  }

  async start(name: string, input: unknown) {
    const executionArn = this.executionArn(name);
    if (this.statuses.has(executionArn)) return { executionArn, alreadyExists: true };
    this.started.push({ name, input });
    this.statuses.set(executionArn, 'RUNNING');
    return { executionArn, alreadyExists: false };
  }

  async resume(taskToken: string, output: unknown) {
    this.resumed.push({ taskToken, output });
    return { resumed: true };
  }

  async fail(taskToken: string, error: string) {
    this.failed.push({ taskToken, error });
    return { resumed: true };
  }

  async status(executionArn: string) {
    return this.statuses.get(executionArn);
  }
}
