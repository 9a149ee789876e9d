import { describe, expect, it } from 'vitest';
import { overviewModel } from '../../../console/pages/overview-model';
import { YayUnavailable } from '../../../shared/errors';
import { attention, NOW, pageModelSources, paidEvent } from '../support';

describe('overviewModel', () => {
  const sources = pageModelSources();

  it("counts the last 30 days' orders by outcome and credit by the day it moved, beside balance and credit owed", async () => {
    const view = await sources();
    const { store } = view;
    const today = paidEvent('ov-today');
    const yesterday = paidEvent('ov-yesterday');
    const old = paidEvent('ov-old');
    const owed = paidEvent('ov-owed');
    await store.record(today, 'e', NOW);
    await store.record(yesterday, 'e', new Date('2026-11-26T10:00:00.000Z'));
    await store.record(old, 'e', new Date('2026-10-01T10:00:00.000Z'));
    await store.record({ ...owed, credit: { amount: 2_500, currency: 'GBP' } }, 'e', NOW);
    await store.recordOutcome(yesterday.orderKey, 'fulfilled', undefined, NOW);
    await store.planIntent(yesterday.orderKey, { customerUuid: 'u', customerName: 'n' }, NOW);
    await store.transition(yesterday.orderKey, ['PENDING'], 'IN_FLIGHT', { amount: 10_000 }, NOW);
    await store.transition(yesterday.orderKey, ['IN_FLIGHT'], 'APPLIED', {}, NOW);
    await store.recordOutcome(today.orderKey, 'failed', { Error: 'YayAuthFailed' }, NOW, {
      attention: attention('failed', today.orderKey),
    });

    const model = await overviewModel(view);

    expect(model.days).toHaveLength(30);
    expect([model.days[0], model.days.at(-1)]).toEqual(['2026-10-29', '2026-11-27']);
    expect(model.totalOrders).toBe(3);
    expect(model.ordersPerDay.fulfilled.at(-2)).toBe(1);
    expect(model.ordersPerDay.failed.at(-1)).toBe(1);
    expect(model.ordersPerDay.in_progress.at(-1)).toBe(1);
    expect(model.creditPerDay.at(-1)).toBe(10_000);
    expect(model.totalCredit).toBe(10_000);
    // What the money of the orders that may owe says: `owed` (2.500), and `old`, still open (10.000); `today`
    // waits for a person, `yesterday`'s credit moved.
    expect(model.balance).toEqual({ resellerBalance: 50_000, creditOwed: 12_500 });
  });

  it('names what failed when the reseller balance cannot be read, and shows the rest', async () => {
    const view = await sources({
      resellerBalance: async () => {
        throw new YayUnavailable('GET /account/balance: connect ECONNREFUSED 10.0.0.1:443', true);
      },
    });

    const model = await overviewModel(view);

    expect(model.balance).toEqual({ unavailable: 'YayUnavailable', creditOwed: 0 });
  });
});
