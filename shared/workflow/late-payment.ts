/**
 * Payments that come after the workflow stopped waiting for them: on an order that ended without credit, or on one
 * parked because its money could not yet say what is owed. What the money says now decides; a new execution of the
 * same order, claimed once, moves what is owed.
 */
import { creditOwed } from '../domain/money';
import { MetricNames } from '../metric-names';
import type { OrderRecord } from '../store/order-repository';
import type { DispatchDeps, DispatchResult } from './dispatch';
import { moneyStateOf } from './money-state';
import { parkForPerson } from './park';
import { claimReplay } from './replay';

/**
 * An order the workflow parked because its money could not say what is owed (a refund recorded before any payment,
 * and the window closed), that no person has closed, and whose money now says exactly what is owed: the payment that
 * was missing has come. The reason the person was asked is no longer true.
 */
function moneyNowDecides(deps: DispatchDeps, order: OrderRecord): boolean {
  if (order.state !== 'needs_attention' || order.attention?.reason !== 'credit_undecided') return false;
  if ((order.actions ?? []).some((action) => action.action === 'close')) return false;
  return creditOwed(moneyStateOf(order), deps.credit).kind === 'owed';
}

/**
 * Takes an order out of its park when its payment settled the question, and credits it in a new execution; undefined
 * when the order stays with its person.
 */
export async function paymentSettlesPark(
  deps: DispatchDeps,
  order: OrderRecord,
): Promise<DispatchResult | undefined> {
  if (!moneyNowDecides(deps, order)) return undefined;
  const started = await claimReplay(deps, order, 'the payment came: its money now says what is owed', {
    fromStates: ['needs_attention'],
  });
  if (!started) return { action: 'already_started', detail: 'order already taken from its park' };
  deps.metrics.addMetric(MetricNames.LatePaymentsCredited, 'Count', 1);
  deps.log.info('payment settles an order parked for its money; crediting it', {
    orderKey: order.orderKey,
    execution: started.executionArn,
  });
  return { action: 'late_payment', executionArn: started.executionArn };
}

/**
 * A payment for an order that ended without credit and waits for nobody (expired; payment failed; refunded, closed
 * by a person): what its facts say now decides. Owed → a new execution of the same order moves the credit, with
 * nobody involved (claimed from the state it is in, so any number of deliveries start it once). Only a person can
 * tell → parked with the figures. Nothing owed → nothing to do.
 */
export async function creditLatePayment(deps: DispatchDeps, order: OrderRecord): Promise<DispatchResult> {
  const orderKey = order.orderKey;
  const verdict = creditOwed(moneyStateOf(order), deps.credit);
  if (verdict.kind === 'person' || order.state === 'closed') {
    const why =
      order.state === 'closed'
        ? `a payment came after a person closed the order (${verdict.why})`
        : verdict.why;
    const reason = verdict.kind === 'person' ? verdict.reason : 'credit_undecided';
    await parkForPerson(deps, orderKey, reason, why);
    return { action: 'needs_attention', detail: reason };
  }
  if (verdict.kind !== 'owed' && verdict.kind !== 'unpriced') {
    deps.log.info('payment on a finished order that owes nothing', { orderKey, verdict: verdict.kind });
    return { action: 'already_finished', detail: order.state };
  }
  const started = await claimReplay(deps, order, `payment confirmed after the order ended ${order.state}`, {
    fromStates: [order.state],
  });
  if (!started) return { action: 'already_started', detail: 'late payment already being credited' };
  deps.metrics.addMetric(MetricNames.LatePaymentsCredited, 'Count', 1);
  deps.log.info('late payment: crediting the order', { orderKey, execution: started.executionArn });
  return { action: 'late_payment', executionArn: started.executionArn };
}
