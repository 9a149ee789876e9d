import { executionName, paymentKey } from '../domain/keys';
import { type CreditOptions, creditOwed, type MoneyFact } from '../domain/money';
import type { OrderEvent } from '../domain/order-event';
import { isTerminal } from '../domain/order-state';
import { ErrorNames } from '../errors';
import { MetricNames } from '../metric-names';
import type { OrderRecord, OrderStore } from '../store/order-repository';
import type { PaymentLinkStore } from '../store/payment-repository';
import type { TransferStore } from '../store/transfer-repository';
import type { PaymentState } from './contract';
import type { EventsOut } from './events-out';
import { creditLatePayment, paymentSettlesPark } from './late-payment';
import { creditTakenBackSince, moneyStateOf } from './money-state';
import { parkForPerson } from './park';
import type { Observability, WorkflowControl } from './ports';
import { flagRefundAfterCredit } from './refund-after-credit';
import { claimReplay, startExecution } from './replay';

export { startExecution } from './replay';

export interface DispatchDeps extends Observability {
  orders: OrderStore;
  transfers: TransferStore;
  payments: PaymentLinkStore;
  workflow: WorkflowControl;
  /** `Order Needs Attention` and `Refund After Credit`, for the reseller's other systems. */
  events: EventsOut;
  /** How the credit owed is derived (free orders). */
  credit?: CreditOptions;
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
    | 'refund_after_credit'
    | 'waiting_for_order';
  executionArn?: string;
  detail?: string;
}

const PAID: PaymentState = { paid: true };

/**
 * The facts an event reports. An event from before money facts (an archive replayed, an input made by hand) states
 * only its kind: read as the fact that kind means, with no amount — a payment of unknown amount still says "paid",
 * a refund or dispute of unknown amount goes to a person.
 */
function factsOf(event: OrderEvent): readonly MoneyFact[] {
  if (event.facts) return event.facts;
  const fact = (type: MoneyFact['type'], id: string): MoneyFact[] => [
    { type, id, amount: null, currency: event.credit.currency, at: event.occurredAt },
  ];
  switch (event.kind) {
    case 'paid':
    case 'payment_confirmed':
      return fact('payment', `order:${event.orderId}`);
    case 'payment_failed':
      return fact('failure', `order:${event.orderId}:failed`);
    case 'refunded':
      return fact('refund', event.sourceEventId);
    case 'disputed':
      return fact('dispute', event.sourceEventId);
    case 'placed':
      return [];
  }
}

/** Refunds and disputes: facts that can take credit back. */
const takesCreditBack = (fact: MoneyFact) => fact.type === 'refund' || fact.type === 'dispute';

/**
 * Routes one normalized {@link OrderEvent} from the bus. Its money facts are recorded on the order, each once by its
 * provider id, and the order is moved on by what they say, never by the event's kind alone. Every branch is safe to
 * run twice (EventBridge delivers at least once, stores resend, events arrive out of order):
 * - placed / paid: record the order with its facts (and any that came for its payment before it), start the
 *   execution named by the order key (an existing one counts as success);
 * - a payment: the handshake of the design's "payment handshake" on the order item (resume a waiting execution), or,
 *   for an order that ended without credit (expired, payment failed), a new execution that credits it;
 * - a failure: ends a wait for payment;
 * - a refund or dispute: written on the transfer intent too, so it meets the transfer whichever comes second; after
 *   credit moved a person is told (Yay cannot reverse a transfer); before, the transfer derives what is still owed.
 * A refund or dispute naming only its payment (a Stripe PaymentIntent) finds its order through the payment item, or
 * waits there for the order.
 */
