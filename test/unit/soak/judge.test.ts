import { describe, expect, it } from 'vitest';
import type { Millis } from '../../../shared/domain/credit';
import type { OrderView } from '../../../shared/store';
import { emptyFigures, failuresOf, judge } from '../../soak/harness';
import { type PaymentPath, type PlannedOrder, planSoak } from '../../soak/plan';
import type { SandboxLedgerState } from '../../soak/processes';
import { soakOrderKey } from '../../soak/webhooks';

const plan = planSoak({
  seed: 42,
  orders: 72,
  buyers: 45,
  kills: 2,
  timeBoundMs: 150_000,
  concurrency: 10,
  maxWaitSeconds: 4,
});
const START = 1_000_000_000;

/** Distinct orders of the plan with the given paths, each of another buyer. */
function ordersOn<const P extends PaymentPath[]>(...paths: P): { [K in keyof P]: PlannedOrder } {
  const taken = new Set<number>();
  return paths.map((path) => {
    const order = plan.orders.find((o) => o.path === path && !taken.has(o.buyer));
    if (!order) throw new Error(`seed 42 plans a ${path} order of an unused buyer`);
    taken.add(order.buyer);
    return order;
  }) as { [K in keyof P]: PlannedOrder };
}

function view(order: PlannedOrder, state: OrderView['state'], extra: Partial<OrderView> = {}): OrderView {
  return {
    orderKey: soakOrderKey(order),
    state,
    payment: 'paid',
    replays: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    waitingForPayment: false,
    ...extra,
  } as OrderView;
}

function customer(uuid: string, order: PlannedOrder, balance: number) {
  const buyer = plan.buyers[order.buyer];
  return {
    uuid,
    name: `c${uuid}`,
    contact_name: `${buyer?.firstName} ${buyer?.lastName}`,
    users: [{ uuid: `u${uuid}`, name: `c${uuid}`, email: buyer?.email, role_id: '3', hadPassword: true }],
    addresses: [],
    balance: balance as Millis,
    active: true,
    createdAt: 0,
    history: [],
  };
}

function ledger(
  customers: ReturnType<typeof customer>[],
  transfers: Array<[string, number]>,
): SandboxLedgerState {
  const moved = transfers.reduce((sum, [, amount]) => sum + amount, 0);
  return {
    resellerBalance: (START - moved) as Millis,
    customers,
    transfers: transfers.map(([customerUuid, amount]) => ({ customerUuid, amount: amount as Millis, at: 0 })),
    requests: [],
    faultCounts: {},
    held: 0,
  };
}

describe('the soak judge', () => {
  it('names each broken invariant from the ledger and the table: double, missing and forbidden credits, duplicate customers, lost, stuck and mis-ended orders', () => {
    const [twice, never, failed, lost, stuck, misEnded] = ordersOn(
      'paid',
      'async_confirmed',
      'async_failed',
      'paid',
      'paid',
      'refund_after_credit',
    );
    const figures = emptyFigures(plan);
    const orders = new Map<string, OrderView>([
      [soakOrderKey(twice), view(twice, 'fulfilled')],
      [soakOrderKey(never), view(never, 'fulfilled')],
      [soakOrderKey(failed), view(failed, 'payment_failed', { payment: 'failed' })],
      [soakOrderKey(stuck), view(stuck, 'open')],
      // Refunded after credit, but nobody was told.
      [soakOrderKey(misEnded), view(misEnded, 'fulfilled')],
    ]);
    const sent = new Set([twice, never, failed, lost, stuck, misEnded].map((order) => order.index));
    const state = ledger(
      [
        customer('u1', twice, 2 * twice.amount),
        customer('u1b', twice, 0),
        customer('u2', failed, failed.amount + 7),
        customer('u3', stuck, stuck.amount),
        customer('u4', misEnded, misEnded.amount),
      ],
      [
        ['u1', twice.amount],
        ['u1', twice.amount],
        ['u2', failed.amount],
        ['u2', 7],
        ['u3', stuck.amount],
        ['u4', misEnded.amount],
      ],
    );

    judge(plan, figures, sent, new Set(), orders, state, new Set([soakOrderKey(stuck)]), new Set());
    const failures = failuresOf(plan, figures);

    expect(figures.credits.doubleCredited).toEqual([`${soakOrderKey(twice)} (paid, 2×)`]);
    // The lost order was paid too: its credit is missing as well.
    expect(figures.credits.missing.sort()).toEqual(
      [`${soakOrderKey(never)} (async_confirmed)`, `${soakOrderKey(lost)} (paid)`].sort(),
    );
    expect(figures.credits.forbidden).toEqual([`${soakOrderKey(failed)} (async_failed)`]);
    expect(figures.credits.unexplainedTransfers).toBe(1);
    expect(figures.credits.ledgerBalanced).toBe(true);
    expect(figures.customers.duplicateBuyers).toEqual([`${plan.buyers[twice.buyer]?.email} (2 customers)`]);
    expect(figures.lostOrders).toEqual([soakOrderKey(lost)]);
    expect(figures.stuckOrders).toEqual([{ order: soakOrderKey(stuck), state: 'open' }]);
    expect(figures.unexpectedEnds).toEqual([
      expect.objectContaining({ order: soakOrderKey(misEnded), state: 'fulfilled' }),
    ]);
    for (const broken of [
      'credited more than once',
      'never credited',
      'credit for orders that must get none',
      'transfers matching no order',
      'more than one Yay customer',
      '(lost)',
      '(stuck)',
      'ending otherwise than planned',
    ]) {
      expect(failures.some((line) => line.includes(broken))).toBe(true);
    }
  });

  it('does not balance a ledger whose reseller debit and customer balances disagree', () => {
    const [paid] = ordersOn('paid');
    const figures = emptyFigures(plan);
    const state = {
      ...ledger([customer('u1', paid, paid.amount)], [['u1', paid.amount]]),
      resellerBalance: START as Millis,
    };

    judge(plan, figures, new Set(), new Set(), new Map(), state, new Set(), new Set());

    expect(figures.credits.ledgerBalanced).toBe(false);
    expect(failuresOf(plan, figures)).toContain(
      'the ledger does not balance (reseller vs customers vs transfers)',
    );
  });

  it('fails the run for what the soak’s fixed findings used to excuse: an open order out of the index, a refund ending payment_failed', () => {
    const [outOfIndex, raced] = ordersOn('paid', 'refund_before_credit');
    const figures = emptyFigures(plan);
    const orders = new Map<string, OrderView>([
      [soakOrderKey(outOfIndex), view(outOfIndex, 'open')],
      [
        soakOrderKey(raced),
        view(raced, 'payment_failed', {
          refunded: true,
          lastError: { Error: 'PaymentFailed', Cause: 'refunded' },
        }),
      ],
    ]);
    const state = ledger([customer('u1', outOfIndex, outOfIndex.amount)], [['u1', outOfIndex.amount]]);

    judge(
      plan,
      figures,
      new Set([outOfIndex.index, raced.index]),
      new Set(),
      orders,
      state,
      new Set(),
      new Set(),
    );

    expect(figures.knownFindings).toEqual({});
    expect(figures.stuckOrders).toMatchObject([{ order: soakOrderKey(outOfIndex), state: 'open' }]);
    const failures = failuresOf(plan, figures);
    expect(failures.some((line) => /stuck/.test(line))).toBe(true);
    expect(failures.some((line) => /otherwise than planned/.test(line))).toBe(true);
  });
});
