/**
 * Where an item sits in the one table: the key layout, the names of the attributes that place it in the indexes,
 * and `strip`, which keeps all of them from the ports' callers.
 */
import { TableSchema } from './schema';

export const PK = TableSchema.partitionKey;
export const SK = TableSchema.sortKey;
/** The OpenOrders index keys: the queue and `<since>#<orderKey>` (see indexes.ts). */
export const OPEN_PK = TableSchema.openOrdersIndex.partitionKey;
export const OPEN_SK = TableSchema.openOrdersIndex.sortKey;
/** The CustomerTransfers index key: the customer uuid, on an intent only while it is IN_FLIGHT or UNKNOWN. */
export const UNRESOLVED_FOR = TableSchema.customerTransfersIndex.partitionKey;
export const EXPIRES = TableSchema.ttlAttribute;
/** The ByDay index keys: `ORDER#<day>` / `CREDIT#<day>` and `<time>#<orderKey>`. */
export const DAY_PK = TableSchema.byDayIndex.partitionKey;
export const DAY_SK = TableSchema.byDayIndex.sortKey;
/** The OwedCredit index keys: `OWED` and `<since>#<orderKey>`, on an order only while it may owe credit. */
export const OWED_PK = TableSchema.owedIndex.partitionKey;
export const OWED_SK = TableSchema.owedIndex.sortKey;
/** The lookup keys of the console's search: the buyer's lower-cased e-mail and the order's Yay customer. */
export const BUYER_EMAIL = TableSchema.buyerEmailIndex.partitionKey;
export const ORDER_CUSTOMER = TableSchema.customerNameIndex.partitionKey;

/** A table key: `{ pk, sk }`. */
export type ItemKey = Record<string, string>;
/** An item as the document client reads it. */
export type Item = Record<string, unknown>;

/** The table key of an item. */
export function itemKey(pk: string, sk: string): ItemKey {
  return { [PK]: pk, [SK]: sk };
}

const ORDER_PREFIX = 'ORDER#';

/** Item key layout inside the single table (pk/sk names come from {@link TableSchema}). */
export const ItemKeys = {
  order: (orderKey: string) => itemKey(`${ORDER_PREFIX}${orderKey}`, 'ORDER'),
  transfer: (orderKey: string) => itemKey(`${ORDER_PREFIX}${orderKey}`, 'TRANSFER'),
  buyer: (buyerKey: string) => itemKey(`BUYER#${buyerKey}`, 'CUSTOMER'),
  lease: (resource: string) => itemKey(`LEASE#${resource}`, 'LEASE'),
  /** An e-mail marker: the welcome in its customer's partition, a receipt in its order's. */
  email: (key: string) =>
    key.startsWith('receipt:')
      ? itemKey(`${ORDER_PREFIX}${key.slice('receipt:'.length)}`, 'EMAIL#receipt')
      : itemKey(`CUSTOMER#${key.slice('welcome:'.length)}`, 'EMAIL#welcome'),
  password: (customerName: string) => itemKey(`CUSTOMER#${customerName}`, 'PASSWORD'),
  /**
   * A payment by the provider's id (`provider:store:<payment id>`): where a refund naming only its payment and the
   * order that made it meet, whichever comes first.
   */
  payment: (paymentKey: string) => itemKey(`PAYMENT#${paymentKey}`, 'PAYMENT'),
  /** The one partition of the OwedCredit index. */
  owed: 'OWED',
  /** Partitions of the sparse index: open orders, transfers whose outcome is not settled, and so on. */
  openOrders: 'ORDER',
  openTransfers: 'TRANSFER',
  attention: 'ATTENTION',
  leases: 'LEASE',
  emails: 'EMAIL',
  /** Partitions of the ByDay index: orders created on a UTC day (`YYYY-MM-DD`), credit moved on one. */
  ordersOn: (day: string) => `ORDER#${day}`,
  creditOn: (day: string) => `CREDIT#${day}`,
} as const;

/** The order key of an item in an order's partition (its `pk` is `ORDER#<orderKey>`). */
export function orderKeyOf(item: Item): string | undefined {
  const pk = item[PK];
  return typeof pk === 'string' && pk.startsWith(ORDER_PREFIX) ? pk.slice(ORDER_PREFIX.length) : undefined;
}

/** Attributes that place an item in the table and its indexes; callers never see them. */
const INTERNAL = new Set<string>([
  PK,
  SK,
  OPEN_PK,
  OPEN_SK,
  UNRESOLVED_FOR,
  EXPIRES,
  DAY_PK,
  DAY_SK,
  OWED_PK,
  OWED_SK,
  BUYER_EMAIL,
  ORDER_CUSTOMER,
  'kind',
]);

/** The item without its key and index attributes: what the ports return. */
export function strip<T>(item: Item): T {
  const out: Item = {};
  for (const [key, value] of Object.entries(item)) if (!INTERNAL.has(key)) out[key] = value;
  return out as T;
}