export async function dispatchOrderEvent(deps: DispatchDeps, event: OrderEvent): Promise<DispatchResult> {
  const orderKey = await orderOf(deps, event);
  if (!orderKey) {
    deps.metrics.addMetric(MetricNames.RefundsUnmatched, 'Count', 1);
    deps.log.info('money fact for a payment no order has claimed yet; kept for the order', {
      orderKey: event.orderKey,
      paymentRef: event.paymentRef,
    });
    return { action: 'waiting_for_order', detail: event.paymentRef };
  }
  if (event.kind === 'placed' || event.kind === 'paid') return placeOrder(deps, event);
  return recordFacts(deps, orderKey, [...factsOf(event), ...(await claimedFacts(deps, event))]);
}

/**
 * The order an event belongs to. An event of an order (its own id) is that order. One naming only its payment (a
 * Stripe refund or dispute carrying its PaymentIntent) notes each fact on the payment item and belongs to the order
 * that claimed the payment; undefined while none has (the order's first write will read the facts).
 */
async function orderOf(deps: DispatchDeps, event: OrderEvent): Promise<string | undefined> {
  if (!event.paymentRef || event.orderId !== event.paymentRef) return event.orderKey;
  const key = paymentKey(event.provider, event.store, event.paymentRef);
  let claimedBy: string | undefined;
  for (const fact of factsOf(event)) {
    claimedBy = (await deps.payments.notePaymentFact(key, fact, deps.now())).orderKey;
  }
  return claimedBy;
}

/**
 * An event of an order that names its payment claims the payment item for the order and brings the facts that
 * came for the payment before the order did (a refund delivered before its checkout session).
 */
async function claimedFacts(deps: DispatchDeps, event: OrderEvent): Promise<MoneyFact[]> {
  if (!event.paymentRef || event.orderId === event.paymentRef) return [];
  const key = paymentKey(event.provider, event.store, event.paymentRef);
  const link = await deps.payments.claimPayment(key, event.orderKey, deps.now());
  if (link.orderKey !== event.orderKey) {
    deps.log.warn('payment already claimed by another order; its facts stay there', {
      orderKey: event.orderKey,
      claimedBy: link.orderKey,
    });
    return [];
  }
  return link.facts;
}

async function placeOrder(deps: DispatchDeps, event: OrderEvent): Promise<DispatchResult> {
  const now = deps.now();
  const name = executionName(event.orderKey);
  const facts = [...factsOf(event), ...(await claimedFacts(deps, event))];
  const { order, created } = await deps.orders.record(
    event,
    name,
    now,
    deps.workflow.executionArn(name),
    facts,
  );
  if (created) {
    deps.metrics.addMetric(MetricNames.OrdersReceived, 'Count', 1);
  } else if (facts.length > 0 || event.kind === 'paid') {
    // The order was recorded before (this is `paid` after `placed`, or a redelivery): its facts decide what next.
    const moved = await afterFacts(deps, order, facts);
    if (moved && moved.action !== 'payment_recorded') return moved;
  }
  // The order as its last write left it: nothing since has changed it (a late payment returned above).
  const current = order;
  if (current.attention?.reason === 'order_missing' && current.state === 'needs_attention') {
    return orderArrived(deps, current);
  }
  if (isTerminal(current.state)) {
    deps.log.info('order already has an outcome; not starting it again', {
      orderKey: event.orderKey,
      outcome: current.outcome,
    });
    return { action: 'already_finished', detail: current.outcome };
  }
  return startExecution(deps, current, event);
}

/**
 * The order a payment was parked for (`order_missing`: the store had not sent it within the window) has come: the
 * reason is no longer true, so it goes on as any order does, in a new execution claimed from the park (any number of
 * deliveries start it once). A person who closed it meanwhile decided; a closed order stays closed.
 */
async function orderArrived(deps: DispatchDeps, order: OrderRecord): Promise<DispatchResult> {
  const started = await claimReplay(deps, order, 'the store sent the order its payment was parked for', {
    fromStates: ['needs_attention'],
  });
  if (!started) return { action: 'already_started', detail: 'order already taken from its park' };
  deps.log.info('order arrived for a payment parked as order_missing; starting it', {
    orderKey: order.orderKey,
    execution: started.executionArn,
  });
  return { action: 'started', executionArn: started.executionArn };
}

