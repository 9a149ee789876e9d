import { formatCredit, MIN_TRANSFER, type Millis } from '../domain/credit';
import { describeMissing, newCustomerDetails } from '../domain/customer-details';
import { buyerKey } from '../domain/keys';
import type { CreditDecision } from '../domain/money';
import type { OrderEvent } from '../domain/order-event';
import { OrderInvalid } from '../errors';
import type { BuyerStore } from '../store/buyer-repository';
import type { OrderAction, OrderRecord, OrderStore } from '../store/order-repository';
import type { TransferStore } from '../store/transfer-repository';
import type { Observability, WorkflowControl } from './ports';
import { claimReplay, type ReplayResult } from './replay';

/** What a person supplies with `ops complete` (or the console): every field optional, each replaces the order's. */
export interface OrderCompletion {
  firstName?: string;
  lastName?: string;
  email?: string;
  street?: string;
  street2?: string;
  city?: string;
  zip?: string;
  state?: string;
  /** Two-letter ISO country code. */
  country?: string;
  /**
   * Thousandths of a pound: the credit an unpriced order buys, or the credit a person decided an order owes when its
   * money facts cannot say (a partial refund naming no line, a dispute).
   */
  credit?: Millis;
}

export interface AttentionDeps extends Observability {
  orders: OrderStore;
  buyers: BuyerStore;
  transfers: TransferStore;
  workflow: WorkflowControl;
}

const trimmed = (value: string | undefined) => {
  const text = value?.trim();
  return text ? text : undefined;
};

/** The order's event with a person's fields laid over it; the buyer key follows a newly supplied e-mail. */
export function applyCompletion(event: OrderEvent, completion: OrderCompletion): OrderEvent {
  const buyer = { ...event.buyer };
  const first = trimmed(completion.firstName);
  const last = trimmed(completion.lastName);
  const email = trimmed(completion.email);
  if (first) buyer.firstName = first;
  if (last) buyer.lastName = last;
  if (first || last) buyer.name = [buyer.firstName, buyer.lastName].filter(Boolean).join(' ');
  if (email) buyer.email = email;
  const address = { ...event.address };
  const fields = [
    ['street_one', completion.street],
    ['street_two', completion.street2],
    ['city', completion.city],
    ['zip', completion.zip],
    ['state', completion.state],
    ['country_code', completion.country?.toUpperCase()],
  ] as const;
  for (const [field, value] of fields) {
    const text = trimmed(value);
    if (text) address[field] = text;
  }
  const next: OrderEvent = { ...event, buyer };
  if (Object.keys(address).length > 0) next.address = address;
  if (completion.credit !== undefined) {
    next.credit = { amount: completion.credit, currency: event.credit.currency };
  }
  if (!next.buyerKey && email) {
    const key = buyerKey(event.provider, event.store, undefined, email);
    if (key) next.buyerKey = key;
  }
  return next;
}

function describeCompletion(completion: OrderCompletion): string {
  const parts = Object.entries(completion)
    .filter(([, value]) => value !== undefined && value !== false)
    .map(([field, value]) => (field === 'credit' ? `credit ${formatCredit(value as number)}` : field));
  return parts.length > 0 ? `supplied ${parts.join(', ')}` : 'nothing supplied';
}

function requireWaiting(
  order: OrderRecord | undefined,
  orderKey: string,
): OrderRecord & { event: OrderEvent } {
  if (!order) throw new OrderInvalid(`order ${orderKey} is not recorded`);
  if (order.state !== 'needs_attention' || !order.attention) {
    throw new OrderInvalid(
      `order ${orderKey} is ${order.state}, not waiting for details (nothing to complete)`,
    );
  }
  if (!order.event)
    throw new OrderInvalid(`order ${orderKey} has only payment events so far; nothing to complete`);
  return order as OrderRecord & { event: OrderEvent };
}

/**
 * `ops complete <order> …`: a person supplies what a parked order lacks (a name, an e-mail, an address, a credit
 * amount, or a confirmation that a contested payment stands) and the order resumes as a new execution of the
 * same order. Checked before anything is written: an order that would still be incomplete is refused naming
 * what is missing. Exactly once: the claim is conditional on the order still waiting, so a second completion,
 * or one racing a redelivered store event, finds it resumed and is refused.
 */
