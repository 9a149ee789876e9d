/**
 * The Order page's model: one order, its executions, e-mails, events and the actions it offers.
 *
 * Built from the console's sources: a plain view model with the fields the page shows and no others. A record
 * never reaches a page whole, so a field added to the table later (a token, a sealed password) is not shown by
 * accident.
 */
import { executionName } from '../../shared/domain/keys';
import type { AttentionReason } from '../../shared/domain/order-state';
import { Outbound, type OutboundEvent } from '../../shared/domain/outbound-events';
import type { EmailRecord } from '../../shared/store';
import { type ActionId, actionById, type OrderDetails } from '../actions';
import type { ConsoleSources, HistoryEntry } from '../sources';
import { type OrderRow, rowOf } from './orders-model';

/** One line of an order's timeline. */
export interface TimelineEntry {
  at: string;
  what: string;
  detail?: string;
  /** Where the line comes from. */
  source: 'order' | 'execution' | 'person';
}
export interface ExecutionModel {
  name: string;
  /** The last event's type (ExecutionSucceeded, …), or why the history is not there. */
  status: string;
  entries: HistoryEntry[];
}
export interface EmailModel {
  kind: string;
  status: string;
  attempts: number;
  resends: number;
  sentAt?: string;
  updatedAt: string;
  reason?: string;
}
export interface EventModel {
  at: string;
  detailType: string;
  eventId: string;
  summary?: string;
}
export interface OrderModel {
  row: OrderRow;
  details: OrderDetails;
  updatedAt: string;
  paidAt?: string;
  outcome?: string;
  buyerPhone?: string;
  address?: string;
  customerUuid?: string;
  buyerKey?: string;
  lastError?: { name: string; message?: string };
  attention?: { reason: AttentionReason; message: string; since: string; command: string };
  transfer?: {
    status: string;
    amount: string;
    attempts: number;
    reason?: string;
    createdAt: string;
    updatedAt: string;
    resellerBalanceBefore?: string;
    customerBalanceBefore?: string;
  };
  actionsTaken: Array<{ at: string; action: string; reason: string; detail?: string }>;
  timeline: TimelineEntry[];
  executions: ExecutionModel[];
  emails: EmailModel[];
  events: { fromLog: boolean; items: EventModel[] };
  offered: Array<{ id: ActionId; label: string }>;
  replays: number;
  waitingForPayment: boolean;
}
/** The executions shown per order: the newest ones (each is one history read). */
const MAX_EXECUTIONS = 5;
const millis = (value: number | undefined) =>
  value === undefined ? undefined : `${value < 0 ? '-' : ''}${(Math.abs(value) / 1000).toFixed(3)}`;
/** The error's name, and the Lambda's own message when the cause carries one (never its stack trace). */
function errorOf(error: { Error: string; Cause?: string } | undefined): OrderModel['lastError'] {
  if (!error) return undefined;
  let message = error.Cause;
  try {
    const cause = JSON.parse(error.Cause ?? '') as { errorMessage?: unknown };
    if (typeof cause.errorMessage === 'string') message = cause.errorMessage;
  } catch {
    // A plain-text cause (a Catch of a States.* error) is shown as it is.
  }
  return { name: error.Error, ...(message ? { message: message.slice(0, 500) } : {}) };
}
/**
 * What the order item says was published, for when no events log is there: the facts its events carry, built by
 * the same constructors the steps use (so the ids are the ones a consumer saw). A time the item does not keep is
 * left empty.
 */
