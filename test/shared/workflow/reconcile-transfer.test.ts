import { describe, expect, it } from 'vitest';
import type { Millis } from '../../../shared/domain/credit';
import { sinceSnapshot } from '../../../shared/workflow/reconcile-transfer';
import type { BalanceHistoryEntry } from '../../../shared/yay/types';

const CALL = Date.parse('2026-12-06T10:00:00.000Z');
const at = (seconds: number) => new Date(CALL + seconds * 1000).toISOString();
const entry = (change: number, seconds: number): BalanceHistoryEntry => ({
  change: change as Millis,
  at: at(seconds),
});

describe('sinceSnapshot (which of Yay’s history entries are the call’s, and whether they prove anything)', () => {
  // Snapshot 2.000 just before the call; a 10.000 credit at the call; the customer spends 10.000 half a minute later.
  const credited = [entry(2_000, -3_600), entry(10_000, 1), entry(-10_000, 30)];

  it('finds the credit among the entries since the call, whatever the customer spent since', () => {
    expect(sinceSnapshot(credited, 2_000, 2_000, CALL)).toEqual([entry(10_000, 1), entry(-10_000, 30)]);
  });

  it('proves a call that never landed: the entries since account for the balance and hold no credit', () => {
    expect(sinceSnapshot([entry(2_000, -3_600), entry(-500, 30)], 2_000, 1_500, CALL)).toEqual([
      entry(-500, 30),
    ]);
  });

  it('decides nothing when Yay’s clock is minutes behind and the customer spent only part: the sum breaks', () => {
    const behind = [entry(2_000, -3_600), entry(10_000, -300), entry(-4_000, -270)];
    expect(sinceSnapshot(behind, 2_000, 8_000, CALL)).toBeUndefined();
  });

  it('decides nothing when Yay’s clock is minutes ahead: an earlier credit comes into the window and the sum breaks', () => {
    // Another order's 10.000 landed five minutes before this call; the snapshot saw it (12.000); Yay stamps late.
    const ahead = [entry(2_000, -3_600), entry(10_000, 40), entry(10_000, 301)];
    expect(sinceSnapshot(ahead, 12_000, 22_000, CALL)).toBeUndefined();
  });

  it('decides nothing when a movement just before the snapshot falls within the clocks’ skew', () => {
    const justBefore = [entry(2_000, -10), entry(10_000, 1), entry(-10_000, 30)];
    expect(sinceSnapshot(justBefore, 2_000, 2_000, CALL)).toBeUndefined();
  });
});