/** Records each fact once, then moves the order on by what they say. */
async function recordFacts(
  deps: DispatchDeps,
  orderKey: string,
  facts: readonly MoneyFact[],
): Promise<DispatchResult> {
  if (facts.length === 0) {
    deps.log.info('event carries no money fact; nothing to record', { orderKey });
    return { action: 'ignored', detail: 'no money fact' };
  }
  let order: OrderRecord | undefined;
  for (const fact of facts) order = (await deps.orders.recordFact(orderKey, fact, deps.now())).order;
  return (await afterFacts(deps, order as OrderRecord, facts)) ?? { action: 'payment_recorded' };
}

/**
 * What the facts just recorded (or recorded before: a redelivery must finish what a crashed first delivery began)
 * mean for the order. Undefined when nothing but recording was needed.
 */
async function afterFacts(
  deps: DispatchDeps,
  order: OrderRecord,
  facts: readonly MoneyFact[],
): Promise<DispatchResult | undefined> {
  if (facts.some(takesCreditBack)) {
    const taken = await creditTakenBack(deps, order);
    // A WooCommerce update states its payment and its refunds at once: once the refund is noted, a payment still
    // has to end the order's wait (the transfer then derives what is owed).
    const paying = facts.some((fact) => fact.type === 'payment');
    if (taken.action !== 'refund_recorded' || taken.detail === 'settled' || !paying) return taken;
  }
  if (order.payment === 'paid') return paymentIn(deps, order);
  if (facts.some((fact) => fact.type === 'failure')) return paymentFailed(deps, order);
  return undefined;
}

/**
 * A payment is on the order: resume its wait, or credit an order that ended without credit (the window closed, the
 * payment was reported failed first) with a new execution. Idempotent: a redelivery of the same payment does what a
 * first delivery that crashed half-way left undone.
 */
async function paymentIn(deps: DispatchDeps, order: OrderRecord): Promise<DispatchResult> {
  const orderKey = order.orderKey;
  if (order.state === 'fulfilled') {
    deps.log.debug('payment confirmed again for a fulfilled order', { orderKey });
    return { action: 'already_finished', detail: 'fulfilled' };
  }
  if (order.attention) {
    const settled = await paymentSettlesPark(deps, order);
    if (settled) return settled;
    deps.log.info('payment recorded on an order waiting for a person', { orderKey, state: order.state });
    return { action: 'payment_recorded', detail: `state ${order.state}` };
  }
  if (isTerminal(order.state)) return creditLatePayment(deps, order);
  if (!order.taskToken) {
    // Either no execution waits yet (it will see `paid` when it tries to store its token), or the
    // event came before the order itself (the stub makes the later execution go straight on).
    return { action: 'payment_recorded' };
  }
  const resumed = await deps.workflow.resume(order.taskToken, PAID);
  if (resumed.resumed) return { action: 'resumed' };
  // The wait ended as the payment came: the window closed this instant. An expiry already recorded is credited
  // now; one still being recorded finds the order owing and reopens it for the sweep instead.
  const now = await deps.orders.get(orderKey);
  if (now && isTerminal(now.state) && !now.attention && now.state !== 'fulfilled') {
    return creditLatePayment(deps, now);
  }
  deps.log.info('wait for payment already ended', { orderKey, reason: resumed.reason });
  return { action: 'payment_recorded', detail: resumed.reason };
}

/** A failure reported for an unpaid order ends its wait for payment. */
async function paymentFailed(deps: DispatchDeps, order: OrderRecord): Promise<DispatchResult> {
  const orderKey = order.orderKey;
  if (order.payment === 'paid') {
    deps.log.warn('payment failure for an order already paid; the payment stands', { orderKey });
    return { action: 'ignored', detail: 'payment is paid' };
  }
  if (!order.taskToken) return { action: 'payment_recorded' };
  const failed = await deps.workflow.fail(
    order.taskToken,
    ErrorNames.PaymentFailed,
    'the store reported the payment failed',
  );
  if (!failed.resumed) {
    deps.log.info('wait for payment already ended', { orderKey, reason: failed.reason });
    return { action: 'payment_recorded', detail: failed.reason };
  }
  return { action: 'resumed' };
}