function impliedEvents(order: OrderDetails): EventModel[] {
  const facts = {
    orderKey: order.orderKey,
    buyerKey: order.buyerKey,
    customerName: order.customerName,
    customerUuid: order.customerUuid,
  };
  const at = (time: string | undefined) => (time ? new Date(time) : new Date(0));
  const events: Array<{ event: OutboundEvent; at?: string; summary?: string }> = [];
  if (order.customerUuid && order.customerName) {
    const customer = { ...facts, customerName: order.customerName, customerUuid: order.customerUuid };
    events.push({ event: Outbound.customerCreated(customer, at(undefined)), summary: order.customerName });
  }
  const transfer = order.transfer;
  if (transfer?.status === 'APPLIED') {
    events.push({
      event: Outbound.creditTransferred(
        facts,
        { amount: transfer.amount, firstOrder: false },
        at(transfer.updatedAt),
      ),
      at: transfer.updatedAt,
      summary: `${millis(transfer.amount)} GBP`,
    });
  }
  if (order.state === 'fulfilled') {
    events.push({
      event: Outbound.orderFulfilled(facts, transfer?.amount, at(order.updatedAt)),
      at: order.updatedAt,
    });
  }
  if (order.attention) {
    events.push({
      event: Outbound.orderNeedsAttention(
        facts,
        order.attention,
        // As the publishers key it: a store event's flag by when it was raised, an execution's by the execution.
        order.attention.reason.startsWith('paid_after_')
          ? order.attention.since
          : (order.executionName ?? `replays:${order.replays}`),
        at(order.attention.since),
      ),
      at: order.attention.since,
      summary: order.attention.reason,
    });
  }
  if (order.refundAfterCreditAt && transfer) {
    events.push({
      event: Outbound.refundAfterCredit(
        facts,
        { amount: transfer.amount, status: transfer.status },
        at(order.refundAfterCreditAt),
      ),
      at: order.refundAfterCreditAt,
    });
  }
  return events.map(({ event, at: time, summary }) => ({
    at: time ?? '',
    detailType: event.detailType,
    eventId: event.detail.eventId,
    ...(summary ? { summary } : {}),
  }));
}
function addressOf(order: OrderDetails): string | undefined {
  const address = order.event?.address;
  if (!address) return undefined;
  const parts = [
    address.street_one,
    address.street_two,
    address.city,
    address.state,
    address.zip,
    address.country_code,
  ];
  const text = parts.filter((part) => part?.trim()).join(', ');
  return text || undefined;
}
/** The Order page, or undefined for an order not recorded. */
export async function orderModel(sources: ConsoleSources, orderKey: string): Promise<OrderModel | undefined> {
  const order = await sources.store.getOrder(orderKey);
  if (!order) return undefined;
  const workflow = sources.actions.deps.workflow;
  const first = Math.max(0, order.replays - (MAX_EXECUTIONS - 1));
  const names = Array.from({ length: order.replays - first + 1 }, (_, i) =>
    executionName(orderKey, first + i || undefined),
  );
  const [emails, histories, logged] = await Promise.all([
    sources.emails.listForOrder(orderKey, order.customerName),
    Promise.all(names.map((name) => sources.history(workflow.executionArn(name)))),
    sources.events ? sources.events(orderKey) : undefined,
  ]);
  const executions: ExecutionModel[] = names.map((name, i) => {
    const entries = histories[i];
    return {
      name,
      status: entries
        ? (entries.at(-1)?.type ?? 'no events')
        : 'not in Step Functions (never started, or aged out)',
      entries: entries ?? [],
    };
  });

  const timeline: TimelineEntry[] = [{ at: order.createdAt, what: 'Order recorded', source: 'order' }];
  if (order.paidAt) timeline.push({ at: order.paidAt, what: 'Payment confirmed', source: 'order' });
  for (const execution of executions) {
    for (const entry of execution.entries) {
      if (entry.type === 'ExecutionStarted') {
        timeline.push({
          at: entry.at,
          what: 'Execution started',
          detail: execution.name,
          source: 'execution',
        });
      } else if ((entry.type === 'TaskStateEntered' || entry.type === 'WaitStateEntered') && entry.state) {
        // The steps and the waits; the choices and passes between them are in the execution's own history.
        timeline.push({ at: entry.at, what: entry.state, source: 'execution' });
      } else if (entry.error || /^Execution(Succeeded|Failed|Aborted|TimedOut|Redriven)$/.test(entry.type)) {
        timeline.push({
          at: entry.at,
          what: entry.type.replace(/([a-z])([A-Z])/g, '$1 $2'),
          ...(entry.error ? { detail: entry.error } : {}),
          source: 'execution',
        });
      }
    }
  }
  if (order.attention) {
    timeline.push({
      at: order.attention.since,
      what: `Waits for a person: ${order.attention.reason}`,
      source: 'order',
    });
  }
  for (const action of order.actions ?? []) {
    timeline.push({
      at: action.at,
      what: `${action.action}${action.detail ? ` (${action.detail})` : ''}`,
      detail: action.reason,
      source: 'person',
    });
  }
  timeline.sort((a, b) => a.at.localeCompare(b.at));

  const transfer = order.transfer;
  const attention = order.attention;
  const lastError = errorOf(order.lastError);
  const buyer = order.event?.buyer;
  const address = addressOf(order);
  return {
    row: rowOf(order),
    details: order,
    updatedAt: order.updatedAt,
    replays: order.replays,
    waitingForPayment: order.waitingForPayment,
    ...(order.paidAt ? { paidAt: order.paidAt } : {}),
    ...(order.outcome ? { outcome: order.outcome } : {}),
    ...(buyer?.phone ? { buyerPhone: buyer.phone } : {}),
    ...(address ? { address } : {}),
    ...(order.customerUuid ? { customerUuid: order.customerUuid } : {}),
    ...(order.buyerKey ? { buyerKey: order.buyerKey } : {}),
    ...(lastError ? { lastError } : {}),
    ...(attention
      ? {
          attention: {
            reason: attention.reason,
            message: attention.message,
            since: attention.since,
            command: attention.action,
          },
        }
      : {}),
    ...(transfer
      ? {
          transfer: {
            status: transfer.status,
            amount: `${millis(transfer.amount)} GBP`,
            attempts: transfer.attempts,
            createdAt: transfer.createdAt,
            updatedAt: transfer.updatedAt,
            ...(transfer.reason ? { reason: transfer.reason } : {}),
            ...(transfer.resellerBalanceBefore === undefined
              ? {}
              : { resellerBalanceBefore: millis(transfer.resellerBalanceBefore) }),
            ...(transfer.customerBalanceBefore === undefined
              ? {}
              : { customerBalanceBefore: millis(transfer.customerBalanceBefore) }),
          },
        }
      : {}),
    actionsTaken: (order.actions ?? []).map((action) => ({
      at: action.at,
      action: action.action,
      reason: action.reason,
      ...(action.detail ? { detail: action.detail } : {}),
    })),
    timeline,
    executions,
    emails: emails.map(emailOf),
    events: logged
      ? { fromLog: true, items: logged.map((event) => ({ ...event })) }
      : { fromLog: false, items: impliedEvents(order) },
    offered: offeredActions(sources, order),
  };
}
function emailOf(email: EmailRecord): EmailModel {
  return {
    kind: email.type,
    status: email.status,
    attempts: email.attempts,
    resends: email.resends ?? 0,
    updatedAt: email.updatedAt,
    ...(email.sentAt ? { sentAt: email.sentAt } : {}),
    ...(email.reason ? { reason: email.reason } : {}),
  };
}
/** The actions this order can take now, in the registry's order. */
export function offeredActions(
  sources: ConsoleSources,
  order: OrderDetails,
): Array<{ id: ActionId; label: string }> {
  return (
    ['resolve-applied', 'resolve-not-applied', 'complete', 'replay', 'close', 'resend-welcome'] as const
  )
    .map((id) => actionById(id))
    .filter((action) => action?.offered(order, sources.actions))
    .map((action) => ({ id: action?.id as ActionId, label: action?.label as string }));
}
