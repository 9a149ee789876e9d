import { randomUUID } from 'node:crypto';
import { describeCredit, formatCredit, type Millis } from '../domain/credit';
import { type CreditOptions, creditOwed } from '../domain/money';
import { LeaseBusy, OrderInvalid, ResellerBalanceTooLow, TransferOutcomeUnknown } from '../errors';
import { MetricNames } from '../metric-names';
import type { LeaseStore } from '../store/lease-repository';
import type { OrderStore } from '../store/order-repository';
import type { TransferIntent, TransferStore } from '../store/transfer-repository';
import { StartableTransferStatuses } from '../store/transfer-repository';
import type { YayApi } from '../yay/types';
import type { TransferInput, TransferResult } from './contract';
import { moneyStateOf } from './money-state';
import type { Observability } from './ports';
import { recordFailure } from './transfer-failure';

/**
 * Lease lifetime. It must exceed the transfer and reconcile Lambdas' timeout (60 s in infra), so a live
 * attempt never loses its lease; and it should be short, because after a crash the next attempt waits it
 * out (the state machine retries LeaseBusy for a few minutes) before it can declare the outcome unknown.
 */
export const DEFAULT_LEASE_SECONDS = 90;

/** Plans in one invocation before a refund racing every plan sends it back to the graph's retry. */
const MAX_PLANS = 3;

export interface TransferCreditDeps extends Observability {
  orders: OrderStore;
  transfers: TransferStore;
  leases: LeaseStore;
  yay: YayApi;
  /** Seconds a per-customer lease lives; default {@link DEFAULT_LEASE_SECONDS}. */
  leaseSeconds?: number;
  /** Attempt ids (tests pass a counter). */
  newAttemptId?: () => string;
  /** How the credit owed is derived (free orders). */
  credit?: CreditOptions;
}

const REFUNDED = 'the order was refunded before credit moved; no credit will move';

/** The lease resource for one Yay customer. */
export function customerLease(customerUuid: string): string {
  return `customer:${customerUuid}`;
}

/**
 * Throws or returns for an intent whose fate is already decided; `undefined` when a call may start.
 * Shared by the first look (before the lease) and the second (under it).
 */
function settled(intent: TransferIntent): TransferResult | undefined {
  switch (intent.status) {
    case 'APPLIED':
      return {
        status: 'APPLIED',
        amount: intent.amount,
        ...(intent.plannedFactCount === undefined ? {} : { factCount: intent.plannedFactCount }),
      };
    case 'CANCELLED':
      return { status: 'CANCELLED', amount: 0, reason: REFUNDED };
    case 'UNKNOWN':
      throw new TransferOutcomeUnknown('an earlier transfer attempt has an unknown outcome; reconcile first');
    case 'NEEDS_REVIEW':
      throw new TransferOutcomeUnknown('the transfer needs an operator decision (ops resolve-transfer)');
    default:
      return undefined;
  }
}

/** What the order's money says the transfer must do: move `amount`, or finish with `result` at once. */
type Plan =
  | { amount: Millis; factCount: number; cancel?: undefined }
  | { cancel: true; factCount: number }
  | { result: TransferResult };

/** Derives what the order owes from its money facts as they stand now (one strongly consistent read). */
async function plan(deps: TransferCreditDeps, input: TransferInput): Promise<Plan> {
  const stored = await deps.orders.get(input.order.orderKey);
  const factCount = stored?.factCount ?? 0;
  const verdict = creditOwed(moneyStateOf(stored, input.order), deps.credit);
  switch (verdict.kind) {
    case 'owed':
      return { amount: verdict.credit as Millis, factCount };
    case 'unpriced':
      return {
        result: {
          status: 'SKIPPED',
          amount: 0,
          reason: input.order.credit.unpricedReason ?? stored?.event?.credit.unpricedReason ?? verdict.why,
        },
      };
    case 'person':
      return { result: { status: 'HELD', amount: 0, hold: verdict.reason, reason: verdict.why, factCount } };
    case 'nothing':
      if (verdict.because === 'refunded') return { cancel: true, factCount };
      return { result: { status: 'NOTHING_OWED', amount: 0, reason: verdict.why, factCount } };
    case 'failed':
      throw new OrderInvalid('the order payment failed; no credit will move');
    case 'unpaid':
      throw new OrderInvalid('no payment is recorded for the order; no credit will move');
  }
}

