/**
 * The pages' data, built from the console's sources: plain view models with the fields a page shows and no
 * others. A record never reaches a page whole, so a field added to the table later (a token, a sealed
 * password) is not shown by accident.
 */
import { executionName, type Provider, Providers } from '../shared/domain/keys';
import { type AttentionReason, OrderStates } from '../shared/domain/order-state';
import { Outbound, type OutboundEvent } from '../shared/domain/outbound-events';
import type { EmailRecord, OrderRecord, OrderState, OrderView } from '../shared/store';
import { creditStillOwed } from '../shared/workflow/sweep';
import { type ActionId, actionById, creditText, type OrderDetails, resolvingActions } from './actions';
import type { ConsoleSources, HistoryEntry } from './sources';

/** One order in a list. */
export interface OrderRow {
  orderKey: string;
  createdAt: string;
  state: OrderState;
  payment: string;
  refunded: boolean;
  credit: string;
  buyerName?: string;
  buyerEmail?: string;
  customerName?: string;
}

export interface AttentionItem extends OrderRow {
  reason: AttentionReason;
  message: string;
  since: string;
  /** The ops CLI command that does the same. */
  command: string;
  actions: Array<{ id: ActionId; label: string }>;
}

export interface AttentionGroup {
  title: string;
  explains: string;
  items: AttentionItem[];
}

function rowOf(order: OrderView | OrderRecord): OrderRow {
  const buyer = order.event?.buyer;
  return {
    orderKey: order.orderKey,
    createdAt: order.createdAt,
    state: order.state,
    payment: order.payment,
    refunded: order.refunded === true,
    credit: creditText(order, { short: true }),
    ...(buyer?.name ? { buyerName: buyer.name } : {}),
    ...(buyer?.email ? { buyerEmail: buyer.email } : {}),
    ...(order.customerName ? { customerName: order.customerName } : {}),
  };
}

const GROUPS: ReadonlyArray<{ title: string; explains: string; reasons: AttentionReason[] }> = [
  {
    title: 'Transfers needing review',
    explains:
      "Yay's balances could not prove whether the credit arrived. Check the customer in Yay, then decide.",
    reasons: ['transfer_review'],
  },
  {
    title: 'Failed orders',
    explains: 'A definite error (credentials, a refusal, configuration). Fix the cause, then replay.',
    reasons: ['failed'],
  },
  {
    title: 'Refunds after credit',
    explains:
      'The store refunded after the credit moved, which Yay cannot reverse. Settle it in Yay, then close.',
    reasons: ['refund_after_credit'],
  },
  {
    title: 'Credit to decide',
    explains:
      'The money does not say exactly what is owed (a partial refund naming no line, a dispute, figures that do not add up). Decide the credit, or close.',
    reasons: ['credit_undecided', 'disputed'],
  },
  {
    title: 'Money without an order',
    explains: 'A payment came for an order the store never sent. Check the store, then close.',
    reasons: ['order_missing'],
  },
  {
    title: 'Orders missing details',
    explains:
      'A genuine order lacks what a new Yay customer needs, or a price. Supply it and the order resumes.',
    reasons: ['missing_details', 'unpriced'],
  },
];

/** The home page: every order waiting for a person (one query of the ATTENTION queue), grouped by what it needs. */
export async function attentionGroups(sources: ConsoleSources): Promise<AttentionGroup[]> {
  const waiting = await sources.store.listAttention();
  const items = waiting.flatMap((order): AttentionItem[] => {
    const attention = order.attention;
    if (!attention) return [];
    return [
      {
        ...rowOf(order),
        reason: attention.reason,
        message: attention.message,
        since: attention.since,
        command: attention.action,
        actions: resolvingActions(attention.reason).map((id) => ({
          id,
          label: actionById(id)?.label ?? id,
        })),
      },
    ];
  });
  return GROUPS.map((group) => ({
    title: group.title,
    explains: group.explains,
    items: items.filter((item) => group.reasons.includes(item.reason)),
  }));
}

