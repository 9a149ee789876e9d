import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBalanceHistory } from '../../../shared/yay/balance-history';

const PUBLISHED = join(import.meta.dirname, '../../fixtures/yay/published');
const published = (file: string) =>
  JSON.parse(readFileSync(join(PUBLISHED, file), 'utf8')) as { result: unknown };

// Every entry below is hand-written: the reference publishes no history entry with fields (its example is `[{}]`).
describe('readBalanceHistory', () => {
  it('reads signed changes, balances and instants, oldest first, whatever order Yay lists them in', () => {
    const reading = readBalanceHistory([
      { uuid: 'e3', amount: -12.5, balance: -2.5, created_on: '2026-12-06T10:02:00Z' },
      { uuid: 'e1', amount: '0.000', balance: '0.000', created_on: '2026-12-06T09:00:00.5+01:00' },
      { uuid: 'e2', amount: '10.000', balance: '10.000', created_on: '2026-12-06 10:01:00.123456Z' },
    ]);
    expect(reading).toEqual({
      kind: 'ledger',
      entries: [
        { change: 0, balance: 0, at: '2026-12-06T08:00:00.500Z' },
        { change: 10_000, balance: 10_000, at: '2026-12-06T10:01:00.123Z' },
        { change: -12_500, balance: -2_500, at: '2026-12-06T10:02:00.000Z' },
      ],
    });
  });

  it('reads an empty array as a ledger with no movement', () => {
    expect(readBalanceHistory([])).toEqual({ kind: 'ledger', entries: [] });
  });

  it('reads entries without a balance, and equal values under two names of one meaning', () => {
    expect(
      readBalanceHistory([
        { amount: 5, change: '5.000', created_at: '2026-12-06T10:00:00Z', at: '2026-12-06T10:00:00.000Z' },
      ]),
    ).toEqual({ kind: 'ledger', entries: [{ change: 5_000, at: '2026-12-06T10:00:00.000Z' }] });
  });

  it('says an answer that is not an array is no history at all, so another path may be tried', () => {
    expect(readBalanceHistory({ balance: 10 })).toMatchObject({ kind: 'notHistory' });
    expect(readBalanceHistory(undefined)).toMatchObject({ kind: 'notHistory' });
  });

  it("finds the reference's own example, one entry with no fields, unreadable", () => {
    const reading = readBalanceHistory(published('sub-reseller-balance-history-200.json').result);
    expect(reading).toEqual({
      kind: 'unreadable',
      reason: 'entry 0 has no change field (amount, change)',
      fields: [],
    });
  });

  const at = '2026-12-06T10:00:00Z';
  it.each([
    ['an entry that is not an object', [5], /entry 0 is not an object/],
    ['no time', [{ amount: 5 }], /entry 0 has no time field/],
    [
      'a date without a time',
      [{ amount: 5, created_on: '2026-12-06' }],
      /time field "created_on" cannot be read/,
    ],
    ['a time without a zone', [{ amount: 5, created_on: '2026-12-06 10:00:00' }], /time field "created_on"/],
    ['a day that does not exist', [{ amount: 5, created_on: '2026-02-30T10:00:00Z' }], /time field/],
    ['an hour that does not exist', [{ amount: 5, created_on: '2026-12-06T24:00:00Z' }], /time field/],
    ['an epoch number for a time', [{ amount: 5, timestamp: 1_765_000_000 }], /time field "timestamp"/],
    ['a fourth decimal', [{ amount: '5.0001', created_on: at }], /change field "amount" cannot be read/],
    ['an amount that is no number', [{ amount: 'five', created_on: at }], /change field "amount"/],
    ['a currency sign', [{ amount: '£-0.09', created_on: at }], /change field "amount"/],
    [
      'two changes that disagree',
      [{ amount: 5, change: 6, created_on: at }],
      /change fields "amount" and "change" disagree/,
    ],
    [
      'two times that disagree',
      [{ amount: 5, created_on: at, date: '2026-12-06T10:00:01Z' }],
      /time fields .* disagree/,
    ],
    [
      'a balance that cannot be read',
      [{ amount: 5, balance: 'n/a', created_on: at }],
      /balance field "balance"/,
    ],
    [
      'a direction field',
      [{ amount: 5, type: 'debit', created_on: at }],
      /"type" field that may set the amount's sign/,
    ],
    ['a debit flag', [{ amount: 5, debit: true, created_on: at }], /"debit" field/],
  ])('makes the whole history unreadable for %s', (_what, result, reason) => {
    const good = { amount: 1, balance: 1, created_on: '2026-12-06T09:00:00Z' };
    const reading = readBalanceHistory(result);
    expect(reading.kind).toBe('unreadable');
    expect(reading.kind === 'unreadable' && reading.reason).toMatch(reason);
    // Even beside a readable entry, one bad entry leaves nothing read.
    expect(readBalanceHistory([good, ...result]).kind).toBe('unreadable');
  });

  it('catches an unsigned spend by the balances that do not chain', () => {
    // Spending 12.500 written as +12.500: read as signed it would look like a second credit of that amount.
    const reading = readBalanceHistory([
      { amount: 10, balance: 10, created_on: '2026-12-06T10:00:00Z' },
      { amount: 12.5, balance: -2.5, created_on: '2026-12-06T11:00:00Z' },
    ]);
    expect(reading).toMatchObject({ kind: 'unreadable', reason: expect.stringMatching(/do not chain/) });
  });

  it('names the fields of an unreadable history, never their values', () => {
    const reading = readBalanceHistory([
      { amount: 5, note: 'secret-looking-text', created_on: '2026-12-06' },
    ]);
    expect(reading).toMatchObject({ kind: 'unreadable', fields: ['amount', 'created_on', 'note'] });
    expect(JSON.stringify(reading)).not.toContain('secret-looking-text');
  });
});
