import { executionName, paymentKey } from '../domain/keys';
import type { OrderEvent } from '../domain/order-event';
import type { AttentionReason } from '../domain/order-state';
import { ErrorNames } from '../errors';
import { MetricNames } from '../metric-names';
import { isTerminal, type OrderRecord, type OrderStore, type TransferStore } from '../store/types';
import type { PaymentState } from './contract';
import type { EventsOut } from './events-out';
import { parkForPerson } from './park';
import type { Observability, WorkflowControl } from './ports';
import { flagRefundAfterCredit } from './refund-after-credit';
import { claimReplay, startExecution } from './replay';

export { startExecution } from './replay';

export interface DispatchDeps extends Observability {
  orders: OrderStore;
  transfers: TransferStore;
  workflow: WorkflowControl;
  /** `Order Needs Attention` and `Refund After Credit`, for the reseller's other systems. */
  events: EventsOut;
}

/** What dispatch did with one event (returned for tests and the local timeline; the bus ignores it). */
export interface DispatchResult {
  action:
    | 'started'
    | 'already_started'
    | 'already_finished'
    | 'payment_recorded'
    | 'resumed'
    | 'late_payment'
    | 'needs_attention'
    | 'ignored'
    | 'refund_recorded'
    | 'refund_after_credit';
  executionArn?: string;
  detail?: string;
}

const PAID: PaymentState = { paid: true };

/**
 * Routes one normalized {@link OrderEvent} from the bus. Every branch is safe to run twice (EventBridge
 * delivers at least once, stores resend, events arrive out of order):
 * - placed / paid: record the order (conditional), start the execution named by the order key
 *   (an existing one counts as success); a `paid` after `placed` is also a payment confirmation.
 * - payment_confirmed / payment_failed: the handshake of DESIGN.md §6 on the order item; a payment confirmed
 *   after the order expired is credited by a new execution, one confirmed after a refund or a failure waits
 *   for a person.
 * - refunded: cancels a transfer that has not started; a refund after credit moved is flagged for a person,
 *   once per order.
 */
export async function dispatchOrderEvent(deps: DispatchDeps, event: OrderEvent): Promise<DispatchResult> {
  switch (event.kind) {
    case 'placed':
    case 'paid':
      return placeOrder(deps, event);
    case 'payment_confirmed':
      return confirmPayment(deps, event.orderKey);
    case 'payment_failed':
      return failPayment(deps, event.orderKey);
    case 'refunded':
      return refund(deps, event);
  }
}

async function placeOrder(deps: DispatchDeps, event: OrderEvent): Promise<DispatchResult> {
  const now = deps.now();
  const name = executionName(event.orderKey);
  let { order, created } = await deps.orders.record(event, name, now, deps.workflow.executionArn(name));
  if (created) deps.metrics.addMetric(MetricNames.OrdersReceived, 'Count', 1);

  if (event.kind === 'paid' && order.payment !== 'paid') {
    // `placed` came first: its execution may already wait for payment, so this is a confirmation too.
    const confirmed = await confirmPayment(deps, event.orderKey);
    if (confirmed.action !== 'payment_recorded') return confirmed;
    order = (await deps.orders.get(event.orderKey)) ?? order;
  }
  if (isTerminal(order.state)) {
    deps.log.info('order already has an outcome; not starting it again', { outcome: order.outcome });
    return { action: 'already_finished', detail: order.outcome };
  }
  return startExecution(deps, order, event);
}

/** Parks an order for a person (counted once, when it starts waiting). */
async function flag(
  deps: DispatchDeps,
  orderKey: string,
  reason: AttentionReason,
  message: string,
): Promise<DispatchResult> {
  await parkForPerson(deps, orderKey, reason, message);
  return { action: 'needs_attention', detail: reason };
}

async function confirmPayment(deps: DispatchDeps, orderKey: string): Promise<DispatchResult> {
  const { applied, order } = await deps.orders.markPayment(orderKey, 'paid', deps.now());
  const repeated = !applied && order.payment === 'paid';
  if (!applied && !repeated) {
    // The store said the payment failed, and now that it came in: only a person can tell which stands.
    if (order.outcome === 'fulfilled') return { action: 'already_finished', detail: 'fulfilled' };
    return flag(
      deps,
      orderKey,
      'paid_after_failure',
      'a payment was confirmed for an order whose payment the store reported failed',
    );
  }
  if (order.state === 'fulfilled') {
    // A late or repeated confirmation of an order already credited: nothing to do, nobody to tell.
    deps.log.debug('payment confirmed again for a fulfilled order');
    return { action: 'already_finished', detail: 'fulfilled' };
  }
  if (order.refunded && !repeated) {
    // Paid after the refund: a contradiction for a person, even while the refund is still ending the execution's
    // wait (its outcome is then not written over this: see recordOutcome's keepAttention).
    return flag(deps, orderKey, 'paid_after_refund', 'a payment was confirmed for an order already refunded');
  }
  if (order.refunded && isTerminal(order.state)) {
    // Paid before the refund (a repeat of that confirmation) is the refund's business.
    return { action: 'already_finished', detail: order.state };
  }
  if (order.state === 'expired') return creditLatePayment(deps, order);
  if (isTerminal(order.state)) {
    // needs_attention, failed or closed: the payment is on the order for whatever a person does next.
    deps.log.info('payment recorded on an order waiting for a person', { state: order.state });
    return { action: 'payment_recorded', detail: `state ${order.state}` };
  }
  if (!order.taskToken) {
    // Either no execution waits yet (it will see `paid` when it tries to store its token), or the
    // event came before the order itself (the stub makes the later execution go straight on).
    return { action: 'payment_recorded' };
  }
  const resumed = await deps.workflow.resume(order.taskToken, PAID);
  if (resumed.resumed) return { action: 'resumed' };
  // The wait ended as the payment came: the window closed this instant. An expiry already recorded is credited
  // now; one still being recorded finds the payment and reopens the order for the sweep instead.
  const now = await deps.orders.get(orderKey);
  if (now?.state === 'expired') return creditLatePayment(deps, now);
  deps.log.info('wait for payment already ended', { reason: resumed.reason });
  return { action: 'payment_recorded', detail: resumed.reason };
}

