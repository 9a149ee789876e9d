/**
 * The arithmetic of the cost benchmark (tools/bench/cost.ts), apart from the measuring so a unit test can hold it
 * (test/tools/bench/cost-model.test.ts): how AWS turns what was counted into billed units, and units into dollars.
 * Each rule names the AWS rule it follows.
 */
import type { Price } from './prices-eu-west-2';

const KB = 1024;

/** Dollars for `count` units at `price` (`usd` per `per` units). */
export function dollars(count: number, price: Pick<Price, 'usd' | 'per'>): number {
  return (count * price.usd) / price.per;
}

/** Lambda bills duration rounded up to the next millisecond (the REPORT line's "Billed Duration"). */
export function billedMs(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs));
}

/** GB-seconds of `ms` billed milliseconds at `memoryMb` (Lambda's GB is 1,024 MB). */
export function gbSeconds(ms: number, memoryMb: number): number {
  return (ms / 1000) * (memoryMb / 1024);
}

/** UTF-8 bytes of a string: DynamoDB, EventBridge and CloudWatch Logs all size text in UTF-8. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Significant digits of a number as DynamoDB stores it (leading and trailing zeros trimmed). */
function significantDigits(value: number | bigint | string): number {
  const digits = String(value)
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.max(1, digits.length);
}

/**
 * The size DynamoDB bills an attribute value at (Developer Guide, "Item sizes and formats"): strings and binaries
 * by their bytes, a number at about one byte per two significant digits plus one, booleans and nulls one byte, a
 * list or map three bytes plus one per element plus its elements (a map's keys too), a set its elements.
 */
export function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number' || typeof value === 'bigint')
    return 1 + Math.ceil(significantDigits(value) / 2);
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, item) => sum + valueBytes(item), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, item) => sum + 1 + valueBytes(item), 0);
  if (typeof value === 'object') {
    // The document client's NumberValue (a number kept as its text) has `value`; anything else is a map.
    const wrapped = value as { value?: unknown };
    if (
      typeof wrapped.value === 'string' &&
      Object.keys(value).length === 1 &&
      /^-?[\d.eE+-]+$/.test(wrapped.value)
    )
      return 1 + Math.ceil(significantDigits(wrapped.value) / 2);
    return (
      3 + Object.entries(value).reduce((sum, [key, item]) => sum + 1 + utf8Bytes(key) + valueBytes(item), 0)
    );
  }
  return utf8Bytes(String(value));
}

/** An item's size: the sum over its attributes of the name's bytes and the value's. */
export function itemBytes(item: Readonly<Record<string, unknown>>): number {
  let sum = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    sum += utf8Bytes(name) + valueBytes(value);
  }
  return sum;
}

/** Write request units of writing (or deleting) an item of `bytes`: one per KB, rounded up, at least one. */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / KB));
}

/**
 * Read request units of reading `bytes` (one item, or the sum of a query's items): one per 4 KB rounded up, at least
 * one; half for an eventually consistent read.
 */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / (4 * KB)));
  return consistent ? units : units / 2;
}

/** A global secondary index as billing sees it: its keys and what it projects. */
export interface IndexShape {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  readonly nonKeyAttributes?: readonly string[];
}

type Item = Readonly<Record<string, unknown>>;

function inIndex(index: IndexShape, item: Item | undefined): item is Item {
  return (
    item !== undefined &&
    item[index.partitionKey] !== undefined &&
    (index.sortKey === undefined || item[index.sortKey] !== undefined)
  );
}

/** The index entry DynamoDB keeps for an item: the table's keys, the index's, and the projected attributes. */
function indexEntry(index: IndexShape, item: Item, tableKeys: readonly string[]): Item {
  if (index.projection === 'ALL') return item;
  const keep = new Set([...tableKeys, index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])]);
  if (index.projection === 'INCLUDE') for (const name of index.nonKeyAttributes ?? []) keep.add(name);
  return Object.fromEntries(Object.entries(item).filter(([name]) => keep.has(name)));
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, replacer) === JSON.stringify(b, replacer);
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Set) return [...value].sort();
  if (value && typeof value === 'object' && !Array.isArray(value))
    return Object.fromEntries(Object.entries(value).sort(([x], [y]) => (x < y ? -1 : 1)));
  return value;
}

/**
 * The write units a table write costs in one global secondary index, by the Developer Guide's rules ("Provisioned
 * throughput considerations for Global Secondary Indexes"): an item entering the index is one write of its entry,
 * one leaving it one write (a delete of the old entry), one whose index key changes two (delete and put), one whose
 * projected attributes change one; nothing when the entry is unchanged or the item is in the index neither before
 * nor after. Each write is sized by its entry, one unit per KB.
 */
export function indexWriteUnits(
  index: IndexShape,
  before: Item | undefined,
  after: Item | undefined,
  tableKeys: readonly string[],
): number {
  const was = inIndex(index, before);
  const is = inIndex(index, after);
  if (!was && !is) return 0;
  if (was && !is) return writeUnits(itemBytes(indexEntry(index, before, tableKeys)));
  if (!was && is) return writeUnits(itemBytes(indexEntry(index, after, tableKeys)));
  const old = indexEntry(index, before as Item, tableKeys);
  const now = indexEntry(index, after as Item, tableKeys);
  const keys = [index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])];
  if (keys.some((key) => !sameValue(old[key], now[key])))
    return writeUnits(itemBytes(old)) + writeUnits(itemBytes(now));
  return sameValue(old, now) ? 0 : writeUnits(itemBytes(now));
}

/** One PutEvents entry as the SDK sends it. */
export interface EventEntry {
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
  readonly Resources?: unknown;
  readonly Time?: unknown;
}

/**
 * An entry's size as EventBridge meters it ("Calculating PutEvents event entry size"): 14 bytes for a Time, plus the
 * UTF-8 bytes of Source, DetailType, Detail and each Resource.
 */
export function eventEntryBytes(entry: EventEntry): number {
  const text = (value: unknown) => (typeof value === 'string' ? utf8Bytes(value) : 0);
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time === undefined ? 0 : 14) +
    text(entry.Source) +
    text(entry.DetailType) +
    text(entry.Detail) +
    resources.reduce((sum: number, resource) => sum + text(resource), 0)
  );
}

/** Billed events of one entry: each 64 KB chunk is one event. */
export function eventChunks(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (64 * KB)));
}

/** HTTP API requests are metered in 512 KB increments. */
export function httpApiRequests(bodyBytes: number): number {
  return Math.max(1, Math.ceil(bodyBytes / (512 * KB)));
}

/** Dollars per 1,000 orders of `count` units measured over `orders` orders. */
export function per1000(count: number, orders: number, price: Pick<Price, 'usd' | 'per'>): number {
  return dollars((count * 1000) / orders, price);
}

/** `$0.0123` (four decimals; `<$0.0001` above zero and below that) for the tables. */
export function formatUsd(value: number, decimals = 4): string {
  if (value > 0 && value < 10 ** -decimals) return `<$${(10 ** -decimals).toFixed(decimals)}`;
  return `$${value.toFixed(decimals)}`;
}
