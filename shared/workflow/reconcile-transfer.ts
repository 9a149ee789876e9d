import { randomUUID } from 'node:crypto';
import { describeCredit } from '../domain/credit';
import { isTerminal } from '../domain/order-state';
import { Outbound } from '../domain/outbound-events';
import { LeaseBusy, OrderInvalid, YayRejected } from '../errors';
import { MetricNames } from '../metric-names';
import type { BuyerStore } from '../store/buyer-repository';
import type { LeaseStore } from '../store/lease-repository';
import type { TransferIntent, TransferStore } from '../store/transfer-repository';
import type { BalanceHistoryEntry, YayApi } from '../yay/types';
import type { ReconcileResult } from './contract';
import type { EventsOut } from './events-out';
import { creditTakenBackSince } from './money-state';
import type { Observability } from './ports';
import { flagRefundAfterCredit } from './refund-after-credit';
import { claimReplay, type ReplayDeps, type ReplayResult } from './replay';
import { customerLease, DEFAULT_LEASE_SECONDS, releaseQuietly } from './transfer-credit';

export interface ReconcileTransferDeps extends Observability {
  transfers: TransferStore;
  leases: LeaseStore;
  yay: YayApi;
  leaseSeconds?: number;
  /**
   * Thousandths: the largest transfer decided from the customer's balance alone (no history answers); above it, a
   * person decides. Default {@link DEFAULT_BY_BALANCE_UP_TO}.
   */
  byBalanceUpTo?: number;
}

/** The default of {@link ReconcileTransferDeps.byBalanceUpTo}: 20.000, a typical top-up. */
export const DEFAULT_BY_BALANCE_UP_TO = 20_000;

/**
 * "Reconcile transfer": decides an UNKNOWN (or interrupted IN_FLIGHT) transfer from Yay's state, never
 * by calling again. Under the customer's lease, so no other transfer moves the balance meanwhile; one attempt to
 * take it, and LeaseBusy while another order's transfer holds it (the state machine retries LeaseBusy here, as on
 * Transfer credit, so the wait costs no Lambda time):
 * - Yay's history, or the balances within `byBalanceUpTo`, show the credit → APPLIED ('applied');
 * - they prove it did not apply → NOT_APPLIED ('retry': the graph goes back to Transfer credit);
 * - anything else (no snapshot, an unreadable balance, a difference calls could explain, a larger amount)
 *   → NEEDS_REVIEW ('needs_review'), metric + alarm, and `ops resolve-transfer` for a person (see `decide`).
 * Intents already decided answer from the table. Idempotent.
 */
export async function reconcileTransfer(
  deps: ReconcileTransferDeps,
  orderKey: string,
): Promise<ReconcileResult> {
  const intent = await deps.transfers.getIntent(orderKey);
  const early = intent
    ? fromStatus(intent)
    : { decision: 'retry' as const, reason: 'no transfer was attempted yet' };
  if (early || !intent) return early as ReconcileResult;

  const uuid = intent.customerUuid;
  const name = intent.customerName;
  if (!uuid || !name) return needsReview(deps, orderKey, 'the intent names no customer');

  const holder = `reconcile:${orderKey}#${randomUUID()}`;
  const lease = customerLease(uuid);
  if (!(await deps.leases.acquire(lease, holder, deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS, deps.now()))) {
    throw new LeaseBusy(`a transfer to customer ${uuid} is in progress; reconcile after it`);
  }
  try {
    const current = await deps.transfers.getIntent(orderKey);
    const decided = current && fromStatus(current);
    if (!current || decided) return decided ?? { decision: 'retry', reason: 'no transfer was attempted yet' };
    return await decide(deps, current, { uuid, name });
  } finally {
    await releaseQuietly(deps, lease, holder);
  }
}

/** The fact count a transfer's amount was derived from, for the outcome to see a refund that came after. */
function planned(intent: TransferIntent): { factCount?: number } {
  return intent.plannedFactCount === undefined ? {} : { factCount: intent.plannedFactCount };
}