/**
 * "Transfer credit", the exactly-once protocol (docs/design.md, "Exactly-once transfer"). The amount is derived from
 * the order's money facts as they stand (credit for what was paid for, less what was refunded), then, each write
 * conditional:
 *   1. intent planned (created once per order, its customer kept)    — crash after: retry starts at 1.
 *   2. per-customer lease                                            — crash after: lease expires, retry waits.
 *   3. intent IN_FLIGHT with the amount and the fact count it was derived from, only while no refund or dispute was
 *      noted on the intent since (else the amount is derived again)  — crash after: the next attempt finds
 *      IN_FLIGHT under a lease it now holds, so nobody is calling: it becomes UNKNOWN, never a blind second call.
 *   4. the Yay call
 *   5. intent APPLIED / UNKNOWN / back to PENDING (the request provably never reached Yay or was refused before
 *      processing: connect errors, 429, 401/403; or refused for want of the reseller's balance, then retried hourly)
 *      / REJECTED (refused otherwise; a person's replay starts it again).
 *   6. lease released.
 * Refunded in full before any call: CANCELLED (outcome refunded). Unpriced: SKIPPED. Only a person can tell what is
 * owed: HELD. Paid but nothing owed: NOTHING_OWED. A payment that failed throws OrderInvalid (caught → failed).
 */
export async function transferCredit(
  deps: TransferCreditDeps,
  input: TransferInput,
): Promise<TransferResult> {
  const orderKey = input.order.orderKey;
  for (let round = 1; ; round++) {
    const planned = await plan(deps, input);
    if ('result' in planned) {
      const before = await decidedBefore(deps, orderKey);
      if (before) return before;
      deps.log.info('no transfer to make', { orderKey, status: planned.result.status });
      return planned.result;
    }
    // The intent is the authority: planned once per order (or found), it says whether credit may still move. A
    // decided one answers at once, so a replay after a refund still reports the credit that moved.
    const intent = await deps.transfers.planIntent(
      orderKey,
      { customerUuid: input.customer.uuid, customerName: input.customer.name },
      deps.now(),
    );
    const early = settled(intent);
    if (early) return answerDecided(deps, orderKey, early, planned);
    const result = planned.cancel
      ? await cancel(deps, orderKey, planned.factCount)
      : await underCustomerLease(deps, orderKey, intent, planned.amount, planned.factCount);
    if (result !== 'replan') return result;
    if (round >= MAX_PLANS) {
      throw new LeaseBusy(
        `the money of order ${orderKey} changed during ${MAX_PLANS} plans; trying again shortly`,
      );
    }
    deps.log.info('a refund or dispute came while the transfer was planned; deriving the amount again', {
      orderKey,
    });
  }
}

/**
 * When the money now says no transfer is to be made (a person must decide, nothing is owed, the credit is unpriced):
 * what an earlier attempt of this order already did, which no later money fact undoes. Credit that moved is reported
 * as moved (Record outcome then flags the facts that came since for a person: refund after credit). A call that may
 * have happened (in flight, unknown, under review) is decided by Reconcile first. Undefined when none was made, or it
 * was cancelled: the money's answer stands.
 */
async function decidedBefore(
  deps: TransferCreditDeps,
  orderKey: string,
): Promise<TransferResult | undefined> {
  const intent = await deps.transfers.getIntent(orderKey);
  if (!intent || intent.status === 'CANCELLED') return undefined;
  if (intent.status === 'IN_FLIGHT') {
    throw new TransferOutcomeUnknown(
      'an earlier transfer call of this order may have happened; reconcile first',
    );
  }
  const early = settled(intent);
  if (early) deps.log.info('transfer already decided; not calling Yay', { orderKey, status: early.status });
  return early;
}

