import { BatchGetCommand, GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Provider } from '../domain/keys';
import { Providers } from '../domain/keys';
import type { OrderState } from '../domain/order-state';
import { lookupKey } from './indexes';
import { DAY_PK, DAY_SK, type Item, ItemKeys, PK, SK, strip } from './item-keys';
import type { OrderRecord } from './order-repository';
import { TableSchema } from './schema';
import { queryAll, scanAll, type Table } from './table';
import type { TransferIntent } from './transfer-repository';

/** An order as the ops CLI shows it: the task token replaced by whether one is stored. */
export type OrderView = Omit<OrderRecord, 'taskToken'> & { waitingForPayment: boolean };

/** What the console's Orders page filters on. Days are UTC `YYYY-MM-DD`, both inclusive. */
export interface OrderFilter {
  state?: OrderState;
  provider?: Provider;
  /** The store id of the order key (`provider:store:orderId`), exact. */
  store?: string;
  fromDay: string;
  toDay: string;
}

/** One page of orders, newest first; `next` is the cursor of the page after it, absent on the last. */
export interface OrderPage {
  orders: OrderView[];
  next?: string;
}

/** How the console's search finds orders: by key exactly, by the buyer's e-mail or the Yay customer name (any case). */
export type OrderSearch = { orderKey: string } | { email: string } | { customerName: string };

/** An order as the charts count it. */
export interface OrderDaySummary {
  orderKey: string;
  createdAt: string;
  state: OrderState;
}

/** Credit that moved to a customer: a transfer intent that became APPLIED, and when. */
export interface CreditMovement {
  orderKey: string;
  /** Thousandths of a pound. */
  amount: number;
  movedAt: string;
}

/** The read side of the ops CLI and the console. Tokens are never returned. */
export interface OrderQueries {
  /** One order with its transfer intent, or undefined. */
  getOrder(orderKey: string): Promise<(OrderView & { transfer?: TransferIntent }) | undefined>;
  /** Orders, optionally of one state, oldest first (a scan of the whole table: `ops list`). */
  listOrders(filter?: { state?: OrderState }): Promise<OrderView[]>;
  /**
   * One page of the orders created between two UTC days, newest first, through the ByDay index: a query per day
   * read, never a scan. `cursor` is a page's `next`; a cursor this store did not make is a RangeError.
   */
  listOrderPage(filter: OrderFilter, page: { limit: number; cursor?: string }): Promise<OrderPage>;
  /**
   * Orders found by key (one GetItem), or by buyer e-mail or Yay customer name (a keys-only index, then the
   * items), newest first, at most `limit`; `more` when there are others.
   */
  searchOrders(search: OrderSearch, limit: number): Promise<{ orders: OrderView[]; more: boolean }>;
  /** Every order created between two UTC days (key, time, state), oldest first: the console's charts. */
  ordersCreated(fromDay: string, toDay: string): Promise<OrderDaySummary[]>;
  /** Every transfer whose credit moved between two UTC days, oldest first. */
  creditMoved(fromDay: string, toDay: string): Promise<CreditMovement[]>;
}

function toView(order: OrderRecord): OrderView {
  const { taskToken, ...rest } = order;
  return { ...rest, waitingForPayment: taskToken !== undefined };
}

/** Days read at once at most: an empty day still costs its query, and most days of a filtered page are empty. */
const DAYS_AT_ONCE = 8;
/** Items one query of a filtered page evaluates: the filter applies after DynamoDB's `Limit`. */
const FILTERED_READ = 200;
/** BatchGetItem takes 100 keys a call. */
const BATCH_GET = 100;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC days from `toDay` back to `fromDay`, newest first; a RangeError for a day that is not `YYYY-MM-DD`. */
function daysBack(fromDay: string, toDay: string): string[] {
  const from = parseDay(fromDay);
  const days: string[] = [];
  for (let at = parseDay(toDay); at >= from; at -= 86_400_000) {
    days.push(new Date(at).toISOString().slice(0, 10));
  }
  return days;
}

function parseDay(day: string): number {
  const at = DAY.test(day) ? Date.parse(`${day}T00:00:00.000Z`) : Number.NaN;
  if (Number.isNaN(at)) throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
  return at;
}

/** `fn` over `items`, at most `width` at a time, results in the order of `items`. */
async function inBatches<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  }
  return out;
}

/** Where a page resumes: the day, and the ByDay key of the last order the page before showed. */
interface Cursor {
  day: string;
  key: Item;
}

const CURSOR_KEYS = [PK, SK, DAY_PK, DAY_SK];

function encodeCursor(item: Item): string {
  const key = Object.fromEntries(CURSOR_KEYS.map((name) => [name, item[name]]));
  const day = String(item[DAY_PK]).slice('ORDER#'.length);
  return Buffer.from(JSON.stringify({ day, key }), 'utf8').toString('base64url');
}

