import { executionName } from '../domain/keys';
import type { BusOrderEvent, OrderEvent } from '../domain/order-event';
import { ErrorNames } from '../errors';
import { MetricNames } from '../observability';
import { isTerminal, type OrderRecord, type OrderStore, type TransferStore } from '../store/types';
import type { ExecutionInput, PaymentState } from './contract';
import type { Observability, WorkflowControl } from './ports';

export interface DispatchDeps extends Observability {
  orders: OrderStore;
  transfers: TransferStore;
  workflow: WorkflowControl;
}

/** What dispatch did with one event (returned for tests and the local timeline; the bus ignores it). */
export interface DispatchResult {
  action:
    | 'started'
    | 'already_started'
    | 'already_finished'
    | 'payment_recorded'
    | 'resumed'
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
 *   (an existing one counts as success); a `paid` after `placed` also marks the order paid and resumes a
 *   stored token.
 * - payment_confirmed / payment_failed: the handshake of DESIGN.md §6 on the order item.
 * - refunded: cancels a transfer that has not started; a refund after credit moved is flagged for a person.
 */
export async function dispatchOrderEvent(deps: DispatchDeps, event: BusOrderEvent): Promise<DispatchResult> {
  switch (event.kind) {
    case 'placed':
    case 'paid':
      return placeOrder(deps, event);
    case 'payment_confirmed':
      return confirmPayment(deps, event.orderKey);
    case 'payment_failed':
      return failPayment(deps, event.orderKey);
    case 'refunded':
      return refund(deps, event.orderKey);
  }
}

async function placeOrder(deps: DispatchDeps, event: OrderEvent): Promise<DispatchResult> {
  const now = deps.now();
  let { order, created } = await deps.orders.record(event, executionName(event.orderKey), now);
  if (created) deps.metrics.addMetric(MetricNames.OrdersReceived, 'Count', 1);

  if (event.kind === 'paid' && order.payment !== 'paid') {
    // `placed` came first: its execution may already wait for payment, so this is a confirmation too.
    const confirmed = await confirmPayment(deps, event.orderKey);
    const again = await deps.orders.get(event.orderKey);
    if (again) order = again;
    if (confirmed.action === 'resumed') return confirmed;
  }
  if (isTerminal(order.state)) {
    deps.log.info('order already has an outcome; not starting it again', { outcome: order.outcome });
    return { action: 'already_finished', detail: order.outcome };
  }
  return startExecution(deps, order, event);
}

/** Starts (or finds) the execution for an open order. Exported for the sweep. */
export async function startExecution(
  deps: Pick<DispatchDeps, 'orders' | 'workflow' | 'log' | 'now'>,
  order: OrderRecord,
  fallbackEvent?: OrderEvent,
): Promise<DispatchResult> {
  const event = order.event ?? fallbackEvent;
  if (!event) return { action: 'ignored', detail: 'no order event recorded yet' };
  const name = order.executionName ?? executionName(order.orderKey, order.replays || undefined);
  const arn = deps.workflow.executionArn(name);
  // The stored event, not the triggering one: the same name with the same input is what makes a
  // repeated StartExecution a no-op rather than a conflict.
  const input: ExecutionInput = { order: event, executionArn: arn };
  const started = await deps.workflow.start(name, input);
  if (order.executionArn !== started.executionArn) {
    await deps.orders.setExecution(order.orderKey, name, started.executionArn, deps.now());
  }
  deps.log.info(started.alreadyExists ? 'execution already exists' : 'execution started', {
    execution: started.executionArn,
  });
  return {
    action: started.alreadyExists ? 'already_started' : 'started',
    executionArn: started.executionArn,
  };
}

async function confirmPayment(deps: DispatchDeps, orderKey: string): Promise<DispatchResult> {
  const { applied, order } = await deps.orders.markPayment(orderKey, 'paid', deps.now());
  if (!applied) {
    deps.log.warn('payment confirmed for an order whose payment already failed; ignored', {
      payment: order.payment,
    });
    return { action: 'ignored', detail: `payment is ${order.payment}` };
  }
  if (isTerminal(order.state)) {
    // Paid after the order ended (usually expired): no execution waits any more. Credit may be owed;
    // a person decides (`npm run ops -- replay <order>` moves it, exactly once).
    deps.log.error('payment confirmed after the order ended; replay it if the credit is owed', {
      outcome: order.outcome,
    });
    return { action: 'payment_recorded', detail: `after outcome ${order.outcome}` };
  }
  if (!order.taskToken) {
    // Either no execution waits yet (it will see `paid` when it tries to store its token), or the
    // event came before the order itself (the stub makes the later execution go straight on).
    return { action: 'payment_recorded' };
  }
  const resumed = await deps.workflow.resume(order.taskToken, PAID);
  if (!resumed.resumed) {
    deps.log.info('wait for payment already resumed or expired', { reason: resumed.reason });
    return { action: 'payment_recorded', detail: resumed.reason };
  }
  return { action: 'resumed' };
}

async function failPayment(deps: DispatchDeps, orderKey: string): Promise<DispatchResult> {
  const { applied, order } = await deps.orders.markPayment(orderKey, 'failed', deps.now());
  if (!applied) {
    deps.log.warn('payment failure for an order already paid; ignored', { payment: order.payment });
    return { action: 'ignored', detail: `payment is ${order.payment}` };
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

async function refund(deps: DispatchDeps, orderKey: string): Promise<DispatchResult> {
  const now = deps.now();
  // The intent item decides, in one conditional write, whether credit can still move: CANCELLED closes
  // the door on the transfer step; anything past PENDING means a call may have happened.
  const intent = await deps.transfers.cancelForRefund(orderKey, now);
  const order = await deps.orders.markRefunded(orderKey, now);
  if (intent.status === 'CANCELLED' || intent.status === 'REJECTED') {
    if (order.taskToken && order.payment === 'unpaid') {
      await deps.workflow.fail(order.taskToken, ErrorNames.PaymentFailed, 'the order was refunded');
    }
    deps.log.info('order refunded before credit moved; no credit will move', { transfer: intent.status });
    return { action: 'refund_recorded', detail: intent.status };
  }
  // No automatic reversal: a transfer cannot be undone through the API, a person must decide.
  deps.metrics.addMetric(MetricNames.RefundAfterCredit, 'Count', 1);
  deps.log.error('order refunded after credit moved (or may have moved); needs a person', {
    transfer: intent.status,
    amountMillis: intent.amount,
    customerUuid: intent.customerUuid,
  });
  return { action: 'refund_after_credit', detail: intent.status };
}
