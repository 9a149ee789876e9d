import { executionName } from '../domain/keys';
import { type CreditOptions, creditOwed } from '../domain/money';
import { isTerminal } from '../domain/order-state';
import { MetricNames } from '../metric-names';
import type { OrderRecord } from '../store/order-repository';
import type { TransferIntent, TransferStore } from '../store/transfer-repository';
import type { YayApi } from '../yay/types';
import type { EventsOut } from './events-out';
import { moneyStateOf } from './money-state';
import { parkForPerson } from './park';
import { claimReplay, type ReplayDeps, replayOrder, startExecution } from './replay';
import { DEFAULT_LEASE_SECONDS } from './transfer-credit';

export { type ReplayDeps, type ReplayResult, replayOrder } from './replay';

export interface SweepDeps extends ReplayDeps {
  transfers: TransferStore;
  yay: YayApi;
  /** `Order Needs Attention` for an order the sweep leaves to a person. */
  events: EventsOut;
  /** How the credit owed is derived (free orders). */
  credit?: CreditOptions;
}

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

/**
 * An undecided transfer (UNKNOWN, or IN_FLIGHT past its lease) is decided by an execution of its order, with the
 * graph's retries, never by the sweep: the execution's Transfer credit meets the intent and throws
 * TransferOutcomeUnknown, Reconcile transfer decides it from Yay's balances, and the outcome is recorded as for any
 * run. An open order is left to its execution (running, or started or replayed by the pass over open orders). A
 * finished one (e.g. its reconcile ran out of LeaseBusy retries and recorded `failed`) gets one replay, claimed by
 * a conditional write on its replay count and state, so concurrent sweeps start it once. A replay is harmless
 * whatever happened meanwhile: an intent decided since answers first (APPLIED → fulfilled again, never a second
 * call), and a refunded order is CANCELLED once the transfer is proven not applied.
 */
async function replayToReconcile(
  deps: SweepDeps,
  intent: TransferIntent,
  maxReplays: number,
  report: SweepReport,
): Promise<void> {
  const order = await deps.orders.get(intent.orderKey);
  // Only a paid order's execution reaches Transfer credit (an intent implies a paid order): a replay of any other
  // would wait for a payment and decide nothing.
  if (!order || !isTerminal(order.state) || order.payment !== 'paid') return;
  const name = order.executionName ?? executionName(order.orderKey, order.replays || undefined);
  // The execution may still be between Record outcome and its end.
  if ((await deps.workflow.status(order.executionArn ?? deps.workflow.executionArn(name))) === 'RUNNING')
    return;
  if (order.replays >= maxReplays) {
    // Out of automatic replays: a person decides, as for a transfer reconciliation could not prove. A stale
    // IN_FLIGHT (no attempt holds its lease, no execution runs) is marked for review too, so resolve-transfer takes it.
    await deps.transfers.transition(
      order.orderKey,
      ['UNKNOWN', 'IN_FLIGHT'],
      'NEEDS_REVIEW',
      { reason: `still ${intent.status} after ${order.replays} automatic replays (sweep)` },
      deps.now(),
    );
    await parkForPerson(
      deps,
      order.orderKey,
      'transfer_review',
      `its transfer is still ${intent.status} after ${order.replays} automatic replays; check the customer's balance in Yay`,
    );
    report.gaveUp.push(order.orderKey);
    return;
  }
  const reason = `sweep: transfer ${intent.status}, reconciled by a new execution`;
  const replay = await claimReplay(deps, order, reason, { fromStates: [order.state] });
  // Claimed by someone else, or the order moved on: whoever moved it owns it now.
  if (!replay) return;
  report.replayed.push(order.orderKey);
  report.reconciling.push(order.orderKey);
}

/**
 * An order on the OwedCredit index (paid; credit not moved; no person asked — or, as the index is a superset, one
 * that has since settled). Open orders are their execution's (the pass over open orders restarts a lost one). A
 * finished one is judged by its money: owed → replayed from the state it ended in (claimed once), past the automatic
 * replays → a person; only a person can tell → parked with the figures; owes nothing, its credit moved, or a person
 * is already asked → off the index, conditional on its facts not having changed since they were read.
 */
async function sweepOwed(
  deps: SweepDeps,
  order: OrderRecord,
  options: SweepOptions,
  maxReplays: number,
  now: Date,
  report: SweepReport,
): Promise<void> {
  const orderKey = order.orderKey;
  const factCount = order.factCount ?? 0;
  if (!order.event) {
    // Money for an order the store has not sent (yet): it may still come; past the payment window, a person looks.
    if (now.getTime() - Date.parse(order.createdAt) > options.paymentWindowSeconds * 1000) {
      await parkForPerson(
        deps,
        orderKey,
        'order_missing',
        `money came for this order on ${order.createdAt}, but the store never sent the order itself`,
      );
      report.parked.push(orderKey);
    }
    return;
  }
  if (!isTerminal(order.state)) return;
  const settle = async (why: string) => {
    if (await deps.orders.leaveOwed(orderKey, factCount, deps.now())) {
      report.settled.push(orderKey);
      deps.log.info('order owes no more credit; off the owed index', { orderKey, why });
    }
  };
  if (order.attention) return settle(`a person is asked (${order.attention.reason})`);
  if (order.state === 'fulfilled') return settle('its credit moved');
  const intent = await deps.transfers.getIntent(orderKey);
  const verdict = creditOwed(moneyStateOf(order), deps.credit);
  if (order.state === 'closed' && (verdict.kind === 'owed' || verdict.kind === 'person')) {
    await parkForPerson(
      deps,
      orderKey,
      'credit_undecided',
      `money came after a person closed the order: ${verdict.why}`,
    );
    report.parked.push(orderKey);
    return;
  }
  switch (verdict.kind) {
    case 'person':
      await parkForPerson(deps, orderKey, verdict.reason, verdict.why);
      report.parked.push(orderKey);
      return;
    case 'owed':
    case 'unpriced': {
      if (order.replays >= maxReplays) {
        const what =
          intent?.status === 'APPLIED'
            ? 'its credit moved but no run recorded it'
            : `its money owes credit (${verdict.why}) but no run moved it`;
        await parkForPerson(
          deps,
          orderKey,
          'failed',
          `${what}; ${order.replays} automatic replays ended ${order.state}`,
        );
        report.gaveUp.push(orderKey);
        return;
      }
      const replay = await claimReplay(
        deps,
        order,
        `sweep: the order ended ${order.state} but its money owes credit`,
        {
          fromStates: [order.state],
        },
      );
      if (replay) {
        report.replayed.push(orderKey);
        report.credited.push(orderKey);
      }
      return;
    }
    default:
      return settle(verdict.why);
  }
}

/**
 * The credit still owed, as the money of each order on the OwedCredit index says, less what is already under way (a
 * transfer started or moved is the reseller's balance already spoken for). The sweep's alarm input against the
 * reseller's balance, and the console's "credit still owed".
 */
export function creditStillOwed(deps: Pick<SweepDeps, 'credit'>, owed: readonly OrderRecord[]): number {
  let total = 0;
  for (const order of owed) {
    if (!order.event || order.state === 'fulfilled' || order.attention) continue;
    const verdict = creditOwed(moneyStateOf(order), deps.credit);
    if (verdict.kind === 'owed') total += verdict.credit;
  }
  return total;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