function decodeCursor(text: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const cursor = parsed as Partial<Cursor> | undefined;
  const key = cursor?.key as Item | undefined;
  const valid =
    typeof cursor?.day === 'string' &&
    DAY.test(cursor.day) &&
    key !== undefined &&
    typeof key === 'object' &&
    Object.keys(key).length === CURSOR_KEYS.length &&
    CURSOR_KEYS.every((name) => typeof key[name] === 'string') &&
    key[DAY_PK] === ItemKeys.ordersOn(cursor.day);
  if (!valid) throw new RangeError('not a page cursor of this store');
  return cursor as Cursor;
}

/** The filter of a page as a FilterExpression: state exactly; provider and store as the order key's prefix. */
function pageFilter(filter: OrderFilter): Pick<
  QueryCommandInput,
  'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
> & {
  filtered: boolean;
} {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (filter.state) {
    names['#state'] = 'state';
    values[':state'] = filter.state;
    parts.push('#state = :state');
  }
  const store = filter.store?.trim();
  const prefixes = filter.provider
    ? [store ? `${filter.provider}:${store}:` : `${filter.provider}:`]
    : store
      ? Providers.map((provider) => `${provider}:${store}:`)
      : [];
  if (prefixes.length > 0) {
    names['#orderKey'] = 'orderKey';
    const tests = prefixes.map((prefix, i) => {
      values[`:prefix${i}`] = prefix;
      return `begins_with(#orderKey, :prefix${i})`;
    });
    parts.push(`(${tests.join(' OR ')})`);
  }
  if (parts.length === 0) return { filtered: false };
  return {
    filtered: true,
    FilterExpression: parts.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The read side of the ops CLI and the console: orders as people see them, task tokens never included. */
export function orderQueries(table: Table): OrderQueries {
  /** One query of one day of the ByDay index, newest first. */
  async function dayPage(
    partition: string,
    input: Partial<QueryCommandInput>,
  ): Promise<{ items: Item[]; last?: Item }> {
    const out = await table.doc.send(
      new QueryCommand({
        ...input,
        TableName: table.name,
        IndexName: TableSchema.byDayIndex.name,
        KeyConditionExpression: '#day = :day',
        ExpressionAttributeNames: { ...input.ExpressionAttributeNames, '#day': DAY_PK },
        ExpressionAttributeValues: { ...input.ExpressionAttributeValues, ':day': partition },
      }),
    );
    return { items: out.Items ?? [], ...(out.LastEvaluatedKey ? { last: out.LastEvaluatedKey } : {}) };
  }

  /** Every item of the given days' partitions, oldest first, with only `attributes`. */
  async function wholeDays(partitions: string[], attributes: string[]): Promise<Item[]> {
    const names = Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name]));
    const perDay = await inBatches(partitions, DAYS_AT_ONCE, (partition) =>
      queryAll(table, {
        IndexName: TableSchema.byDayIndex.name,
        KeyConditionExpression: '#day = :day',
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: { ...names, '#day': DAY_PK },
        ExpressionAttributeValues: { ':day': partition },
      }),
    );
    return perDay.reverse().flat();
  }

  /** The order items of `keys` (table keys), in that order; those gone since the index was read are left out. */
  async function ordersAt(keys: Item[]): Promise<OrderRecord[]> {
    const found = new Map<string, Item>();
    for (let i = 0; i < keys.length; i += BATCH_GET) {
      let pending: Item[] = keys.slice(i, i + BATCH_GET).map((key) => ({ [PK]: key[PK], [SK]: key[SK] }));
      // DynamoDB may leave keys unprocessed under load; ask again for those, a bounded number of times.
      for (let attempt = 0; pending.length > 0 && attempt < 5; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
        const out = await table.doc.send(
          new BatchGetCommand({ RequestItems: { [table.name]: { Keys: pending } } }),
        );
        for (const item of out.Responses?.[table.name] ?? []) found.set(String(item[PK]), item);
        pending = (out.UnprocessedKeys?.[table.name]?.Keys ?? []) as Item[];
      }
      if (pending.length > 0) throw new Error(`${pending.length} order(s) could not be read; try again`);
    }
    return keys.flatMap((key) => {
      const item = found.get(String(key[PK]));
      return item ? [strip<OrderRecord>(item)] : [];
    });
  }

  return {
    async getOrder(orderKey) {
      // The order and its transfer intent share the order's partition: one query reads both.
      const orderItem = ItemKeys.order(orderKey);
      const items = await queryAll(table, {
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK },
        ExpressionAttributeValues: { ':pk': orderItem[PK] },
        ConsistentRead: true,
      });
      const order = items.find((item) => item[SK] === orderItem[SK]);
      if (!order) return undefined;
      const transfer = items.find((item) => item[SK] === ItemKeys.transfer(orderKey)[SK]);
      return {
        ...toView(strip<OrderRecord>(order)),
        ...(transfer ? { transfer: strip<TransferIntent>(transfer) } : {}),
      };
    },

    async listOrders(filter?: { state?: OrderState }) {
      // A scan, not the open index: the operator must also see stubs (a payment event for an order not
      // seen yet), which are open but not in the index because nothing can run for them.
      const items = await scanAll(table, {
        FilterExpression: filter?.state ? '#sk = :sk AND #state = :state' : '#sk = :sk',
        ExpressionAttributeNames: { '#sk': SK, ...(filter?.state ? { '#state': 'state' } : {}) },
        ExpressionAttributeValues: {
          ':sk': ItemKeys.order('')[SK],
          ...(filter?.state ? { ':state': filter.state } : {}),
        },
      });
      const orders = items.map((item) => strip<OrderRecord>(item));
      return orders.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(toView);
    },

    async listOrderPage(filter, page) {
      const limit = page.limit;
      if (!Number.isSafeInteger(limit) || limit < 1)
        throw new RangeError(`page limit ${limit} is not positive`);
      const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
      if (cursor && (cursor.day > filter.toDay || cursor.day < filter.fromDay)) {
        throw new RangeError('the page cursor is outside the days asked for');
      }
      const days = daysBack(filter.fromDay, cursor?.day ?? filter.toDay);
      const { filtered, ...expression } = pageFilter(filter);
      // One more than the page, to know whether a next page exists.
      const found: Item[] = [];
      const wanted = limit + 1;
      const read = (partition: string, start: Item | undefined) =>
        dayPage(partition, {
          ...expression,
          ScanIndexForward: false,
          Limit: filtered ? Math.max(FILTERED_READ, wanted - found.length) : wanted - found.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        });
      // One day first (a busy day fills a page alone), then twice as many at a time, up to DAYS_AT_ONCE.
      for (
        let i = 0, width = 1;
        i < days.length && found.length < wanted;
        i += width, width = Math.min(width * 2, DAYS_AT_ONCE)
      ) {
        const batch = days.slice(i, i + width).map((day) => ItemKeys.ordersOn(day));
        // The first query of each day of the batch at once; a day with more than that is read on in order.
        const firsts = await Promise.all(
          batch.map((partition, j) => read(partition, i + j === 0 ? cursor?.key : undefined)),
        );
        for (const [j, partition] of batch.entries()) {
          let result = firsts[j] as Awaited<ReturnType<typeof read>>;
          found.push(...result.items);
          while (found.length < wanted && result.last) {
            result = await read(partition, result.last);
            found.push(...result.items);
          }
          if (found.length >= wanted) break;
        }
      }
      const shown = found.slice(0, limit);
      const last = shown.at(-1);
      return {
        orders: shown.map((item) => toView(strip<OrderRecord>(item))),
        ...(found.length > limit && last ? { next: encodeCursor(last) } : {}),
      };
    },

    async searchOrders(search, limit) {
      if ('orderKey' in search) {
        const out = await table.doc.send(
          new GetCommand({ TableName: table.name, Key: ItemKeys.order(search.orderKey.trim()) }),
        );
        return { orders: out.Item ? [toView(strip<OrderRecord>(out.Item))] : [], more: false };
      }
      const [index, value] =
        'email' in search
          ? [TableSchema.buyerEmailIndex, lookupKey(search.email)]
          : [TableSchema.customerNameIndex, lookupKey(search.customerName)];
      if (!value) return { orders: [], more: false };
      const out = await table.doc.send(
        new QueryCommand({
          TableName: table.name,
          IndexName: index.name,
          KeyConditionExpression: '#key = :key',
          ExpressionAttributeNames: { '#key': index.partitionKey },
          ExpressionAttributeValues: { ':key': value },
          ScanIndexForward: false,
          Limit: limit + 1,
        }),
      );
      const keys = out.Items ?? [];
      const orders = await ordersAt(keys.slice(0, limit));
      return { orders: orders.map(toView), more: keys.length > limit };
    },

    async ordersCreated(fromDay, toDay) {
      const partitions = daysBack(fromDay, toDay).map((day) => ItemKeys.ordersOn(day));
      const items = await wholeDays(partitions, ['orderKey', 'createdAt', 'state']);
      return items.map((item) => ({
        orderKey: String(item.orderKey),
        createdAt: String(item.createdAt),
        state: item.state as OrderState,
      })) satisfies OrderDaySummary[];
    },

    async creditMoved(fromDay, toDay) {
      const partitions = daysBack(fromDay, toDay).map((day) => ItemKeys.creditOn(day));
      const items = await wholeDays(partitions, ['orderKey', 'amount', DAY_SK]);
      return items.map((item) => ({
        orderKey: String(item.orderKey),
        amount: Number(item.amount),
        // The sort key is `<time it moved>#<orderKey>`.
        movedAt: String(item[DAY_SK]).split('#')[0] as string,
      })) satisfies CreditMovement[];
    },
  };
}