function fromStatus(intent: TransferIntent): ReconcileResult | undefined {
  switch (intent.status) {
    case 'APPLIED':
      return {
        decision: 'applied',
        reason: 'the transfer is recorded as applied',
        amount: intent.amount,
        ...planned(intent),
      };
    case 'PENDING':
    case 'NOT_APPLIED':
    case 'REJECTED':
      return { decision: 'retry', reason: 'no call is outstanding; the transfer may be attempted' };
    case 'NEEDS_REVIEW':
      return { decision: 'needs_review', reason: intent.reason ?? 'waiting for an operator decision' };
    case 'CANCELLED':
      throw new OrderInvalid('the order was refunded before credit moved; no credit will move');
    default:
      return undefined;
  }
}

/**
 * How far before our own clock's start of the call a Yay history entry may be stamped and still be that call: the two
 * clocks are not the same clock. Kept short, as an earlier credit of the same amount (another order of the customer,
 * moments before) must not be taken for this one.
 */
export const HISTORY_CLOCK_SKEW_MS = 60_000;

/**
 * How far before the call a credit of the same amount keeps Yay's history from proving the call did not apply: it
 * could be the call's own, stamped by a Yay clock behind ours. Beyond it (a clock off by more, a customer spending
 * exactly the amount since) is the risk the history leaves; `byBalanceUpTo` does not cover it.
 */
export const HISTORY_LOOKBACK_MS = 10 * 60_000;

/**
 * The entries of Yay's history since the call, when they account for every movement since the snapshot taken just
 * before it (their changes add up to the balance now less the snapshot); undefined when they do not. Entries are
 * taken from the call's start less {@link HISTORY_CLOCK_SKEW_MS}, as Yay's clock is not ours: a Yay clock off by more
 * drops the credit from the window or lets an earlier movement in, and either breaks the sum, so the history then
 * decides nothing (the balances, within their limit, or a person do). Not matched on balances after each entry:
 * a customer whose balance comes back to the snapshot's could be mistaken for one whose credit never came.
 */
export function sinceSnapshot(
  history: readonly BalanceHistoryEntry[],
  before: number,
  now: number,
  callStartedMs: number,
): BalanceHistoryEntry[] | undefined {
  const since = history.filter((entry) => Date.parse(entry.at) >= callStartedMs - HISTORY_CLOCK_SKEW_MS);
  return since.reduce((sum, entry) => sum + entry.change, 0) === now - before ? since : undefined;
}

/** The customer's balance now, or why it cannot be read (a transient failure is thrown: the graph retries it). */
async function balanceNow(
  deps: ReconcileTransferDeps,
  customer: { uuid: string; name: string },
): Promise<number | { unreadable: string }> {
  try {
    const balance = await deps.yay.customerBalance(customer);
    return balance ?? { unreadable: 'the customer balance cannot be read on this Yay endpoint' };
  } catch (error) {
    // A throttle, a timeout or a 5xx says nothing about the transfer: let the graph retry it by its name.
    // Only a definite refusal to show the balance makes the outcome undecidable here.
    if (!(error instanceof YayRejected)) throw error;
    return { unreadable: `the customer balance could not be read (${error.name})` };
  }
}

/** Yay's balance history of the customer, when it answers and can be read as a ledger; undefined otherwise. */
async function historyOf(
  deps: ReconcileTransferDeps,
  customer: { uuid: string; name: string },
): Promise<BalanceHistoryEntry[] | undefined> {
  try {
    return await deps.yay.customerBalanceHistory(customer);
  } catch (error) {
    if (!(error instanceof YayRejected)) throw error;
    return undefined;
  }
}

/**
 * Decides an undecided call from what Yay shows, on evidence a customer's spending cannot fake:
 * 1. Yay's balance history, where it answers and its entries since the call account for every movement since the
 *    snapshot: a credit of exactly the amount among them is the call (applied, whatever the customer spent since);
 *    none proves it did not apply.
 * 2. Otherwise the balances, up to `byBalanceUpTo` only: up by exactly the amount since the snapshot → applied;
 *    unchanged → not applied (a customer who spent exactly the amount in between would look unpaid: the risk the
 *    limit bounds); anything else, no snapshot, or above the limit → a person.
 */