/** Orders per page. */
export const PAGE_SIZE = 50;
/** The Orders page's days when none are asked for: the last 90. */
const DEFAULT_DAYS = 90;
/** The most days one Orders page walks (each day read is a query). */
export const MAX_DAYS = 366;

export interface OrdersQuery {
  state?: OrderState;
  provider?: Provider;
  store?: string;
  from: string;
  to: string;
  search?: string;
  cursor?: string;
  /** The page number shown (1 for the first); paging itself is by cursor. */
  page: number;
}

export interface OrdersModel {
  query: OrdersQuery;
  /** What the search looked for, in words, when there was one. */
  searchedBy?: string;
  rows: OrderRow[];
  next?: string;
  /** Search hits beyond the page: narrow the search. */
  more?: boolean;
  /** Why part of the query was refused (shown, and the rest still applies). */
  problems: string[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const dayOf = (date: Date) => date.toISOString().slice(0, 10);
const addDays = (day: string, days: number) =>
  dayOf(new Date(Date.parse(`${day}T00:00:00.000Z`) + days * 86_400_000));
const validDay = (text: string | undefined) =>
  text && DAY.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00.000Z`)) ? text : undefined;

/** The Orders page's query string, checked: what cannot be used is named in `problems` and left out. */
export function ordersQuery(params: URLSearchParams, now: Date): { query: OrdersQuery; problems: string[] } {
  const problems: string[] = [];
  const text = (name: string, max = 200) => {
    const value = params.get(name)?.trim();
    if (!value) return undefined;
    if (value.length > max) {
      problems.push(`${name} is longer than ${max} characters; ignored`);
      return undefined;
    }
    return value;
  };
  const state = text('state');
  const provider = text('provider');
  const to = validDay(text('to')) ?? dayOf(now);
  let from = validDay(text('from')) ?? addDays(to, -(DEFAULT_DAYS - 1));
  if (text('from') && !validDay(text('from')))
    problems.push('from must be a day (YYYY-MM-DD); the default is used');
  if (text('to') && !validDay(text('to'))) problems.push('to must be a day (YYYY-MM-DD); today is used');
  if (from > to) {
    problems.push('from is after to; the default range is used');
    from = addDays(to, -(DEFAULT_DAYS - 1));
  }
  if (addDays(from, MAX_DAYS - 1) < to) {
    problems.push(`at most ${MAX_DAYS} days at a time; from moved to ${addDays(to, -(MAX_DAYS - 1))}`);
    from = addDays(to, -(MAX_DAYS - 1));
  }
  if (state && !OrderStates.includes(state as OrderState))
    problems.push(`no state "${state}"; not filtered by state`);
  if (provider && !(Providers as readonly string[]).includes(provider)) {
    problems.push(`no provider "${provider}"; not filtered by provider`);
  }
  const page = Number(params.get('page'));
  const query: OrdersQuery = {
    from,
    to,
    page: Number.isSafeInteger(page) && page > 0 ? page : 1,
    ...(state && OrderStates.includes(state as OrderState) ? { state: state as OrderState } : {}),
    ...(provider && (Providers as readonly string[]).includes(provider)
      ? { provider: provider as Provider }
      : {}),
  };
  const store = text('store');
  const search = text('q', 320);
  const cursor = text('cursor', 4096);
  if (store) query.store = store;
  if (search) query.search = search;
  if (cursor) query.cursor = cursor;
  return { query, problems };
}

/** The Orders page: a search (key, e-mail or customer name), else one page of the filtered days. */
export async function ordersModel(
  sources: ConsoleSources,
  query: OrdersQuery,
  problems: string[],
): Promise<OrdersModel> {
  if (query.search) {
    const text = query.search;
    const [search, searchedBy] = text.includes('@')
      ? [{ email: text }, `buyer e-mail ${text}`]
      : (Providers as readonly string[]).some((provider) => text.startsWith(`${provider}:`))
        ? [{ orderKey: text }, `order key ${text}`]
        : [{ customerName: text }, `Yay customer name ${text}`];
    const found = await sources.store.searchOrders(search, PAGE_SIZE);
    return { query, searchedBy, rows: found.orders.map(rowOf), more: found.more, problems };
  }
  try {
    const page = await sources.store.listOrderPage(
      {
        fromDay: query.from,
        toDay: query.to,
        ...(query.state ? { state: query.state } : {}),
        ...(query.provider ? { provider: query.provider } : {}),
        ...(query.store ? { store: query.store } : {}),
      },
      { limit: PAGE_SIZE, ...(query.cursor ? { cursor: query.cursor } : {}) },
    );
    return { query, rows: page.orders.map(rowOf), ...(page.next ? { next: page.next } : {}), problems };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // A cursor from another filter or a mangled link: start from the first page instead.
    const { cursor: _cursor, ...first } = query;
    return ordersModel(sources, { ...first, page: 1 }, [
      ...problems,
      'that page link is not valid here; showing the first page',
    ]);
  }
}

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

/** Outcome buckets of the "orders per day" chart, in stacking order. */
export const OUTCOME_BUCKETS = [
  { key: 'fulfilled', label: 'Fulfilled', states: ['fulfilled'] },
  { key: 'in_progress', label: 'In progress', states: ['open', 'awaiting_payment'] },
  { key: 'attention', label: 'Needs attention', states: ['needs_attention'] },
  { key: 'failed', label: 'Failed', states: ['failed'] },
  { key: 'unpaid', label: 'Expired / payment failed', states: ['expired', 'payment_failed'] },
  { key: 'refunded', label: 'Refunded / closed', states: ['refunded', 'closed'] },
] as const satisfies ReadonlyArray<{ key: string; label: string; states: readonly OrderState[] }>;

export interface OverviewModel {
  days: string[];
  /** Per bucket key, orders per day (same order as `days`). */
  ordersPerDay: Record<(typeof OUTCOME_BUCKETS)[number]['key'], number[]>;
  totalOrders: number;
  /** Thousandths moved per day. */
  creditPerDay: number[];
  totalCredit: number;
  balance: { resellerBalance?: number; unavailable?: string; creditOwed: number };
}

/** The charts' days: the last 30, today included. */
export const OVERVIEW_DAYS = 30;

export async function overviewModel(sources: ConsoleSources): Promise<OverviewModel> {
  const to = dayOf(sources.now());
  const from = addDays(to, -(OVERVIEW_DAYS - 1));
  const days = Array.from({ length: OVERVIEW_DAYS }, (_, i) => addDays(from, i));
  const index = new Map(days.map((day, i) => [day, i]));
  const [orders, credit, owed, balance] = await Promise.all([
    sources.store.ordersCreated(from, to),
    sources.store.creditMoved(from, to),
    sources.store.listOwed(),
    sources.resellerBalance().then(
      (value) => ({ resellerBalance: value as number }),
      // The name only: a Yay error's message is the client's, but the page needs no more than what failed.
      (error: unknown) => ({ unavailable: error instanceof Error ? error.name : 'error' }),
    ),
  ]);
  const ordersPerDay = Object.fromEntries(
    OUTCOME_BUCKETS.map((bucket) => [bucket.key, days.map(() => 0)]),
  ) as OverviewModel['ordersPerDay'];
  for (const order of orders) {
    const i = index.get(order.createdAt.slice(0, 10));
    const bucket = OUTCOME_BUCKETS.find((b) => (b.states as readonly string[]).includes(order.state));
    if (i === undefined || !bucket) continue;
    ordersPerDay[bucket.key][i] = (ordersPerDay[bucket.key][i] ?? 0) + 1;
  }
  const creditPerDay = days.map(() => 0);
  for (const moved of credit) {
    const i = index.get(moved.movedAt.slice(0, 10));
    if (i !== undefined) creditPerDay[i] = (creditPerDay[i] ?? 0) + moved.amount;
  }
  return {
    days,
    ordersPerDay,
    totalOrders: orders.length,
    creditPerDay,
    totalCredit: creditPerDay.reduce((sum, value) => sum + value, 0),
    // The derivation as deployed is the sweep's; the console shows it as free orders owing nothing.
    balance: { ...balance, creditOwed: creditStillOwed({}, owed) },
  };
}
