/**
 * The Orders page's model: the query its URL asks, and one page of orders newest first.
 *
 * Built from the console's sources: a plain view model with the fields the page shows and no others. A record
 * never reaches a page whole, so a field added to the table later (a token, a sealed password) is not shown by
 * accident.
 */
import { type Provider, Providers } from '../../shared/domain/keys';
import { OrderStates } from '../../shared/domain/order-state';
import type { OrderRecord, OrderState, OrderView } from '../../shared/store';
import { creditText } from '../actions';
import type { ConsoleSources } from '../sources';

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

export function rowOf(order: OrderView | OrderRecord): OrderRow {
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

export const dayOf = (date: Date) => date.toISOString().slice(0, 10);

export const addDays = (day: string, days: number) =>
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