/**
 * A payment confirmed after the window closed (Bacs and SEPA debits settle days later): the buyer has paid, so
 * a new execution of the same order moves the credit, with nobody involved. The claim is conditional on the
 * order still being `expired`, so any number of deliveries start it once.
 */
async function creditLatePayment(deps: DispatchDeps, order: OrderRecord): Promise<DispatchResult> {
  const started = await claimReplay(deps, order, 'payment confirmed after the order expired', {
    fromStates: ['expired'],
  });
  if (!started) return { action: 'already_started', detail: 'late payment already being credited' };
  deps.metrics.addMetric(MetricNames.LatePaymentsCredited, 'Count', 1);
  deps.log.info('late payment: crediting the expired order', { execution: started.executionArn });
  return { action: 'late_payment', executionArn: started.executionArn };
}

async function failPayment(deps: DispatchDeps, orderKey: string): Promise<DispatchResult> {
  const now = deps.now();
  const { applied, order } = await deps.orders.markPayment(orderKey, 'failed', now);
  if (!applied && order.payment === 'paid') {
    deps.log.warn('payment failure for an order already paid; ignored', { payment: order.payment });
    return { action: 'ignored', detail: `payment is ${order.payment}` };
  }
  const waitingForDetails =
    order.attention?.reason === 'missing_details' || order.attention?.reason === 'unpriced';
  if (order.state === 'needs_attention' && waitingForDetails) {
    // Nothing is owed any more, so nobody needs to complete it.
    await deps.orders.recordOutcome(orderKey, 'payment_failed', undefined, now);
    return { action: 'payment_recorded', detail: 'payment failed while waiting for details' };
  }
  if (!order.taskToken) return { action: 'payment_recorded' };
  const failed = await deps.workflow.fail(
    order.taskToken,
    ErrorNames.PaymentFailed,
    'the store reported the payment failed',
  );
  if (!failed.resumed) {
    deps.log.info('wait for payment already ended', { reason: failed.reason });
    return { action: 'payment_recorded', detail: failed.reason };
  }
  return { action: 'resumed' };
}

/**
 * The order a refund belongs to: its own key, else (a Stripe charge that names only its PaymentIntent) the
 * order that recorded that payment. Undefined when a payment-keyed refund matches nothing we recorded.
 */
async function refundedOrderKey(deps: DispatchDeps, event: OrderEvent): Promise<string | undefined> {
  if (!event.paymentRef || event.orderId !== event.paymentRef) return event.orderKey;
  if (await deps.orders.get(event.orderKey)) return event.orderKey;
  return deps.orders.findByPaymentRef(paymentKey(event.provider, event.store, event.paymentRef));
}

async function refund(deps: DispatchDeps, event: OrderEvent): Promise<DispatchResult> {
  const now = deps.now();
  const orderKey = await refundedOrderKey(deps, event);
  if (!orderKey) {
    deps.metrics.addMetric(MetricNames.RefundsUnmatched, 'Count', 1);
    deps.log.warn('refund matches no recorded order (not one of ours, or its order never arrived)', {
      paymentRef: event.paymentRef,
    });
    return { action: 'ignored', detail: 'no order matches the refund' };
  }
  // The intent item decides, in one conditional write, whether credit can still move: CANCELLED closes
  // the door on the transfer step; anything past PENDING means a call may have happened.
  const intent = await deps.transfers.cancelForRefund(orderKey, now);
  const order = await deps.orders.markRefunded(orderKey, now);
  if (intent.status === 'CANCELLED' || intent.status === 'REJECTED') {
    if (order.taskToken && order.payment === 'unpaid') {
      await deps.workflow.fail(order.taskToken, ErrorNames.PaymentFailed, 'the order was refunded');
    } else if (order.state === 'needs_attention') {
      // Waiting for details or a price, and now nothing is owed: the refund settles it.
      await deps.orders.recordOutcome(orderKey, 'refunded', undefined, now);
    }
    deps.log.info('order refunded before credit moved; no credit will move', { transfer: intent.status });
    return { action: 'refund_recorded', detail: intent.status };
  }
  if (intent.status !== 'APPLIED') {
    // The call may or may not have moved the credit: whichever step decides it (Reconcile transfer, or a person's
    // resolve-transfer) records the order, and a fulfilled order that is refunded is flagged there, once.
    deps.log.info('order refunded while its transfer is undecided; the decision flags it if credit moved', {
      transfer: intent.status,
    });
    return { action: 'refund_recorded', detail: intent.status };
  }
  // No automatic reversal: a transfer cannot be undone through the API, a person must decide.
  await flagRefundAfterCredit(deps, orderKey, intent);
  return { action: 'refund_after_credit', detail: intent.status };
}