async function decide(
  deps: ReconcileTransferDeps,
  intent: TransferIntent,
  customer: { uuid: string; name: string },
): Promise<ReconcileResult> {
  const from = [intent.status];
  const before = intent.customerBalanceBefore;
  const history = await historyOf(deps, customer);
  const now = await balanceNow(deps, customer);
  if (history && before !== undefined && typeof now === 'number') {
    const started = Date.parse(intent.callStartedAt ?? intent.updatedAt);
    const since = sinceSnapshot(history, before, now, started);
    if (since?.some((entry) => entry.change === intent.amount)) {
      return applied(deps, intent, from, "Yay's balance history shows the credit since the call", now);
    }
    // "Not applied" also needs no credit of the amount anywhere near the call: a Yay clock behind ours would put the
    // call's own credit just before the window, and a customer who then spent it would leave the sum intact.
    const nearby = history.some(
      (entry) => entry.change === intent.amount && Date.parse(entry.at) >= started - HISTORY_LOOKBACK_MS,
    );
    if (since && !nearby) {
      return notApplied(
        deps,
        intent,
        from,
        "Yay's balance history accounts for the balance and shows no such credit",
      );
    }
  }
  const limit = deps.byBalanceUpTo ?? DEFAULT_BY_BALANCE_UP_TO;
  if (intent.amount > limit) {
    return needsReview(
      deps,
      intent.orderKey,
      `a transfer of ${describeCredit(intent.amount)} is above the ${describeCredit(limit)} decided from balances ` +
        'alone, and Yay shows no balance history that decides it: a customer who spent the amount since would look unpaid',
      from,
    );
  }
  if (before === undefined) {
    return needsReview(deps, intent.orderKey, 'no customer balance snapshot was taken before the call', from);
  }
  if (typeof now !== 'number') return needsReview(deps, intent.orderKey, now.unreadable, from);
  if (now === before + intent.amount) {
    return applied(
      deps,
      intent,
      from,
      `customer balance rose from ${describeCredit(before)} by the amount`,
      now,
    );
  }
  if (now === before) {
    return notApplied(deps, intent, from, `customer balance still ${describeCredit(before)}: not applied`);
  }
  return needsReview(
    deps,
    intent.orderKey,
    `customer balance went from ${describeCredit(before)} to ${describeCredit(now)}, ` +
      `neither unchanged nor up by ${describeCredit(intent.amount)}`,
    from,
  );
}

async function applied(
  deps: ReconcileTransferDeps,
  intent: TransferIntent,
  from: TransferIntent['status'][],
  reason: string,
  balance: number | { unreadable: string },
): Promise<ReconcileResult> {
  await deps.transfers.transition(
    intent.orderKey,
    from,
    'APPLIED',
    { reason: `reconciled: ${reason}` },
    deps.now(),
  );
  deps.metrics.addMetric(MetricNames.CreditMovedMillis, 'None', intent.amount);
  deps.log.info('unknown transfer reconciled as applied', {
    orderKey: intent.orderKey,
    amountMillis: intent.amount,
    reason,
  });
  return {
    decision: 'applied',
    reason,
    amount: intent.amount,
    ...(typeof balance === 'number' ? { balanceAfter: balance } : {}),
    ...planned(intent),
  };
}

async function notApplied(
  deps: ReconcileTransferDeps,
  intent: TransferIntent,
  from: TransferIntent['status'][],
  reason: string,
): Promise<ReconcileResult> {
  await deps.transfers.transition(
    intent.orderKey,
    from,
    'NOT_APPLIED',
    { reason: `reconciled: ${reason}` },
    deps.now(),
  );
  deps.log.info('unknown transfer reconciled as not applied; retrying', {
    orderKey: intent.orderKey,
    reason,
  });
  return { decision: 'retry', reason };
}

