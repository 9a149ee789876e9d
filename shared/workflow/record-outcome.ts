import { type CreditOptions, creditOwed } from '../domain/money';
import { type Attention, attentionAction, type CaughtError, type Outcome } from '../domain/order-state';
import { Outbound, type OutboundEvent } from '../domain/outbound-events';
import { ErrorNames } from '../errors';
import { MetricNames } from '../metric-names';
import type { OrderRecord, OrderStore } from '../store/order-repository';
import type { TransferStore } from '../store/transfer-repository';
import type { RecordOutcomeInput } from './contract';
import type { EventsOut } from './events-out';
import { creditTakenBackSince, moneyStateOf } from './money-state';
import type { Observability } from './ports';
import { flagRefundAfterCredit } from './refund-after-credit';

export interface RecordOutcomeDeps extends Observability {
  orders: OrderStore;
  /** How the credit owed is derived (free orders): the figures of a refund after credit. */
  credit?: CreditOptions;
  /** Read only for a fulfilled order the store refunded meanwhile (its refund after credit is flagged). */
  transfers: Pick<TransferStore, 'getIntent'>;
  events: EventsOut;
}

export interface RecordedOutcome {
  orderKey: string;
  outcome: Outcome;
  /** False when the order was already fulfilled and a later run's outcome was not allowed to replace it. */
  applied: boolean;
}

/** Step Functions puts the Lambda's whole error JSON (with stack) in Cause; keep the order item small. */
const MAX_CAUSE_CHARS = 2000;

/**
 * The message of a caught error: Step Functions' Cause of a Lambda error is the JSON
 * `{"errorType","errorMessage","trace"}`; local mode's is the message itself.
 */
export function causeMessage(error: CaughtError | undefined): string | undefined {
  const cause = error?.Cause;
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: the message itself.
  }
  return cause;
}

/** The missing fields an OrderIncomplete names in its message: `buyer.firstName`, `address.street_one`, … */
function fieldsIn(message: string): string[] {
  return [...new Set(message.match(/\b(?:buyer|address|credit)\.[A-Za-z_]+/g) ?? [])];
}

/**
 * What a person must do, derived from how the execution ended: an incomplete order (the fields to supply), an
 * unpriced one, an undecidable transfer, or a definite failure. Undefined for outcomes that need nobody.
 */
export function attentionFor(input: RecordOutcomeInput, since: string): Attention | undefined {
  const key = input.order.orderKey;
  if (input.outcome === 'needs_attention' && input.transfer?.status === 'HELD') {
    const reason = input.transfer.hold ?? 'credit_undecided';
    return {
      reason,
      message: input.transfer.reason ?? 'only a person can tell how much credit is owed',
      action: attentionAction(reason, key),
      since,
    };
  }
  if (input.outcome === 'failed') {
    const message = `${input.error?.Error ?? 'Error'}: ${causeMessage(input.error) ?? 'no cause recorded'}`;
    return { reason: 'failed', message, action: attentionAction('failed', key), since };
  }
  if (input.outcome !== 'needs_attention') return undefined;
  if (input.error?.Error === ErrorNames.OrderIncomplete) {
    const message = causeMessage(input.error) ?? 'the order lacks details a new Yay customer needs';
    const fields = fieldsIn(message);
    return {
      reason: 'missing_details',
      message,
      action: attentionAction('missing_details', key, fields),
      fields,
      since,
    };
  }
  if (input.reconcile?.decision === 'needs_review') {
    return {
      reason: 'transfer_review',
      message: input.reconcile.reason,
      action: attentionAction('transfer_review', key),
      since,
    };
  }
  return {
    reason: 'unpriced',
    message:
      input.transfer?.reason ?? input.order.credit.unpricedReason ?? 'the order carries no credit price',
    action: attentionAction('unpriced', key),
    since,
  };
}

/**
 * "Record outcome": the order's final state, its error, out of the open index (so the sweep leaves it),
 * token dropped; into the ATTENTION queue when a person is needed (counted: the alarm's metric). One
 * conditional write; run twice, the same state. A fulfilled order is never downgraded, and an expiry never
 * overwrites a payment that arrived while the window closed (the order is reopened for the sweep to credit).
 */
