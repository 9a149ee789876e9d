import { executionName } from '../domain/keys';
import { type CreditOptions, creditOwed } from '../domain/money';
import { MetricNames } from '../metric-names';
import type { OrderRecord } from '../store/order-repository';
import type { TransferStore } from '../store/transfer-repository';
import type { YayApi } from '../yay/types';
import type { EventsOut } from './events-out';
import { moneyStateOf } from './money-state';
import { parkForPerson } from './park';
import { type ReplayDeps, replayOrder, startExecution } from './replay';
import { creditStillOwed, sweepOwed } from './sweep-owed';
import { replayToReconcile } from './sweep-transfers';
import { DEFAULT_LEASE_SECONDS } from './transfer-credit';

export { type ReplayDeps, type ReplayResult, replayOrder } from './replay';
export { creditStillOwed } from './sweep-owed';

/** What the sweep reads, starts and reports through. */
export interface SweepDeps extends ReplayDeps {
  transfers: TransferStore;
  yay: YayApi;
  /** `Order Needs Attention` for an order the sweep leaves to a person. */
  events: EventsOut;
  /** How the credit owed is derived (free orders). */
  credit?: CreditOptions;
}

/** The sweep's thresholds, from the function's environment. */
export interface SweepOptions {
  /** The payment window: an unpaid order older than this whose execution is gone is expired. */
  paymentWindowSeconds: number;
  /** Orders touched more recently than this are left alone (dispatch may be mid-way). Default 300. */
  minAgeSeconds?: number;
  /** Automatic replays per order before the sweep leaves it to a person. Default 3. */
  maxAutoReplays?: number;
  /** The transfer lease's lifetime: an IN_FLIGHT intent older than this lost its attempt. Default 90. */
  leaseSeconds?: number;
}

/** What one sweep found and did, by order key (logged, and returned to the caller). */
export interface SweepReport {
  open: number;
  restarted: string[];
  replayed: string[];
  expired: string[];
  resumed: string[];
  gaveUp: string[];
  /**
   * Finished orders with an undecided transfer for which the sweep started a replay (also in `replayed`): the
   * replay's Reconcile transfer decides it.
   */
  reconciling: string[];
  /** Orders on the OwedCredit index. */
  owed: number;
  /** Finished orders whose money owes credit, replayed to move it (also in `replayed`). */
  credited: string[];
  /** Orders taken off the OwedCredit index: their money owes nothing, or their credit moved. */
  settled: string[];
  /** Orders the sweep parked for a person: only a person can tell what their money owes. */
  parked: string[];
  resellerBalance?: number;
  creditOwed: number;
}

/**
 * The 15-minute sweep: what no event will fix by itself.
 * - open orders whose execution never started or is gone: start it (same name: idempotent);
 * - open orders whose execution FAILED/ABORTED/TIMED_OUT without recording an outcome: replay (`-r<n>`);
 * - unpaid orders past the payment window with no running execution: outcome `expired`;
 * - running executions whose payment is decided but whose task still waits (a lost resume): resume again;
 * - UNKNOWN or interrupted transfers of finished orders: replay the order, whose execution reconciles them (the
 *   sweep never decides a transfer itself; an open order's own execution does);
 * - every order that may owe credit (the OwedCredit index): derived from its money facts, a finished order that owes
 *   is replayed to move it (a late payment, a payment a crash left unacted on), one only a person can judge is parked,
 *   one that owes nothing (or whose credit moved) leaves the index — so nothing owed is forgotten;
 * - reseller balance against credit still owed: metrics for the alarm and dashboard.
 * One order's failure is logged and does not stop the rest.
 */