async function needsReview(
  deps: ReconcileTransferDeps,
  orderKey: string,
  reason: string,
  from: TransferIntent['status'][] = ['UNKNOWN', 'IN_FLIGHT'],
): Promise<ReconcileResult> {
  await deps.transfers.transition(orderKey, from, 'NEEDS_REVIEW', { reason }, deps.now());
  deps.metrics.addMetric(MetricNames.TransfersNeedingReview, 'Count', 1);
  deps.log.error('transfer needs an operator decision (ops resolve-transfer)', { orderKey, reason });
  return { decision: 'needs_review', reason };
}

export interface ResolveTransferDeps extends ReplayDeps {
  transfers: TransferStore;
  /** Whether the order created its customer (then its welcome stands in for a receipt). */
  buyers: Pick<BuyerStore, 'getCustomer'>;
  events: EventsOut;
}

/**
 * The operator's decision on an undecidable transfer (`npm run ops -- resolve-transfer <order> --applied|--not-applied`),
 * after checking Yay by hand. `applied` settles the intent and marks the order fulfilled; `not-applied` makes the
 * transfer startable again and starts a new execution of the order, which moves the credit once. The decision is
 * recorded on the order. Throws naming the current status when the intent is not awaiting a decision.
 */
export async function resolveTransfer(
  deps: ResolveTransferDeps,
  orderKey: string,
  decision: 'applied' | 'not-applied',
  note = 'operator decision',
): Promise<{ intent: TransferIntent; replay?: ReplayResult }> {
  const to = decision === 'applied' ? 'APPLIED' : 'NOT_APPLIED';
  const resolved = await deps.transfers.transition(
    orderKey,
    ['UNKNOWN', 'NEEDS_REVIEW'],
    to,
    { reason: `resolved by operator: ${note}` },
    deps.now(),
  );
  let intent = resolved;
  if (!intent) {
    const current = await deps.transfers.getIntent(orderKey);
    // A repeat of the same decision finishes what the first one may have left undone (a crash before the replay).
    if (current?.status !== to) {
      throw new OrderInvalid(
        current
          ? `transfer for ${orderKey} is ${current.status}, not awaiting a decision`
          : `no transfer is recorded for ${orderKey}`,
      );
    }
    intent = current;
  }
  const action = { action: 'resolve-transfer', at: deps.now().toISOString(), reason: note, detail: decision };
  if (decision === 'applied') {
    if (intent.amount > 0) deps.metrics.addMetric(MetricNames.CreditMovedMillis, 'None', intent.amount);
    const now = deps.now();
    const { order } = await deps.orders.recordOutcome(orderKey, 'fulfilled', undefined, now);
    if (resolved) await deps.orders.recordAction(orderKey, action);
    const mapping = order.buyerKey ? await deps.buyers.getCustomer(order.buyerKey) : undefined;
    const facts = {
      orderKey,
      buyerKey: order.buyerKey,
      customerName: intent.customerName ?? order.customerName,
      customerUuid: intent.customerUuid ?? order.customerUuid,
    };
    await deps.events.publish([
      ...(intent.amount > 0
        ? [
            Outbound.creditTransferred(
              facts,
              { amount: intent.amount, firstOrder: mapping?.orderKey === orderKey },
              new Date(intent.updatedAt),
            ),
          ]
        : []),
      Outbound.orderFulfilled(
        facts,
        intent.amount > 0 ? intent.amount : undefined,
        new Date(intent.updatedAt),
      ),
    ]);
    // A refund or dispute that came while the transfer was under review waited for this decision.
    if (creditTakenBackSince(order, intent.plannedFactCount))
      await flagRefundAfterCredit(deps, order, intent);
    deps.log.info('transfer resolved by operator', { orderKey, decision });
    return { intent };
  }
  const order = await deps.orders.get(orderKey);
  if (!order) throw new OrderInvalid(`order ${orderKey} is not recorded`);
  if (!isTerminal(order.state)) {
    // Its execution is still on it (reconciling, or retrying the transfer): it will move the credit.
    if (resolved) await deps.orders.recordAction(orderKey, action);
    return { intent };
  }
  const replay = await claimReplay(deps, order, `transfer resolved not applied: ${note}`, { action });
  deps.log.info('transfer resolved by operator', { orderKey, decision, replayed: Boolean(replay) });
  return replay ? { intent, replay } : { intent };
}
