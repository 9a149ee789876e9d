import { describe, expect, it } from 'vitest';
import type { Millis } from '../../../shared/domain/credit';
import type { MoneyFact } from '../../../shared/domain/money';
import type { OrderView } from '../../../shared/store';
import { emptyFigures } from '../../../tools/soak/figures';
import { failuresOf, judge } from '../../../tools/soak/judge';
import { planSoak } from '../../../tools/soak/plan';
import type { PlannedOrder } from '../../../tools/soak/plan-types';
import type { SandboxLedgerState } from '../../../tools/soak/sandbox-process';
import { soakOrderKey } from '../../../tools/soak/webhook-common';

// The short run's plan (test/e2e/soak.test.ts): it has every path and refund shape.
const plan = planSoak({
  seed: 837,
  orders: 72,
  buyers: 45,
  kills: 2,
  timeBoundMs: 150_000,
  concurrency: 10,
  maxWaitSeconds: 4,
});
const START = 1_000_000_000;

type Pick = (order: PlannedOrder) => boolean;
const on =
  (path: PlannedOrder['path'], more: Pick = () => true): Pick =>
  (order) =>
    order.path === path && more(order);
const partlyOwed: Pick = (order) => order.owed.kind === 'credit' && order.owed.credit < order.amount;

/** Distinct orders of the plan matching each test, each of another buyer. */
function ordersOf<const T extends Pick[]>(...tests: T): { [K in keyof T]: PlannedOrder } {
  const taken = new Set<number>();
  return tests.map((test, at) => {
    const order = plan.orders.find((o) => test(o) && !taken.has(o.buyer));
    if (!order) throw new Error(`seed 837 plans no order for test ${at} of an unused buyer`);
    taken.add(order.buyer);
    return order;
  }) as { [K in keyof T]: PlannedOrder };
}

const owedCredit = (order: PlannedOrder) => (order.owed.kind === 'credit' ? order.owed.credit : 0);

function view(order: PlannedOrder, state: OrderView['state'], extra: Partial<OrderView> = {}): OrderView {
  return {
    orderKey: soakOrderKey(order),
    state,
    payment: 'paid',
    replays: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    paidAt: '2026-01-01T00:00:01.000Z',
    waitingForPayment: false,
    ...extra,
  } as OrderView;
}

const attention = (reason: string, since: string) => ({ reason, message: 'm', action: 'a', since });

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

/** A ledger in which each customer's balance is what was transferred to it. */
function ledger(transfers: Array<[string, PlannedOrder, number]>, extra: ReturnType<typeof customer>[] = []) {
  const moved = transfers.reduce((sum, [, , amount]) => sum + amount, 0);
  const customers = new Map<string, ReturnType<typeof customer>>();
  for (const [uuid, order, amount] of transfers) {
    const known = customers.get(uuid) ?? customer(uuid, order, 0);
    customers.set(uuid, { ...known, balance: (known.balance + amount) as Millis });
  }
  for (const c of extra) customers.set(c.uuid, c);
  return {
    resellerBalance: (START - moved) as Millis,
    customers: [...customers.values()],
    transfers: transfers.map(([customerUuid, , amount]) => ({
      customerUuid,
      amount: amount as Millis,
      at: 0,
    })),
    requests: [],
    faultCounts: {},
    held: 0,
  } satisfies SandboxLedgerState;
}

function run(
  orders: Array<[PlannedOrder, OrderView | undefined]>,
  state: SandboxLedgerState,
  options: { stuck?: PlannedOrder[] } = {},
) {
  const figures = emptyFigures(plan);
  // A run that did all it planned: only what these orders show is judged.
  figures.kills.done = plan.kills.length;
  figures.kills.cleanStopCode = 0;
  const table = new Map<string, OrderView>();
  for (const [order, found] of orders) if (found) table.set(soakOrderKey(order), found);
  const sent = new Set(orders.map(([order]) => order.index));
  const inOpen = new Set((options.stuck ?? []).map(soakOrderKey));
  judge(plan, figures, sent, new Set(), table, state, inOpen, new Set());
  const failures = failuresOf(plan, figures).filter((line) => !line.startsWith('orders sent:'));
  return { figures, failures };
}

