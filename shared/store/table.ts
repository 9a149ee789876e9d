/**
 * The single table as every repository sees it: the document client, the key layout, the queue attributes of
 * the sparse `OpenOrders` index, one builder for update expressions, and conditional writes whose failed
 * condition is an answer (with the item as it stood) rather than an error.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  type ScanCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { countConsumedCapacity } from './consumed-capacity';
import { TableSchema } from './schema';

export const PK = TableSchema.partitionKey;
export const SK = TableSchema.sortKey;
const OPEN_PK = TableSchema.openOrdersIndex.partitionKey;
const OPEN_SK = TableSchema.openOrdersIndex.sortKey;
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

function itemKey(pk: string, sk: string): ItemKey {
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

/**
 * Builds the document client the way every handler does: undefined fields are dropped, not rejected, and every
 * call asks DynamoDB for the units it consumed (free; counted in ./consumed-capacity.ts).
 */
export function documentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  countConsumedCapacity(client);
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** A failed condition, whichever copy of the SDK threw it. */
export function isConditionFailure(
  error: unknown,
): error is Error & { Item?: Record<string, AttributeValue> } {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

/** The one table, as the repositories share it. */
export interface Table {
  readonly doc: DynamoDBDocumentClient;
  readonly name: string;
  /** Items per page of a paged read (DynamoDB's `Limit`); undefined: DynamoDB's own 1 MB pages. */
  readonly pageSize?: number;
}

export interface TableOptions {
  tableName: string;
  /** Defaults to a new client; `AWS_ENDPOINT_URL_DYNAMODB` is honoured by the SDK (local mode, dynalite). */
  client?: DynamoDBClient;
  /** Items per page when a read follows `LastEvaluatedKey` (tests make it small to prove the paging). */
  pageSize?: number;
}

export function openTable(options: TableOptions): Table {
  return { doc: documentClient(options.client), name: options.tableName, pageSize: options.pageSize };
}

/** Strongly consistent read of one item, stripped. */
export async function getItem<T>(table: Table, key: ItemKey): Promise<T | undefined> {
  const out = await table.doc.send(new GetCommand({ TableName: table.name, Key: key, ConsistentRead: true }));
  return out.Item ? strip<T>(out.Item) : undefined;
}

type PagedInput<T> = Omit<T, 'TableName' | 'ExclusiveStartKey' | 'Limit'>;

/** Every item of a query, page after page (the SDK's paginator follows `LastEvaluatedKey`). */
export async function queryAll(table: Table, input: PagedInput<QueryCommandInput>): Promise<Item[]> {
  const items: Item[] = [];
  const pages = paginateQuery(
    { client: table.doc, pageSize: table.pageSize },
    { ...input, TableName: table.name },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

/** Every item of a scan, page after page. */
export async function scanAll(table: Table, input: PagedInput<ScanCommandInput>): Promise<Item[]> {
  const items: Item[] = [];
  const pages = paginateScan(
    { client: table.doc, pageSize: table.pageSize },
    { ...input, TableName: table.name },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

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

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * One UpdateExpression with its placeholders: every attribute name is `#name`, every value a fresh `:vN`, so
 * a method says what it sets and never keeps the two maps in step by hand. Conditions use {@link name} and
 * {@link value} of the same builder.
 */
export class Update {
  readonly #names: Record<string, string> = {};
  readonly #values: Record<string, unknown> = {};
  readonly #sets: string[] = [];
  readonly #removes: string[] = [];
  #next = 0;

  /** The placeholder of an attribute name (`#state`). */
  name(attribute: string): string {
    if (!NAME.test(attribute)) throw new Error(`not a plain attribute name: ${attribute}`);
    this.#names[`#${attribute}`] = attribute;
    return `#${attribute}`;
  }

  /** A placeholder bound to `value`. */
  value(value: unknown): string {
    const placeholder = `:v${this.#next++}`;
    this.#values[placeholder] = value;
    return placeholder;
  }

  set(attribute: string, value: unknown): this {
    this.#sets.push(`${this.name(attribute)} = ${this.value(value)}`);
    return this;
  }

  /** Sets the attribute only where the item has none (`if_not_exists`): a default, never an overwrite. */
  setDefault(attribute: string, value: unknown): this {
    const name = this.name(attribute);
    this.#sets.push(`${name} = if_not_exists(${name}, ${this.value(value)})`);
    return this;
  }

  /** Sets the attribute to another one's value as the item stands before this update. */
  copy(attribute: string, from: string): this {
    this.#sets.push(`${this.name(attribute)} = ${this.name(from)}`);
    return this;
  }

  /** Appends to a list attribute, creating the list when absent. */
  append(attribute: string, items: readonly unknown[]): this {
    const name = this.name(attribute);
    this.#sets.push(`${name} = list_append(if_not_exists(${name}, ${this.value([])}), ${this.value(items)})`);
    return this;
  }

  /** Adds `by` to a number attribute, from 0 when absent. */
  increment(attribute: string, by = 1): this {
    const name = this.name(attribute);
    this.#sets.push(`${name} = if_not_exists(${name}, ${this.value(0)}) + ${this.value(by)}`);
    return this;
  }

  remove(...attributes: string[]): this {
    for (const attribute of attributes) {
      const name = this.name(attribute);
      if (!this.#removes.includes(name)) this.#removes.push(name);
    }
    return this;
  }

  /** The UpdateCommand fields (DynamoDB rejects an empty value map, so none is sent then). */
  input(): Pick<
    UpdateCommandInput,
    'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
  > {
    const clauses = [
      ...(this.#sets.length ? [`SET ${this.#sets.join(', ')}`] : []),
      ...(this.#removes.length ? [`REMOVE ${this.#removes.join(', ')}`] : []),
    ];
    return {
      UpdateExpression: clauses.join(' '),
      ExpressionAttributeNames: { ...this.#names },
      ...(this.#next > 0 ? { ExpressionAttributeValues: { ...this.#values } } : {}),
    };
  }
}

/**
 * What a conditional write came to. On a failed condition, `current()` is the item as it stood: DynamoDB
 * returns it in the ConditionalCheckFailedException when asked (`ReturnValuesOnConditionCheckFailure:
 * 'ALL_OLD'`), which saves a read; dynalite does not (pinned in test/shared/store/dynamo-store.test.ts), and
 * neither does DynamoDB when there was no item, so then `current()` reads it (consistently). Callers that do
 * not need the item never call it and pay nothing.
 */
export type Written<T> =
  | { readonly applied: true; readonly item: T }
  | { readonly applied: false; current(): Promise<T | undefined> };

async function attempt<T>(table: Table, key: ItemKey, write: () => Promise<T>): Promise<Written<T>> {
  try {
    return { applied: true, item: await write() };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const returned = error.Item;
    return {
      applied: false,
      // DynamoDB's item (marshalled: the document client unmarshalls outputs, not errors), else a re-read.
      current: async () => (returned ? strip<T>(unmarshall(returned)) : getItem<T>(table, key)),
    };
  }
}

/** A plain condition for a put or a delete. */
export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** The condition of a put that creates an item and never overwrites one. */
export const ABSENT: Condition = { expression: 'attribute_not_exists(#pk)', names: { '#pk': PK } };

/** Puts `item` if `condition` holds; `item` comes back stripped. */
export function tryPut<T>(table: Table, item: Item, condition: Condition = ABSENT): Promise<Written<T>> {
  const key = itemKey(String(item[PK]), String(item[SK]));
  return attempt(table, key, async () => {
    await table.doc.send(
      new PutCommand({
        TableName: table.name,
        Item: item,
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: condition.values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return strip<T>(item);
  });
}

/** Applies `update` if `condition` holds; the item comes back as it is afterwards. */
export function tryUpdate<T>(
  table: Table,
  key: ItemKey,
  changes: Update,
  condition: string,
): Promise<Written<T>> {
  return attempt(table, key, async () => {
    const out = await table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: key,
        ...changes.input(),
        ConditionExpression: condition,
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return strip<T>(out.Attributes ?? {});
  });
}

/**
 * Applies `update`, creating the item when absent, and returns it as it is afterwards. With a `condition`, a
 * failure is an error (DynamoDB's ConditionalCheckFailedException): for writes that need the item to exist.
 */
export async function updateItem<T>(
  table: Table,
  key: ItemKey,
  changes: Update,
  condition?: string,
): Promise<T> {
  const out = await table.doc.send(
    new UpdateCommand({
      TableName: table.name,
      Key: key,
      ...changes.input(),
      ...(condition ? { ConditionExpression: condition } : {}),
      ReturnValues: 'ALL_NEW',
    }),
  );
  return strip<T>(out.Attributes ?? {});
}

/** Deletes the item if `condition` holds; false when it did not. */
export async function tryDelete(table: Table, key: ItemKey, condition: Condition): Promise<boolean> {
  const deleted = await attempt(table, key, async () => {
    await table.doc.send(
      new DeleteCommand({
        TableName: table.name,
        Key: key,
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: condition.values,
      }),
    );
  });
  return deleted.applied;
}

/** The item a failed condition found, which only a delete in between can have made disappear. */
export function mustExist<T>(item: T | undefined, what: string): T {
  if (!item) throw new Error(`${what} disappeared during a conditional write`);
  return item;
}
