/**
 * Where an item stands in the sparse indexes: the OpenOrders queues, the OwedCredit index, the ByDay keys and the
 * search lookups. Each is set in the same write that changes the item, never in a second one (README.md).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  DAY_PK,
  DAY_SK,
  type Item,
  ItemKeys,
  itemKey,
  OPEN_PK,
  OPEN_SK,
  OWED_PK,
  OWED_SK,
  PK,
  SK,
} from './item-keys';
import { TableSchema } from './schema';
import { queryAll, type Table } from './table';
import type { Update } from './update';

/**
 * The items of one queue of the sparse `OpenOrders` index in sort-key order (oldest first, but for leases); an
 * item is read again when the index does not carry it whole (`isWhole` false: a keys-only projection, which
 * infra may choose).
 */
export async function queueItems(
  table: Table,
  queue: string,
  isWhole: (item: Item) => boolean,
): Promise<Item[]> {
  const items = await queryAll(table, {
    IndexName: TableSchema.openOrdersIndex.name,
    KeyConditionExpression: '#open = :queue',
    ExpressionAttributeNames: { '#open': OPEN_PK },
    ExpressionAttributeValues: { ':queue': queue },
  });
  const out: Item[] = [];
  for (const item of items) {
    if (isWhole(item)) out.push(item);
    else {
      const again = await table.doc.send(
        new GetCommand({
          TableName: table.name,
          Key: itemKey(String(item[PK]), String(item[SK])),
          ConsistentRead: true,
        }),
      );
      if (again.Item) out.push(again.Item);
    }
  }
  return out;
}

/** The sort key of an item in a queue: oldest first, then by order. */
export function queueSortKey(since: string, orderKey: string): string {
  return `${since}#${orderKey}`;
}

/** The attributes that put a new item (a Put) into a queue of the sparse index. */
export function inQueue(queue: string, sortKey: string): Item {
  return { [OPEN_PK]: queue, [OPEN_SK]: sortKey };
}

/** Moves the item into `queue` (from whichever it was in). */
export function enterQueue(update: Update, queue: string, sortKey: string): Update {
  return update.set(OPEN_PK, queue).set(OPEN_SK, sortKey);
}

/** Puts the item into `queue` unless it is in one already (an order a person has in front of them stays there). */
export function enterQueueUnlessQueued(update: Update, queue: string, sortKey: string): Update {
  return update.setDefault(OPEN_PK, queue).setDefault(OPEN_SK, sortKey);
}

/** Takes the item out of every queue. */
export function leaveQueue(update: Update): Update {
  return update.remove(OPEN_PK, OPEN_SK);
}

/** Puts the order on the OwedCredit index unless it is there already (it keeps the time it first owed). */
export function enterOwed(update: Update, since: string, orderKey: string): Update {
  return update.setDefault(OWED_PK, ItemKeys.owed).setDefault(OWED_SK, queueSortKey(since, orderKey));
}

/** Takes the order off the OwedCredit index. */
export function leaveOwed(update: Update): Update {
  return update.remove(OWED_PK, OWED_SK);
}

/** DynamoDB's limits on an index key's value, in UTF-8 bytes: a longer one fails the whole write. */
const MAX_SORT_KEY_BYTES = 1024;
/** The longest e-mail address SMTP carries (RFC 5321); anything longer is not an address worth indexing. */
const MAX_LOOKUP_CHARS = 254;

/** The UTC day (`YYYY-MM-DD`) of an ISO-8601 time. */
export function dayOf(at: string): string {
  return at.slice(0, 10);
}

/**
 * `<time>#<orderKey>`, the ByDay sort key, cut to DynamoDB's 1 KB for a sort key: an order id is whatever the store
 * sent, and an index key past the limit would refuse the order's own write. A cut key only loses uniqueness, which an
 * index sort key does not need (pages resume on the table key as well).
 */
export function daySortKey(at: string, orderKey: string): string {
  const key = `${at}#${orderKey}`;
  if (Buffer.byteLength(key, 'utf8') <= MAX_SORT_KEY_BYTES) return key;
  return Buffer.from(key, 'utf8')
    .subarray(0, MAX_SORT_KEY_BYTES)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
}

/** The attributes that put a new order (a Put) under its creation day. */
export function onDay(day: (day: string) => string, at: string, orderKey: string): Item {
  return { [DAY_PK]: day(dayOf(at)), [DAY_SK]: daySortKey(at, orderKey) };
}

/** The value a search looks up (trimmed, lower-cased), or undefined for none or one too long to be real. */
export function lookupKey(text: string | undefined): string | undefined {
  const key = text?.trim().toLowerCase();
  return key && key.length <= MAX_LOOKUP_CHARS ? key : undefined;
}