describe('the soak judge', () => {
  it('names each broken invariant from the ledger and the table: double, missing, unowed and wrong-amount credits, duplicate customers, lost, stuck and mis-ended orders', () => {
    const [twice, never, failed, partial, lost, stuck, misEnded] = ordersOf(
      on('paid'),
      on('async_confirmed'),
      on('async_failed'),
      on('refund_before_credit', partlyOwed),
      on('paid'),
      on('paid'),
      on('refund_after_credit'),
    );
    const state = ledger(
      [
        ['u1', twice, twice.amount],
        ['u1', twice, twice.amount],
        ['u2', failed, failed.amount],
        ['u2', failed, 7],
        // The whole catalog credit for an order whose money owes only part of it.
        ['u5', partial, partial.amount],
        ['u3', stuck, stuck.amount],
        ['u4', misEnded, misEnded.amount],
      ],
      [customer('u1b', twice, 0)],
    );

    const { figures, failures } = run(
      [
        [twice, view(twice, 'fulfilled')],
        [never, view(never, 'fulfilled')],
        [failed, view(failed, 'payment_failed', { payment: 'failed' })],
        [partial, view(partial, 'fulfilled')],
        [lost, undefined],
        [stuck, view(stuck, 'open')],
        // Refunded after credit, but nobody was told.
        [misEnded, view(misEnded, 'fulfilled')],
      ],
      state,
      { stuck: [stuck] },
    );

    expect(figures.credits.doubleCredited).toEqual([
      `${soakOrderKey(twice)} (paid, 2×: ${twice.amount} + ${twice.amount})`,
    ]);
    // The lost order was paid too: its credit is missing as well.
    expect(figures.credits.missing.map((line) => line.split(' ')[0]).sort()).toEqual(
      [soakOrderKey(never), soakOrderKey(lost)].sort(),
    );
    expect(figures.credits.forbidden).toEqual([expect.stringContaining(soakOrderKey(failed))]);
    expect(figures.credits.wrongAmount).toEqual([
      expect.stringContaining(`${soakOrderKey(partial)} (refund_before_credit`),
    ]);
    expect(figures.credits.wrongAmount[0]).toContain(`owes ${owedCredit(partial)}, ledger ${partial.amount}`);
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
      'credit the money does not owe',
      'another amount than their money owes',
      'transfers matching no order',
      'more than one Yay customer',
      '(lost)',
      '(stuck)',
      'ending otherwise than planned',
    ]) {
      expect(
        failures.some((line) => line.includes(broken)),
        broken,
      ).toBe(true);
    }
  });

  it('finds each order’s credit by what its money owes: the rest after a partial refund, nothing after a full one or a free trial, a person asked with none', () => {
    const [partial, refunded, free, disputed, undecided] = ordersOf(
      on('refund_before_order', partlyOwed),
      on('refund_before_credit', (o) => o.refund?.shape === 'full'),
      on('free_trial'),
      on('dispute_before_credit'),
      (o) => o.owed.kind === 'person' && o.owed.reason === 'credit_undecided',
    );
    const { figures, failures } = run(
      [
        [partial, view(partial, 'fulfilled')],
        [refunded, view(refunded, 'refunded')],
        [free, view(free, 'fulfilled')],
        [disputed, view(disputed, 'needs_attention', { attention: attention('disputed', 'x') } as never)],
        [
          undecided,
          view(undecided, 'needs_attention', {
            attention: attention('credit_undecided', '2026-01-01T00:00:05.000Z'),
          } as never),
        ],
      ],
      ledger([['u1', partial, owedCredit(partial)]]),
    );

    expect(owedCredit(partial)).toBeLessThan(partial.amount);
    expect(failures).toEqual([]);
    expect(figures.credits.unexplainedTransfers).toBe(0);
    expect(figures.paths.refund_before_order?.asOwed).toBe(1);
    expect(figures.credits.owedMillis).toBe(owedCredit(partial));
    expect(figures.credits.movedMillis).toBe(owedCredit(partial));
    // The same orders with the whole credit moved to the person's and the refunded ones: credit nobody owes.
    const wrong = run(
      [
        [refunded, view(refunded, 'refunded')],
        [disputed, view(disputed, 'needs_attention', { attention: attention('disputed', 'x') } as never)],
      ],
      ledger([
        ['u2', refunded, refunded.amount],
        ['u3', disputed, disputed.amount],
      ]),
    );
    expect(wrong.figures.credits.forbidden).toHaveLength(2);
  });

  it('accepts a person asked about a refund with no payment only when the payment window closed before the payment came', () => {
    const [order] = ordersOf(
      on('refund_before_credit', (o) => o.provider !== 'woocommerce' && o.owed.kind === 'credit'),
    );
    const parked = (since: string, extra: Partial<OrderView> = {}) =>
      view(order, 'needs_attention', {
        attention: attention('credit_undecided', since),
        paidAt: '2026-01-01T00:00:10.000Z',
        ...extra,
      } as never);

    // Asked before the payment came (the sweep parked it past its window), or expired by the wait's timeout.
    expect(run([[order, parked('2026-01-01T00:00:05.000Z')]], ledger([])).failures).toEqual([]);
    expect(
      run(
        [
          [
            order,
            parked('2026-01-01T00:00:20.000Z', { lastError: { Error: 'States.Timeout', Cause: 'window' } }),
          ],
        ],
        ledger([]),
      ).failures,
    ).toEqual([]);
    const counted = run([[order, parked('2026-01-01T00:00:05.000Z')]], ledger([])).figures.paths
      .refund_before_credit;
    expect(counted).toMatchObject({ asOwed: 1, windowClosed: 1 });
    // Asked after the payment came, with the window open: the money decided, nobody should have been asked.
    const late = run([[order, parked('2026-01-01T00:00:20.000Z')]], ledger([]));
    expect(late.figures.unexpectedEnds).toEqual([expect.objectContaining({ order: soakOrderKey(order) })]);
    // Credit moved while a person is asked: never excused.
    const credited = run(
      [[order, parked('2026-01-01T00:00:05.000Z')]],
      ledger([['u1', order, owedCredit(order)]]),
    );
    expect(credited.figures.credits.forbidden).toHaveLength(1);
  });

  it('fails the run for what the money soak’s fixed findings used to excuse: a restated refund flagged after credit, a gate a PaymentIntent refund kept shut, an order left parked order_missing', () => {
    const restated = plan.orders.find(
      (o) =>
        o.path === 'refund_before_credit' &&
        o.steps.some((step) => step.do === 'send' && step.tag === 'restated'),
    );
    if (!restated) throw new Error('seed 837 restates a refund');
    const refund: MoneyFact = { type: 'refund', id: 'r1', amount: 100, currency: 'GBP', at: 'x' };
    const flagged = view(restated, 'fulfilled', {
      attention: attention('refund_after_credit', 'x'),
      facts: [refund],
    } as never);
    const [renewal] = ordersOf(on('renewal'));
    const parked = view(renewal, 'needs_attention', {
      attention: attention('order_missing', 'x'),
      event: { orderId: renewal.orderId },
    } as never);

    const { figures, failures } = run(
      [
        [restated, flagged],
        [renewal, parked],
      ],
      ledger([['u1', restated, owedCredit(restated)]]),
    );

    expect(figures.knownFindings).toEqual({});
    expect(failures).toEqual([expect.stringContaining('ending otherwise than planned: 2')]);

    const [byIntent] = ordersOf(
      (o) =>
        o.provider === 'stripe' &&
        (o.path === 'dispute_before_credit' ||
          (o.path === 'refund_before_credit' && o.refund?.by === 'payment_intent')),
    );
    const gated = emptyFigures(plan);
    gated.kills.done = plan.kills.length;
    gated.kills.cleanStopCode = 0;
    gated.gateTimeouts.push({ order: soakOrderKey(byIntent), gate: 'ended' });
    judge(
      plan,
      gated,
      new Set([byIntent.index]),
      new Set([byIntent.index]),
      new Map([
        [
          soakOrderKey(byIntent),
          view(byIntent, byIntent.expected[0]?.state ?? 'fulfilled', {
            lastError: { Error: 'States.Timeout', Cause: 'window' },
            replays: 1,
          }),
        ],
      ]),
      ledger(owedCredit(byIntent) > 0 ? [['u1', byIntent, owedCredit(byIntent)]] : []),
      new Set(),
      new Set(),
    );
    expect(failuresOf(plan, gated).filter((line) => !line.startsWith('orders sent:'))).toEqual([
      expect.stringContaining('gates never reached'),
    ]);
  });

  it('does not balance a ledger whose reseller debit and customer balances disagree', () => {
    const [paid] = ordersOf(on('paid'));
    const state = { ...ledger([['u1', paid, paid.amount]]), resellerBalance: START as Millis };
    const { figures, failures } = run([], state);

    expect(figures.credits.ledgerBalanced).toBe(false);
    expect(failures).toContain('the ledger does not balance (reseller vs customers vs transfers)');
  });

  it('fails the run for what the soak’s fixed findings used to excuse: an open order out of the index, a refund ending payment_failed', () => {
    const [outOfIndex, raced] = ordersOf(
      on('paid'),
      on('refund_before_credit', (o) => o.refund?.shape === 'full'),
    );
    const { figures, failures } = run(
      [
        [outOfIndex, view(outOfIndex, 'open')],
        [
          raced,
          view(raced, 'payment_failed', {
            refunded: true,
            lastError: { Error: 'PaymentFailed', Cause: 'refunded' },
          }),
        ],
      ],
      ledger([['u1', outOfIndex, outOfIndex.amount]]),
    );

    expect(figures.knownFindings).toEqual({});
    expect(figures.stuckOrders).toMatchObject([{ order: soakOrderKey(outOfIndex), state: 'open' }]);
    expect(failures.some((line) => /stuck/.test(line))).toBe(true);
    expect(failures.some((line) => /otherwise than planned/.test(line))).toBe(true);
  });
});
