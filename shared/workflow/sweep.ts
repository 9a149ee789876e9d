import { executionName } from '../domain/keys';
import { MetricNames } from '../metric-names';
import { isTerminal, type OrderRecord, type TransferIntent, type TransferStore } from '../store/types';
import type { YayApi } from '../yay/types';
import type { EventsOut } from './events-out';
import { parkForPerson } from './park';
import { claimReplay, type ReplayDeps, replayOrder, startExecution } from './replay';
import { DEFAULT_LEASE_SECONDS } from './transfer-credit';

export { type ReplayDeps, type ReplayResult, replayOrder } from './replay';

export interface SweepDeps extends ReplayDeps {
  transfers: TransferStore;
  yay: YayApi;
  /** `Order Needs Attention` for an order the sweep leaves to a person. */
  events: EventsOut;
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
 * - reseller balance against credit still owed to paid orders: metrics for the alarm and dashboard.
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

  report.creditOwed = await creditOwed(deps, open);
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
  if (status === 'SUCCEEDED' && order.payment === 'paid' && !order.refunded) {
    // The execution ended as the payment came (its expiry found the order paid and left it open): credit it.
    await replayOrder(deps, order.orderKey, 'sweep: payment arrived as the payment window closed', {
      force: true,
    });
    report.replayed.push(order.orderKey);
    return;
  }
  if (status === 'SUCCEEDED' || status === 'PENDING_REDRIVE') {
    deps.log.warn('execution is not running but the order is still open', {
      status,
      orderKey: order.orderKey,
    });
    return;
  }
  if (pastWindow) {
    const { reopened } = await deps.orders.recordOutcome(
      order.orderKey,
      order.payment === 'failed' ? 'payment_failed' : 'expired',
      { Error: 'States.Timeout', Cause: 'no payment within the payment window (found by the sweep)' },
      now,
      { unlessPaid: true },
    );
    if (!reopened) report.expired.push(order.orderKey);
    return;
  }
  if (status === undefined) {
    await startExecution(deps, order);
    report.restarted.push(order.orderKey);
    return;
  }
  // FAILED, ABORTED or TIMED_OUT without an outcome on the order.
  if (order.replays >= maxReplays) {
    // Out of automatic replays: parked where a person sees it (ops attention, the console, the alarm), not left
    // open with a log line that only says so.
    await parkForPerson(
      deps,
      order.orderKey,
      'failed',
      `its execution ended ${status} without recording an outcome, ${order.replays + 1} times; the sweep stopped replaying it`,
    );
    report.gaveUp.push(order.orderKey);
    return;
  }
  await replayOrder(deps, order.orderKey, `sweep: execution ${status} while the order was open`);
  report.replayed.push(order.orderKey);
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
 * The credit still owed to paid open orders (of `open`, the OpenOrders queue): paid, not refunded, priced, and no
 * transfer started or one provably not applied. The sweep's alarm input, and the console's "credit still owed".
 */
export async function creditOwed(
  deps: Pick<SweepDeps, 'transfers'>,
  open: readonly OrderRecord[],
): Promise<number> {
  let owed = 0;
  for (const order of open) {
    const amount = order.event?.credit.amount;
    if (order.payment !== 'paid' || order.refunded || !amount) continue;
    const intent = await deps.transfers.getIntent(order.orderKey);
    if (!intent || intent.status === 'PENDING' || intent.status === 'NOT_APPLIED') owed += amount;
  }
  return owed;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
