import { randomUUID } from 'node:crypto';
import { describeCredit, formatCredit, MIN_TRANSFER, type Millis } from '../domain/credit';
import {
  LeaseBusy,
  OrderInvalid,
  ResellerBalanceTooLow,
  TransferOutcomeUnknown,
  YayAuthFailed,
  YayRateLimited,
  YayRejected,
  YayUnavailable,
} from '../errors';
import { MetricNames } from '../metric-names';
import type { LeaseStore, OrderStore, TransferIntent, TransferStore } from '../store/types';
import { StartableTransferStatuses } from '../store/types';
import type { YayApi } from '../yay/types';
import type { TransferInput, TransferResult } from './contract';
import type { Observability } from './ports';

/**
 * Lease lifetime. It must exceed the transfer and reconcile Lambdas' timeout (60 s in infra), so a live
 * attempt never loses its lease; and it should be short, because after a crash the next attempt waits it
 * out (the state machine retries LeaseBusy for a few minutes) before it can declare the outcome unknown.
 */
export const DEFAULT_LEASE_SECONDS = 90;

export interface TransferCreditDeps extends Observability {
  orders: OrderStore;
  transfers: TransferStore;
  leases: LeaseStore;
  yay: YayApi;
  /** Seconds a per-customer lease lives; default {@link DEFAULT_LEASE_SECONDS}. */
  leaseSeconds?: number;
  /** Attempt ids (tests pass a counter). */
  newAttemptId?: () => string;
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
      return { status: 'APPLIED', amount: intent.amount };
    case 'REJECTED':
      throw new YayRejected(
        `the transfer was refused by Yay earlier: ${intent.reason ?? 'no reason given'}`,
        400,
      );
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

/**
 * "Transfer credit", the exactly-once protocol of DESIGN.md §4. Writes, in order, each one conditional:
 *   1. intent PENDING (created once per order)          — crash after: retry starts at 2.
 *   2. per-customer lease                                — crash after: lease expires, retry waits.
 *   3. intent IN_FLIGHT + balance snapshots              — crash after: the next attempt finds IN_FLIGHT
 *      under a lease it now holds, so nobody is calling: it becomes UNKNOWN, never a blind second call.
 *   4. the Yay call
 *   5. intent APPLIED / REJECTED / UNKNOWN / back to PENDING (only when the request provably never
 *      reached Yay or was refused before processing: connect errors, 429, 401/403).
 *   6. lease released.
 * Orders without a price are SKIPPED (the graph parks them in needs_attention); refunded orders are CANCELLED
 * (outcome refunded); an order whose payment failed throws OrderInvalid (caught → outcome failed).
 */
export async function transferCredit(
  deps: TransferCreditDeps,
  input: TransferInput,
): Promise<TransferResult> {
  const { order, customer } = input;
  const amount = order.credit.amount;
  if (amount === null) {
    return {
      status: 'SKIPPED',
      amount: 0,
      reason: order.credit.unpricedReason ?? 'the order carries no credit price',
    };
  }
  if (amount === 0) return { status: 'SKIPPED', amount: 0, reason: 'the order bought no credit' };
  if (amount < MIN_TRANSFER) {
    throw new OrderInvalid(
      `order.credit.amount ${formatCredit(amount)} is below the minimum transfer of 0.010`,
    );
  }

  // The intent is the authority: created once per order (or found), it says whether credit may still move. A
  // refund before any call writes it CANCELLED; a decided one answers at once, so a replay after a refund still
  // reports the credit that moved. A new intent needs nothing more read: no refund can have come before it.
  const now = deps.now();
  const { intent, created } = await deps.transfers.createIntent(
    order.orderKey,
    { amount, customerUuid: customer.uuid, customerName: customer.name },
    now,
  );
  const early = settled(intent);
  if (early) {
    deps.log.info('transfer already decided; not calling Yay', { status: early.status });
    return early;
  }
  if (!created) {
    // An earlier attempt's intent, startable again (its call proven not to have happened). A refund that came
    // while that call was undecided could not cancel it: the order says so.
    const stored = await deps.orders.get(order.orderKey);
    if (stored?.refunded) return { status: 'CANCELLED', amount: 0, reason: REFUNDED };
    if (stored?.payment === 'failed') throw new OrderInvalid('the order payment failed; no credit will move');
  }

  // The intent's plan wins over this input: a replay must pay the customer the first attempt planned.
  const target = { uuid: intent.customerUuid ?? customer.uuid, name: intent.customerName ?? customer.name };
  const planned = intent.amount as Millis;
  const attemptId = deps.newAttemptId?.() ?? randomUUID();
  const holder = `${order.orderKey}#${attemptId}`;
  const lease = customerLease(target.uuid);
  if (!(await deps.leases.acquire(lease, holder, deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS, now))) {
    throw new LeaseBusy(`another transfer to customer ${target.uuid} is in progress`);
  }
  try {
    return await underLease(deps, order.orderKey, target, planned, attemptId);
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
): Promise<TransferResult> {
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
  // May be undefined (no known path answers): the transfer still goes, but an unknown outcome then
  // cannot be decided from balances and goes to a person.
  const customerBalance = await deps.yay.customerBalance(target);

  const inFlight = await deps.transfers.transition(
    orderKey,
    StartableTransferStatuses,
    'IN_FLIGHT',
    {
      attemptId,
      resellerBalanceBefore: resellerBalance,
      customerBalanceBefore: customerBalance,
      incrementAttempts: true,
    },
    deps.now(),
  );
  if (!inFlight) return whyNotStarted(deps, orderKey);

  try {
    await deps.yay.transferCredit(target.uuid, amount);
  } catch (error) {
    throw await recordFailure(deps, orderKey, error);
  }
  await deps.transfers.transition(
    orderKey,
    ['IN_FLIGHT', 'UNKNOWN', 'NEEDS_REVIEW'],
    'APPLIED',
    {},
    deps.now(),
  );
  deps.metrics.addMetric(MetricNames.CreditMovedMillis, 'None', amount);
  deps.log.info('credit transferred', { amountMillis: amount, customerUuid: target.uuid });
  return customerBalance === undefined
    ? { status: 'APPLIED', amount }
    : { status: 'APPLIED', amount, balanceAfter: customerBalance + amount };
}

/**
 * The IN_FLIGHT write found the intent no longer startable: never call, report what stands. Decided (another
 * attempt applied it, a refund cancelled it): its result. IN_FLIGHT: we hold the customer's lease, so the attempt
 * that wrote it is gone (crashed or timed out) and may or may not have reached Yay — exactly the UNKNOWN case.
 */
async function whyNotStarted(deps: TransferCreditDeps, orderKey: string): Promise<TransferResult> {
  const current = await deps.transfers.getIntent(orderKey);
  if (!current) throw new Error(`transfer intent for ${orderKey} vanished`);
  if (current.status === 'IN_FLIGHT') {
    await deps.transfers.transition(
      orderKey,
      ['IN_FLIGHT'],
      'UNKNOWN',
      { reason: 'an earlier attempt stopped between marking the call and recording its result' },
      deps.now(),
    );
    deps.log.warn('found an interrupted transfer attempt; its outcome is unknown');
    throw new TransferOutcomeUnknown('an earlier transfer attempt was interrupted; reconcile first');
  }
  const outcome = settled(current);
  if (outcome) return outcome;
  throw new TransferOutcomeUnknown(`transfer intent for ${orderKey} changed during the attempt`);
}

/** Records what a failed call means for the intent and returns the error the state machine should see. */
async function recordFailure(deps: TransferCreditDeps, orderKey: string, error: unknown): Promise<Error> {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const now = deps.now();
  if (error instanceof YayRejected) {
    await deps.transfers.transition(orderKey, ['IN_FLIGHT'], 'REJECTED', { reason }, now);
    deps.log.error('Yay refused the transfer', { reason });
    return error;
  }
  const neverProcessed =
    (error instanceof YayUnavailable && !error.mayHaveReachedYay) ||
    error instanceof YayRateLimited ||
    error instanceof YayAuthFailed;
  if (neverProcessed) {
    await deps.transfers.transition(orderKey, ['IN_FLIGHT'], 'PENDING', { reason }, now);
    deps.log.warn('transfer not processed by Yay; safe to retry', { reason });
    return error as Error;
  }
  // A timeout, a reset, a 5xx, or anything we cannot classify: the money may have moved.
  await deps.transfers.transition(orderKey, ['IN_FLIGHT'], 'UNKNOWN', { reason }, now);
  deps.log.warn('transfer outcome unknown; reconciling', { reason });
  return new TransferOutcomeUnknown(`the transfer may or may not have been applied (${reason})`, {
    cause: error,
  });
}
