import { describe, expect, it } from 'vitest';
import {
  billedMs,
  dollars,
  eventChunks,
  eventEntryBytes,
  formatUsd,
  gbSeconds,
  httpApiRequests,
  type IndexShape,
  indexWriteUnits,
  itemBytes,
  per1000,
  readUnits,
  writeUnits,
} from '../../../tools/bench/cost-model';
import { PriceTable } from '../../../tools/bench/prices-eu-west-2';

const KEYS = ['pk', 'sk'];
const ALL: IndexShape = { name: 'OpenOrders', partitionKey: 'openPk', sortKey: 'openSk', projection: 'ALL' };
const KEYS_ONLY: IndexShape = { name: 'PaymentRefs', partitionKey: 'paymentRef', projection: 'KEYS_ONLY' };

describe('cost arithmetic', () => {
  it('multiplies a count by its price per unit', () => {
    // 9 transitions an order, 1,000 orders, $0.025 per 1,000 transitions.
    expect(dollars(9_000, PriceTable.prices.stateTransition)).toBeCloseTo(0.225, 10);
    // Measured over 300 orders, priced per 1,000.
    expect(per1000(2_700, 300, PriceTable.prices.stateTransition)).toBeCloseTo(0.225, 10);
    expect(dollars(1_000_000, { usd: 0.2, per: 1_000_000 })).toBe(0.2);
  });

  it('bills Lambda duration rounded up to the millisecond, at least one, in GB-seconds of 1,024 MB', () => {
    expect(billedMs(12)).toBe(12);
    expect(billedMs(12.01)).toBe(13);
    expect(billedMs(0.2)).toBe(1);
    expect(gbSeconds(1_000, 512)).toBe(0.5);
    expect(gbSeconds(billedMs(99.1), 1024)).toBeCloseTo(0.1, 10);
  });

  it('sizes items as DynamoDB does: names and values in UTF-8, numbers by significant digits, maps and lists with overhead', () => {
    expect(itemBytes({ pk: 'ab' })).toBe(4);
    expect(itemBytes({ n: 12345 })).toBe(1 + 1 + 3);
    expect(itemBytes({ n: 1200 })).toBe(1 + 1 + 1);
    expect(itemBytes({ s: 'é' })).toBe(1 + 2);
    expect(itemBytes({ b: true, z: null })).toBe(2 + 2);
    expect(itemBytes({ m: { a: 'x' } })).toBe(1 + 3 + 1 + 1 + 1);
    expect(itemBytes({ l: ['x', 'yy'] })).toBe(1 + 3 + 2 + 3);
    expect(itemBytes({ gone: undefined })).toBe(0);
  });

  it('rounds write units up per KB and read units per 4 KB, halving eventually consistent reads', () => {
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(readUnits(4096, true)).toBe(1);
    expect(readUnits(4097, true)).toBe(2);
    expect(readUnits(4096, false)).toBe(0.5);
    // A query sums its items before rounding: two 3,000-byte items are 2 units consistent, not 2 × 1.
    expect(readUnits(6_000, true)).toBe(2);
    expect(readUnits(6_000, false)).toBe(1);
  });

  it('charges index writes as DynamoDB does: entering, leaving, a key change twice, a projected change once', () => {
    const order = { pk: 'ORDER#1', sk: 'ORDER', state: 'open' };
    const queued = { ...order, openPk: 'ORDER', openSk: '2026-12-01#1' };
    expect(indexWriteUnits(ALL, undefined, order, KEYS)).toBe(0);
    expect(indexWriteUnits(ALL, undefined, queued, KEYS)).toBe(1);
    expect(indexWriteUnits(ALL, queued, order, KEYS)).toBe(1);
    expect(indexWriteUnits(ALL, queued, { ...queued, openSk: '2026-12-02#1' }, KEYS)).toBe(2);
    expect(indexWriteUnits(ALL, queued, { ...queued, state: 'paid' }, KEYS)).toBe(1);
    expect(indexWriteUnits(ALL, queued, { ...queued }, KEYS)).toBe(0);
    // Keys only: a change to an attribute it does not project costs the index nothing.
    const ref = { ...order, paymentRef: 'stripe:default:pi_1' };
    expect(indexWriteUnits(KEYS_ONLY, ref, { ...ref, state: 'paid' }, KEYS)).toBe(0);
    // Sized by the entry: a 1.5 KB item entering an ALL index is two units.
    expect(indexWriteUnits(ALL, undefined, { ...queued, big: 'x'.repeat(1500) }, KEYS)).toBe(2);
  });

  it('meters PutEvents entries by their UTF-8 parts and 64 KB chunks, HTTP API requests by 512 KB', () => {
    expect(eventEntryBytes({ Source: 'a', DetailType: 'bb', Detail: '{}' })).toBe(5);
    expect(
      eventEntryBytes({ Source: 'a', DetailType: 'bb', Detail: '{}', Time: new Date(), Resources: ['r'] }),
    ).toBe(5 + 14 + 1);
    expect(eventChunks(65_536)).toBe(1);
    expect(eventChunks(65_537)).toBe(2);
    expect(httpApiRequests(512 * 1024)).toBe(1);
    expect(httpApiRequests(512 * 1024 + 1)).toBe(2);
  });

  it('prints dollars to four places, and what rounds to nothing as below the last place', () => {
    expect(formatUsd(0.225)).toBe('$0.2250');
    expect(formatUsd(0.00001)).toBe('<$0.0001');
    expect(formatUsd(0)).toBe('$0.0000');
    expect(formatUsd(40.15, 2)).toBe('$40.15');
  });

  it('keeps every price dated, sourced and marked confirmed or not', () => {
    expect(PriceTable.region).toBe('eu-west-2');
    for (const entry of Object.values(PriceTable.prices)) {
      expect(entry.usd).toBeGreaterThan(0);
      expect(entry.source).toMatch(/https:\/\//);
      expect(entry.confirmed === true || /^(not )?confirmed/.test(entry.confirmed)).toBe(true);
    }
  });
});
