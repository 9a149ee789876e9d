import { describe, expect, it } from 'vitest';
import { runSoak, type SoakResult } from '../../tools/soak/harness';
import { planSoak } from '../../tools/soak/plan';
import { planCoverage } from '../../tools/soak/plan-coverage';
import type { SoakParameters } from '../../tools/soak/plan-types';

/**
 * The chaos soak's short run (the full one is `npm run bench -- soak`): the same harness, with local mode killed
 * twice. Nothing here waits on a timer to decide anything: each order's script waits on states in local mode's
 * table, settling waits for every order to end, and the verdict comes from the Yay sandbox's ledger.
 */
describe('chaos soak, short run', () => {
  // Seed 837 is one whose 72-order plan covers every path of every provider, each refund shape before credit and
  // what each may owe (in part, a person for each reason, nothing), late, out-of-order, restated and concurrent
  // deliveries, and repeat buyers (asserted below, so a generator change that loses coverage says so instead of
  // silently testing less).
  const parameters: SoakParameters = {
    seed: 837,
    orders: 72,
    buyers: 45,
    kills: 2,
    timeBoundMs: 150_000,
    concurrency: 10,
    maxWaitSeconds: 4,
    faultPhaseScale: 0.35,
  };

  it('plans every payment path of every provider, repeat buyers and every kind of delivery', () => {
    expect(planCoverage(planSoak(parameters))).toEqual([]);
  });

  it('credits every order what its money owes, once, and nothing it does not owe, one Yay customer per buyer, every order ended, nothing secret printed, through two SIGKILLs and Yay faults', async () => {
    const result: SoakResult = await runSoak(parameters);
    const { figures } = result;

    // Every broken invariant at once, with the table, rather than the first one alone.
    expect(result.failures, result.report).toEqual([]);
    expect(figures.credits).toMatchObject({
      doubleCredited: [],
      missing: [],
      forbidden: [],
      wrongAmount: [],
      unexplainedTransfers: 0,
      ledgerBalanced: true,
    });
    expect(figures.customers.duplicateBuyers).toEqual([]);
    expect(figures.lostOrders).toEqual([]);
    // A stuck order is only allowed where a known, reproduced local-mode bug explains it (KNOWN_FINDINGS, tools/soak/findings.ts).
    expect(figures.stuckOrders.filter((stuck) => !stuck.finding)).toEqual([]);
    expect(figures.secretsInOutput).toBe(0);
    expect(figures.orders.sent).toBe(72);
    expect(figures.kills.done).toBe(2);
    expect(figures.credits.transfers).toBeGreaterThan(0);
    // Nothing moved beyond what the money owes (an order a known finding leaves parked owes what never moved).
    expect(figures.credits.movedMillis).toBeLessThanOrEqual(figures.credits.owedMillis);
    expect(figures.credits.movedMillis).toBeGreaterThan(0);
    expect(Object.values(figures.faults.injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 200_000);
});