export async function completeOrder(
  deps: AttentionDeps,
  orderKey: string,
  completion: OrderCompletion,
  reason: string,
): Promise<ReplayResult> {
  const order = requireWaiting(await deps.orders.get(orderKey), orderKey);
  const attention = order.attention as NonNullable<OrderRecord['attention']>;
  let event = applyCompletion(order.event, completion);
  let decision: CreditDecision | undefined;
  switch (attention.reason) {
    case 'missing_details': {
      const known = event.buyerKey ? await deps.buyers.getCustomer(event.buyerKey) : undefined;
      if (!event.buyerKey) throw new OrderInvalid('the order still lacks buyer.email: supply --email');
      if (!known) {
        const checked = newCustomerDetails(event);
        if (!checked.ok) {
          throw new OrderInvalid(`${describeMissing(checked.missing, checked.problems)}: supply them too`);
        }
      }
      break;
    }
    case 'unpriced': {
      const amount = event.credit.amount;
      if (amount === null) throw new OrderInvalid('the order has no credit amount: supply --credit <amount>');
      if (amount < MIN_TRANSFER)
        throw new OrderInvalid(`--credit must be at least ${formatCredit(MIN_TRANSFER)}`);
      break;
    }
    case 'credit_undecided':
    case 'disputed': {
      // A person decides what the money owes; the order's catalog price stays what the store sold.
      const credit = completion.credit;
      if (credit === undefined) {
        throw new OrderInvalid(
          `the money facts cannot say what is owed (${attention.message}): supply --credit <amount>, or ops close if nothing is owed`,
        );
      }
      if (credit < MIN_TRANSFER) {
        throw new OrderInvalid(
          `--credit must be at least ${formatCredit(MIN_TRANSFER)}; use ops close if nothing is owed`,
        );
      }
      event = applyCompletion(order.event, { ...completion, credit: undefined });
      decision = { credit, factCount: order.factCount ?? 0, at: deps.now().toISOString() };
      // A transfer cancelled when the money owed nothing never called Yay: planned afresh for the decided amount.
      await deps.transfers.reopenCancelled(orderKey);
      break;
    }
    default:
      throw new OrderInvalid(`order ${orderKey} waits for ${attention.action}, not for ops complete`);
  }
  const action: OrderAction = {
    action: 'complete',
    at: deps.now().toISOString(),
    reason,
    detail: describeCompletion(completion),
  };
  const started = await claimReplay(deps, order, `completed by an operator: ${reason}`, {
    fromStates: ['needs_attention'],
    event,
    ...(decision ? { decision } : {}),
    action,
  });
  if (!started)
    throw new OrderInvalid(`order ${orderKey} was resumed by someone else just now; check its status`);
  deps.log.info('order completed by an operator', { orderKey, execution: started.executionArn });
  return started;
}

/**
 * `ops close <order> --reason …`: a person settles an order's attention without the system doing more (a refund
 * after credit handled in Yay by hand, a contested payment that is not owed). A parked order becomes `closed`.
 * A transfer under review cannot be closed: money may have moved, so it needs `ops resolve-transfer`.
 */
export async function closeOrder(
  deps: AttentionDeps,
  orderKey: string,
  reason: string,
): Promise<OrderRecord> {
  const order = await deps.orders.get(orderKey);
  if (!order) throw new OrderInvalid(`order ${orderKey} is not recorded`);
  if (!order.attention) throw new OrderInvalid(`order ${orderKey} is ${order.state} and waits for nobody`);
  if (order.attention.reason === 'transfer_review') {
    throw new OrderInvalid(`order ${orderKey} has a transfer under review: ${order.attention.action}`);
  }
  const action: OrderAction = {
    action: 'close',
    at: deps.now().toISOString(),
    reason,
    detail: order.attention.reason,
  };
  if (!(await deps.orders.closeAttention(orderKey, action, deps.now()))) {
    throw new OrderInvalid(`order ${orderKey} changed just now; check its status`);
  }
  deps.log.info('order attention closed by an operator', { orderKey, reason: order.attention.reason });
  return (await deps.orders.get(orderKey)) ?? order;
}