/**
 * An intent decided before this attempt (a replay, a redelivery): its result, unless the money says otherwise now —
 * a payment that came after the transfer was cancelled as refunded is for a person.
 */
function answerDecided(
  deps: TransferCreditDeps,
  orderKey: string,
  early: TransferResult,
  planned: Exclude<Plan, { result: TransferResult }>,
): TransferResult {
  if (early.status === 'CANCELLED' && !planned.cancel) {
    return {
      status: 'HELD',
      amount: 0,
      hold: 'credit_undecided',
      reason: `the transfer was cancelled as refunded, and the order's money now owes ${describeCredit(planned.amount)}`,
      factCount: planned.factCount,
    };
  }
  deps.log.info('transfer already decided; not calling Yay', { orderKey, status: early.status });
  return early.status === 'CANCELLED' ? { ...early, factCount: planned.factCount } : early;
}

/** Refunded in full before any call: CANCELLED, unless a refund or dispute was noted since the facts were read. */
async function cancel(
  deps: TransferCreditDeps,
  orderKey: string,
  factCount: number,
): Promise<TransferResult | 'replan'> {
  const cancelled = await deps.transfers.transition(
    orderKey,
    StartableTransferStatuses,
    'CANCELLED',
    { reason: REFUNDED, plannedFactCount: factCount },
    deps.now(),
    factCount,
  );
  if (cancelled) {
    deps.log.info('order refunded in full before credit moved; no credit will move', { orderKey });
    return { status: 'CANCELLED', amount: 0, reason: REFUNDED, factCount };
  }
  return whyNotStarted(deps, orderKey);
}

async function underCustomerLease(
  deps: TransferCreditDeps,
  orderKey: string,
  intent: TransferIntent,
  amount: Millis,
  factCount: number,
): Promise<TransferResult | 'replan'> {
  // The intent's customer wins over this input: a replay must pay the customer the first attempt planned.
  const target = { uuid: intent.customerUuid as string, name: intent.customerName as string };
  const attemptId = deps.newAttemptId?.() ?? randomUUID();
  const holder = `${orderKey}#${attemptId}`;
  const lease = customerLease(target.uuid);
  if (!(await deps.leases.acquire(lease, holder, deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS, deps.now()))) {
    throw new LeaseBusy(`another transfer to customer ${target.uuid} is in progress`);
  }
  try {
    return await underLease(deps, orderKey, target, amount, attemptId, factCount);
  } finally {
    await releaseQuietly(deps, lease, holder);
  }
}

/**
 * Releases a lease without letting a failure replace the step's own error: the state machine routes on
 * that error's name (TransferOutcomeUnknown must reach Reconcile). An unreleased lease expires by itself.
 */
export async function releaseQuietly(
  deps: Pick<TransferCreditDeps, 'leases' | 'log'>,
  lease: string,
  holder: string,
): Promise<void> {
  try {
    await deps.leases.release(lease, holder);
  } catch (error) {
    deps.log.warn('lease not released; it will expire', {
      lease,
      error: error instanceof Error ? error.name : String(error),
    });
  }
}

/**
 * Under the customer's lease: the intent may have moved since it was read (another attempt decided it, or died
 * IN_FLIGHT). That is not read again here: the IN_FLIGHT write below is conditional on a startable status, and
 * only when it fails is the intent read to see why ({@link whyNotStarted}).
 */
