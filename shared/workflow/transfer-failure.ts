import { describeCredit, formatCredit, type Millis } from '../domain/credit';
import {
  ResellerBalanceTooLow,
  TransferOutcomeUnknown,
  YayAuthFailed,
  YayRateLimited,
  YayRejected,
  YayUnavailable,
} from '../errors';
import { MetricNames } from '../metric-names';
import type { TransferCreditDeps } from './transfer-credit';

/** Records what a failed call means for the intent and returns the error the state machine should see. */
export async function recordFailure(
  deps: TransferCreditDeps,
  orderKey: string,
  error: unknown,
  amount: Millis,
): Promise<Error> {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const now = deps.now();
  if (error instanceof YayRejected) return refused(deps, orderKey, error, amount);
  const neverProcessed =
    (error instanceof YayUnavailable && !error.mayHaveReachedYay) ||
    error instanceof YayRateLimited ||
    error instanceof YayAuthFailed;
  if (neverProcessed) {
    await deps.transfers.transition(orderKey, ['IN_FLIGHT'], 'PENDING', { reason }, now);
    deps.log.warn('transfer not processed by Yay; safe to retry', { orderKey, reason });
    return error as Error;
  }
  // A timeout, a reset, a 5xx, or anything we cannot classify: the money may have moved.
  await deps.transfers.transition(orderKey, ['IN_FLIGHT'], 'UNKNOWN', { reason }, now);
  deps.log.warn('transfer outcome unknown; reconciling', { orderKey, reason });
  return new TransferOutcomeUnknown(`the transfer may or may not have been applied (${reason})`, {
    cause: error,
  });
}

/**
 * A definite refusal: the call did not apply. Two orders racing a tight reseller balance both pass the balance check
 * and Yay refuses the second, so the balance is read again: too low now → back to PENDING and the hourly
 * ResellerBalanceTooLow wait (the top-up credits it, nobody involved). Otherwise REJECTED, which a person's replay
 * starts again once the cause is fixed. A failed re-read leaves it PENDING and lets that error's retry decide.
 */
async function refused(
  deps: TransferCreditDeps,
  orderKey: string,
  error: YayRejected,
  amount: Millis,
): Promise<Error> {
  const reason = `${error.name}: ${error.message}`;
  let balance: Millis;
  try {
    balance = await deps.yay.resellerBalance();
  } catch (readError) {
    await deps.transfers.transition(orderKey, ['IN_FLIGHT'], 'PENDING', { reason }, deps.now());
    return readError instanceof Error ? readError : new Error(String(readError));
  }
  deps.metrics.addMetric(MetricNames.ResellerBalanceMillis, 'None', balance);
  if (balance < amount) {
    const low = `reseller balance ${describeCredit(balance)} is below the transfer of ${formatCredit(amount)} (Yay refused it)`;
    await deps.transfers.transition(orderKey, ['IN_FLIGHT'], 'PENDING', { reason: low }, deps.now());
    deps.log.warn('Yay refused the transfer for want of reseller balance; waiting for a top-up', {
      orderKey,
    });
    return new ResellerBalanceTooLow(low, { cause: error });
  }
  await deps.transfers.transition(orderKey, ['IN_FLIGHT'], 'REJECTED', { reason }, deps.now());
  deps.log.error('Yay refused the transfer', { orderKey, reason });
  return error;
}