export async function recordOutcome(
  deps: RecordOutcomeDeps,
  input: RecordOutcomeInput,
): Promise<RecordedOutcome> {
  const orderKey = input.order.orderKey;
  const now = deps.now();
  const error: CaughtError | undefined = input.error
    ? {
        Error: input.error.Error,
        ...(input.error.Cause ? { Cause: input.error.Cause.slice(0, MAX_CAUSE_CHARS) } : {}),
      }
    : input.transfer?.status === 'SKIPPED'
      ? { Error: 'CreditSkipped', Cause: input.transfer.reason ?? 'no credit price' }
      : undefined;
  // An order ending without credit whose money only a person can judge (a refund of money never paid, a dispute)
  // waits for that person instead, with the figures.
  const judged = NO_CREDIT_ENDINGS.includes(input.outcome) ? await moneyForPerson(deps, orderKey) : undefined;
  const attention = judged
    ? { ...judged, action: attentionAction(judged.reason, orderKey), since: now.toISOString() }
    : attentionFor(input, now.toISOString());
  const outcome: Outcome = judged ? 'needs_attention' : input.outcome;
  // An outcome that moves no credit is written on an order that may owe credit only at the fact count its facts were
  // found to owe nothing at (a refund in full, a free order): a fact that came since reopens the order instead.
  const settledAt =
    input.transfer?.status === 'CANCELLED' || input.transfer?.status === 'NOTHING_OWED'
      ? input.transfer.factCount
      : undefined;
  const { applied, order, reopened } = await deps.orders.recordOutcome(orderKey, outcome, error, now, {
    ...(attention ? { attention } : {}),
    ...(settledAt === undefined ? {} : { settledAt }),
  });
  if (reopened) {
    deps.log.info('money came as the execution ended; the sweep credits it', { orderKey, outcome });
    return { orderKey, outcome: order.state as Outcome, applied: false };
  }
  if (!applied) {
    deps.log.warn('order already fulfilled, or its money changed; this outcome not recorded', {
      orderKey,
      outcome,
      state: order.state,
    });
    return { orderKey, outcome: order.outcome ?? outcome, applied };
  }
  // Published after the write, on every run that wrote it: a retry publishes the same facts with the same ids.
  await deps.events.publish(outboundFacts(input, order, attention, now));
  if (outcome === 'fulfilled' && creditTakenBackSince(order, plannedOn(input))) {
    // A refund or dispute came after the amount that moved was derived (it met the transfer while the call was
    // under way, or was recorded after): credit moved that the money no longer owes.
    const intent = await deps.transfers.getIntent(orderKey);
    if (intent) await flagRefundAfterCredit(deps, order, intent);
  }
  const attrs = { orderKey, outcome, ...(error ? { error: error.Error } : {}) };
  if (attention) {
    deps.metrics.addMetric(MetricNames.OrdersNeedingAttention, 'Count', 1);
    const level = attention.reason === 'failed' ? 'error' : 'warn';
    deps.log[level]('order needs a person', { ...attrs, reason: attention.reason, action: attention.action });
  } else {
    deps.log.info('order outcome recorded', attrs);
  }
  return { orderKey, outcome, applied };
}

/** Endings of an execution that never reached Transfer credit: what the money says was not asked yet. */
const NO_CREDIT_ENDINGS: readonly Outcome[] = ['expired', 'payment_failed'];

/** What a person must weigh, when the order's money says only a person can tell; one read, on those endings only. */
async function moneyForPerson(
  deps: RecordOutcomeDeps,
  orderKey: string,
): Promise<{ reason: 'credit_undecided' | 'disputed'; message: string } | undefined> {
  const verdict = creditOwed(moneyStateOf(await deps.orders.get(orderKey)), deps.credit);
  return verdict.kind === 'person' ? { reason: verdict.reason, message: verdict.why } : undefined;
}

/** The fact count the credit that moved was derived from (transfer or reconcile), when one moved. */
function plannedOn(input: RecordOutcomeInput): number | undefined {
  if (input.transfer?.status === 'APPLIED') return input.transfer.factCount;
  if (input.reconcile?.decision === 'applied') return input.reconcile.factCount;
  return undefined;
}

/** The credit that moved, and the balance after it when a step read it: from the transfer, or its reconciliation. */
function creditMoved(input: RecordOutcomeInput): { amount: number; balanceAfter?: number } | undefined {
  if (input.transfer?.status === 'APPLIED' && input.transfer.amount > 0) {
    return {
      amount: input.transfer.amount,
      ...(input.transfer.balanceAfter === undefined ? {} : { balanceAfter: input.transfer.balanceAfter }),
    };
  }
  if (input.reconcile?.decision === 'applied' && input.reconcile.amount) {
    return {
      amount: input.reconcile.amount,
      ...(input.reconcile.balanceAfter === undefined ? {} : { balanceAfter: input.reconcile.balanceAfter }),
    };
  }
  return undefined;
}

/**
 * The events an outcome publishes: `Credit Transferred` and `Order Fulfilled` for a fulfilled order (a receipt
 * is sent from the first, unless the order created the customer); `Order Needs Attention` when a person is
 * needed, its occurrence the execution that parked it.
 */
export function outboundFacts(
  input: RecordOutcomeInput,
  order: OrderRecord,
  attention: Attention | undefined,
  now: Date,
): OutboundEvent[] {
  const facts = {
    orderKey: input.order.orderKey,
    buyerKey: input.order.buyerKey ?? order.buyerKey,
    customerName: input.customer?.name ?? order.customerName,
    customerUuid: input.customer?.uuid ?? order.customerUuid,
  };
  if (input.outcome === 'fulfilled') {
    const moved = creditMoved(input);
    return [
      ...(moved
        ? [
            Outbound.creditTransferred(
              facts,
              { ...moved, firstOrder: input.customer?.firstOrder === true },
              now,
            ),
          ]
        : []),
      Outbound.orderFulfilled(facts, moved?.amount, now),
    ];
  }
  if (attention) {
    const occurrence = order.executionName ?? `replays:${order.replays}`;
    return [Outbound.orderNeedsAttention(facts, attention, occurrence, now)];
  }
  return [];
}