async function underLease(
  deps: TransferCreditDeps,
  orderKey: string,
  target: { uuid: string; name: string },
  amount: Millis,
  attemptId: string,
  factCount: number,
): Promise<TransferResult | 'replan'> {
  // Another order's call to this customer may have landed without being recorded: until it is
  // reconciled, a credit from us would make its balance comparison ambiguous (or, for equal amounts,
  // wrong). Wait, like for a held lease; the reconcile step of that order settles it in seconds.
  const unresolved = (await deps.transfers.listUnresolvedFor(target.uuid)).filter(
    (i) => i.orderKey !== orderKey,
  );
  if (unresolved.length > 0) {
    throw new LeaseBusy(
      `customer ${target.uuid} has an unreconciled transfer (order ${unresolved[0]?.orderKey}); it must be settled first`,
    );
  }

  const resellerBalance = await deps.yay.resellerBalance();
  deps.metrics.addMetric(MetricNames.ResellerBalanceMillis, 'None', resellerBalance);
  if (resellerBalance < amount) {
    throw new ResellerBalanceTooLow(
      `reseller balance ${describeCredit(resellerBalance)} is below the transfer of ${formatCredit(amount)}`,
    );
  }
  // A read that fails (a throttle, an outage) throws and the graph retries the step: the call never goes without
  // the snapshot a reconciliation needs. Undefined only when the account has no customer-balance path at all:
  // the transfer still goes, and an unknown outcome then rests on Yay's history or a person.
  const customerBalance = await deps.yay.customerBalance(target);

  const inFlight = await deps.transfers.transition(
    orderKey,
    StartableTransferStatuses,
    'IN_FLIGHT',
    {
      attemptId,
      callStartedAt: deps.now().toISOString(),
      amount,
      plannedFactCount: factCount,
      resellerBalanceBefore: resellerBalance,
      customerBalanceBefore: customerBalance,
      incrementAttempts: true,
    },
    deps.now(),
    factCount,
  );
  if (!inFlight) return whyNotStarted(deps, orderKey);

  try {
    await deps.yay.transferCredit(target.uuid, amount);
  } catch (error) {
    throw await recordFailure(deps, orderKey, error, amount);
  }
  await deps.transfers.transition(
    orderKey,
    ['IN_FLIGHT', 'UNKNOWN', 'NEEDS_REVIEW'],
    'APPLIED',
    {},
    deps.now(),
  );
  deps.metrics.addMetric(MetricNames.CreditMovedMillis, 'None', amount);
  deps.log.info('credit transferred', { orderKey, amountMillis: amount, customerUuid: target.uuid });
  return {
    status: 'APPLIED',
    amount,
    factCount,
    ...(customerBalance === undefined ? {} : { balanceAfter: customerBalance + amount }),
  };
}

/**
 * The IN_FLIGHT (or CANCELLED) write did not apply: never call, report what stands. Still startable: a refund or
 * dispute was noted since the amount was derived ('replan'). Decided (another attempt applied it): its result.
 * IN_FLIGHT: we hold the customer's lease, so the attempt that wrote it is gone (crashed or timed out) and may or
 * may not have reached Yay — exactly the UNKNOWN case.
 */
async function whyNotStarted(deps: TransferCreditDeps, orderKey: string): Promise<TransferResult | 'replan'> {
  const current = await deps.transfers.getIntent(orderKey);
  if (!current) throw new Error(`transfer intent for ${orderKey} vanished`);
  if (StartableTransferStatuses.includes(current.status)) return 'replan';
  if (current.status === 'IN_FLIGHT') {
    await deps.transfers.transition(
      orderKey,
      ['IN_FLIGHT'],
      'UNKNOWN',
      { reason: 'an earlier attempt stopped between marking the call and recording its result' },
      deps.now(),
    );
    deps.log.warn('found an interrupted transfer attempt; its outcome is unknown', { orderKey });
    throw new TransferOutcomeUnknown('an earlier transfer attempt was interrupted; reconcile first');
  }
  const outcome = settled(current);
  if (outcome) return outcome;
  throw new TransferOutcomeUnknown(`transfer intent for ${orderKey} changed during the attempt`);
}