/**
 * A refund or dispute is on the order. It is written on the transfer intent too (the order's fact count), so it
 * meets the transfer on one item: a transfer planned on fewer facts cannot start, and one that started sees it when
 * it records APPLIED. Then:
 * - credit moved → a person settles it in Yay (flagged once per refund or dispute);
 * - a call may have happened → whichever step decides it flags it if the credit moved;
 * - no credit moved → an order waiting for a person is settled when its facts now owe nothing; any other order's
 *   transfer derives what is still owed when it runs.
 */
async function creditTakenBack(deps: DispatchDeps, order: OrderRecord): Promise<DispatchResult> {
  const orderKey = order.orderKey;
  const intent = await deps.transfers.noteMoneyChange(orderKey, order.factCount ?? 0, deps.now());
  if (intent.status === 'APPLIED' && !isTerminal(order.state)) {
    // The credit moved and the execution has yet to record it: its outcome sees this fact (recorded on the order
    // before that write, or the write would have ended the order first) and flags it. Whichever of the two writes
    // lands second flags it, once.
    deps.log.info('refund or dispute after credit moved; the recorded outcome flags it', { orderKey });
    return { action: 'refund_recorded', detail: intent.status };
  }
  if (intent.status === 'APPLIED') {
    // Only money taken back after the amount that moved was derived: a refund the credit already left out, delivered
    // again (a retry, a WooCommerce update restating its refunds), takes nothing back. An intent from before money
    // facts (no planned count) was derived from none.
    if (!creditTakenBackSince(order, intent.plannedFactCount ?? 0)) {
      deps.log.info('refund or dispute the credit that moved already left out', { orderKey });
      return { action: 'refund_recorded', detail: 'already_left_out' };
    }
    // No automatic reversal: a transfer cannot be undone through the API, a person must decide.
    await flagRefundAfterCredit(deps, order, intent);
    return { action: 'refund_after_credit', detail: intent.status };
  }
  if (intent.status !== 'PENDING' && intent.status !== 'NOT_APPLIED' && intent.status !== 'CANCELLED') {
    deps.log.info(
      'refund or dispute while the transfer is undecided; the decision flags it if credit moved',
      {
        orderKey,
        transfer: intent.status,
      },
    );
    return { action: 'refund_recorded', detail: intent.status };
  }
  if (isTerminal(order.state) && !order.attention) {
    // Ended without credit (expired, payment failed, refunded, or fulfilled owing nothing): a refund or dispute only a
    // person can weigh (money never paid refunded, more refunded than paid) is put in front of one, beside a fulfilled
    // order's state; any other owes nothing more.
    const verdict = creditOwed(moneyStateOf(order), deps.credit);
    if (verdict.kind === 'person') {
      await parkForPerson(deps, orderKey, verdict.reason, verdict.why, {
        beside: order.state === 'fulfilled',
      });
      return { action: 'needs_attention', detail: verdict.reason };
    }
  }
  if (order.attention && order.attention.reason !== 'refund_after_credit') {
    const verdict = creditOwed(moneyStateOf(order), deps.credit);
    if (verdict.kind === 'nothing') {
      // Waiting for details, a price or a decision, and now nothing is owed: the money settles it.
      await deps.orders.recordOutcome(orderKey, 'refunded', undefined, deps.now(), {
        settledAt: order.factCount ?? 0,
      });
      deps.log.info('refund settles an order waiting for a person: nothing is owed', { orderKey });
      return { action: 'refund_recorded', detail: 'settled' };
    }
  }
  deps.log.info('refund or dispute recorded before credit moved; the transfer derives what is owed', {
    orderKey,
    transfer: intent.status,
  });
  return { action: 'refund_recorded', detail: intent.status };
}