export async function sweep(deps: SweepDeps, options: SweepOptions): Promise<SweepReport> {
  const now = deps.now();
  const minAgeMs = (options.minAgeSeconds ?? 300) * 1000;
  const maxReplays = options.maxAutoReplays ?? 3;
  const report: SweepReport = {
    open: 0,
    restarted: [],
    replayed: [],
    expired: [],
    resumed: [],
    gaveUp: [],
    reconciling: [],
    owed: 0,
    credited: [],
    settled: [],
    parked: [],
    creditOwed: 0,
  };
  const open = await deps.orders.listOpen();
  report.open = open.length;
  for (const order of open) {
    if (now.getTime() - Date.parse(order.updatedAt) < minAgeMs) continue;
    try {
      await sweepOrder(deps, order, options, maxReplays, now, report);
    } catch (error) {
      deps.log.error('sweep could not handle an order', {
        orderKey: order.orderKey,
        error: errorText(error),
      });
    }
  }

  const staleMs = (options.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;
  for (const intent of await deps.transfers.listUnsettled()) {
    const age = now.getTime() - Date.parse(intent.updatedAt);
    const unresolved = intent.status === 'UNKNOWN' || (intent.status === 'IN_FLIGHT' && age > staleMs);
    if (!unresolved || age < minAgeMs) continue;
    try {
      await replayToReconcile(deps, intent, maxReplays, report);
    } catch (error) {
      deps.log.warn('sweep could not hand an undecided transfer to an execution', {
        orderKey: intent.orderKey,
        error: errorText(error),
      });
    }
  }

  const owed = await deps.orders.listOwed();
  report.owed = owed.length;
  for (const order of owed) {
    if (now.getTime() - Date.parse(order.updatedAt) < minAgeMs) continue;
    try {
      await sweepOwed(deps, order, options, maxReplays, now, report);
    } catch (error) {
      deps.log.error('sweep could not settle an order that may owe credit', {
        orderKey: order.orderKey,
        error: errorText(error),
      });
    }
  }

  report.creditOwed = creditStillOwed(deps, owed);
  deps.metrics.addMetric(MetricNames.CreditOwedMillis, 'None', report.creditOwed);
  try {
    report.resellerBalance = await deps.yay.resellerBalance();
    deps.metrics.addMetric(MetricNames.ResellerBalanceMillis, 'None', report.resellerBalance);
    if (report.resellerBalance < report.creditOwed) {
      deps.log.error('reseller balance is below the credit still owed; top up', {
        resellerBalanceMillis: report.resellerBalance,
        creditOwedMillis: report.creditOwed,
      });
    }
  } catch (error) {
    deps.log.warn('reseller balance could not be read', { error: errorText(error) });
  }
  deps.log.info('sweep done', { ...report });
  return report;
}

async function sweepOrder(
  deps: SweepDeps,
  order: OrderRecord,
  options: SweepOptions,
  maxReplays: number,
  now: Date,
  report: SweepReport,
): Promise<void> {
  const name = order.executionName ?? executionName(order.orderKey, order.replays || undefined);
  const status = await deps.workflow.status(order.executionArn ?? deps.workflow.executionArn(name));
  const pastWindow =
    order.payment !== 'paid' &&
    now.getTime() - Date.parse(order.createdAt) > options.paymentWindowSeconds * 1000;

  if (status === 'RUNNING') {
    if (order.taskToken && order.payment === 'paid') {
      const resumed = await deps.workflow.resume(order.taskToken, { paid: true });
      if (resumed.resumed) report.resumed.push(order.orderKey);
    } else if (order.taskToken && order.payment === 'failed') {
      const failed = await deps.workflow.fail(
        order.taskToken,
        'PaymentFailed',
        'the store reported the payment failed',
      );
      if (failed.resumed) report.resumed.push(order.orderKey);
    }
    return;
  }
  if (status === 'SUCCEEDED' && order.payment === 'paid') {
    // The execution ended as money came (its outcome found the order owing and left it open): a new execution
    // derives what the money owes now — credit, a refund in full, or a person.
    if (await gaveUp(deps, order, status, maxReplays, report)) return;
    await replayOrder(deps, order.orderKey, 'sweep: money came as the execution ended', { force: true });
    report.replayed.push(order.orderKey);
    return;
  }
  if (status === 'PENDING_REDRIVE') {
    deps.log.info('execution is being redriven; the order stays open', { orderKey: order.orderKey });
    return;
  }
  if (pastWindow) {
    // Ends without credit, unless its money (a refund of money never paid, a dispute) needs a person's eye.
    const verdict = creditOwed(moneyStateOf(order), deps.credit);
    if (verdict.kind === 'person') {
      await parkForPerson(deps, order.orderKey, verdict.reason, verdict.why);
      report.parked.push(order.orderKey);
      return;
    }
    const { applied } = await deps.orders.recordOutcome(
      order.orderKey,
      order.payment === 'failed' ? 'payment_failed' : 'expired',
      { Error: 'States.Timeout', Cause: 'no payment within the payment window (found by the sweep)' },
      now,
    );
    if (applied) report.expired.push(order.orderKey);
    return;
  }
  if (status === 'SUCCEEDED') {
    // Unpaid and open, though its execution ended: a new one waits for the payment again.
    if (await gaveUp(deps, order, status, maxReplays, report)) return;
    await replayOrder(deps, order.orderKey, 'sweep: execution ended while the order was open', {
      force: true,
    });
    report.replayed.push(order.orderKey);
    return;
  }
  if (status === undefined) {
    await startExecution(deps, order);
    report.restarted.push(order.orderKey);
    return;
  }
  // FAILED, ABORTED or TIMED_OUT without an outcome on the order.
  if (await gaveUp(deps, order, status, maxReplays, report)) return;
  await replayOrder(deps, order.orderKey, `sweep: execution ${status} while the order was open`);
  report.replayed.push(order.orderKey);
}

/**
 * Out of automatic replays for an open order whose executions keep ending without an outcome: parked where a person
 * sees it (ops attention, the console, the alarm), not left open with a log line that only says so.
 */
async function gaveUp(
  deps: SweepDeps,
  order: OrderRecord,
  status: string,
  maxReplays: number,
  report: SweepReport,
): Promise<boolean> {
  if (order.replays < maxReplays) return false;
  await parkForPerson(
    deps,
    order.orderKey,
    'failed',
    `its execution ended ${status} without recording an outcome, ${order.replays + 1} times; the sweep stopped replaying it`,
  );
  report.gaveUp.push(order.orderKey);
  return true;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
