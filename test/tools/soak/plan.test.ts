import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { creditOwed, factKey, type MoneyFact } from '../../../shared/domain/money';
import type { OrderEvent } from '../../../shared/domain/order-event';
import { parseCreditCatalog, receiveWebhook } from '../../../shared/webhooks';
import { creditOf, moneyOwes, SHOPIFY_OTHER_CHARGES } from '../../../tools/soak/oracle';
import { planSoak } from '../../../tools/soak/plan';
import { planCoverage } from '../../../tools/soak/plan-coverage';
import {
  BENCH_SOAK_PARAMETERS,
  type PaymentPath,
  PaymentPaths,
  type PlannedOrder,
  type SoakParameters,
  type SoakPlan,
  type Step,
} from '../../../tools/soak/plan-types';
import { countSecrets } from '../../../tools/soak/secret-scan';
import { soakOrderKey } from '../../../tools/soak/webhook-common';
import { buildWebhook, SOAK_CATALOG } from '../../../tools/soak/webhooks';

const BENCH: SoakParameters = BENCH_SOAK_PARAMETERS;

const sends = (steps: Step[]) => steps.filter((step) => step.do === 'send');

/** The order's script in words: roles sent, `await <gate>`, `pause`. */
const script = (order: PlannedOrder) =>
  order.steps.map((step) =>
    step.do === 'await' ? `await ${step.until}` : step.do === 'send' ? step.role : 'pause',
  );

/** A hand-made order for the money model: order 0 buys 10.000 credit (SOAK-UNIT × 1000) and pays `paid` pence. */
function order(path: PaymentPath, fields: Partial<PlannedOrder> = {}) {
  return {
    index: 0,
    provider: 'stripe' as const,
    path,
    buyer: 0,
    orderId: 'cs_test_model',
    amount: creditOf(0),
    paid: 1_000,
    ...fields,
  };
}

describe('the soak oracle: what the money owes', () => {
  it('owes the catalog credit when paid in full, nothing when refunded in full, failed or free, a person on a dispute before credit', () => {
    expect(moneyOwes(order('paid'))).toMatchObject({ kind: 'credit', credit: 10_000 });
    expect(
      moneyOwes(order('refund_after_credit', { refund: { shape: 'full', amount: 1_000 } })),
    ).toMatchObject({
      kind: 'credit',
      credit: 10_000,
    });
    expect(moneyOwes(order('refund_before_credit', { refund: { shape: 'full', amount: 1_000 } })).kind).toBe(
      'nothing',
    );
    expect(moneyOwes(order('async_failed')).kind).toBe('nothing');
    expect(moneyOwes(order('free_trial', { paid: 0 })).kind).toBe('nothing');
    expect(moneyOwes(order('dispute_before_credit'))).toMatchObject({ kind: 'person', reason: 'disputed' });
  });

  it('keeps credit in proportion for a single credit line (£1 of £10 → 9.000), less the named credit line, all of it for merchandise, and asks a person for a money-only refund of several lines', () => {
    const partial = { shape: 'partial' as const, amount: 100 };
    expect(moneyOwes(order('refund_before_credit', { refund: partial }))).toMatchObject({
      kind: 'credit',
      credit: 9_000,
    });
    expect(moneyOwes(order('refund_before_order', { refund: partial }))).toMatchObject({ credit: 9_000 });
    expect(
      moneyOwes(order('refund_before_credit', { provider: 'woocommerce', lines: 'single', refund: partial })),
    ).toMatchObject({ kind: 'credit', credit: 9_000 });
    expect(
      moneyOwes(order('refund_before_credit', { provider: 'woocommerce', lines: 'multi', refund: partial })),
    ).toMatchObject({ kind: 'person', reason: 'credit_undecided' });
    const shopify = { provider: 'shopify' as const, paid: 1_000 + SHOPIFY_OTHER_CHARGES };
    expect(
      moneyOwes(order('refund_before_credit', { ...shopify, refund: { shape: 'partial', amount: 500 } })),
    ).toMatchObject({ kind: 'person', reason: 'credit_undecided' });
    expect(
      moneyOwes(
        order('refund_before_credit', {
          ...shopify,
          refund: { shape: 'credit_line', amount: 250, units: 250 },
        }),
      ),
    ).toMatchObject({ kind: 'credit', credit: 7_500 });
    expect(
      moneyOwes(
        order('refund_before_credit', { ...shopify, refund: { shape: 'other_line', amount: 1_999 } }),
      ),
    ).toMatchObject({ kind: 'credit', credit: 10_000 });
  });
});

describe('planSoak', () => {
  it('gives the same plan for the same seed, and another for another seed', () => {
    const one = planSoak(BENCH);
    expect(planSoak(BENCH)).toEqual(one);
    expect(JSON.stringify(planSoak({ ...BENCH, seed: BENCH.seed + 1 }))).not.toBe(JSON.stringify(one));
  });

  it('plans the bench run the issue asks for: 500+ orders, a few hundred buyers with repeat buyers, 5+ kills, every path', () => {
    const plan = planSoak(BENCH);
    const perBuyer = new Map<number, number>();
    for (const order of plan.orders) perBuyer.set(order.buyer, (perBuyer.get(order.buyer) ?? 0) + 1);

    expect(plan.orders.length).toBeGreaterThanOrEqual(500);
    expect(plan.buyers.length).toBeGreaterThanOrEqual(200);
    expect(plan.buyers.length).toBeLessThan(1_000);
    expect([...perBuyer.values()].filter((n) => n > 1).length).toBeGreaterThan(50);
    expect(Math.max(...perBuyer.values())).toBeLessThanOrEqual(4);
    expect(plan.kills.length).toBeGreaterThanOrEqual(5);
    expect(new Set(plan.orders.map((order) => order.path))).toEqual(new Set(PaymentPaths));
    expect(planCoverage(plan)).toEqual([]);
  });

  it('keeps the paths in plausible proportion: mostly paid, a few refunds and disputes in part, before and after credit', () => {
    const plan = planSoak(BENCH);
    const share = (test: (order: PlannedOrder) => boolean) =>
      plan.orders.filter(test).length / plan.orders.length;
    expect(
      share((order) => order.owed.kind === 'credit' && order.owed.credit === order.amount),
    ).toBeGreaterThan(0.7);
    expect(share((order) => order.path.startsWith('refund_'))).toBeGreaterThan(0.1);
    expect(share((order) => order.path.startsWith('refund_'))).toBeLessThan(0.25);
    expect(share((order) => order.path.startsWith('dispute_'))).toBeLessThan(0.06);
    expect(
      share((order) => order.owed.kind === 'credit' && order.owed.credit < order.amount),
    ).toBeGreaterThan(0.02);
  });

  it('gives each order what its money owes as its first expected end, its own amount, and every amount a buyer’s transfers may carry distinct', () => {
    const plan = planSoak(BENCH);
    for (const order of plan.orders) {
      const [first] = order.expected;
      expect(first?.credit).toBe(order.owed.kind === 'credit' ? order.owed.credit : 0);
      expect(first?.when).toBeUndefined();
      if (order.owed.kind === 'person')
        expect(first).toMatchObject({ attention: order.owed.reason, credit: 0 });
      for (const end of order.expected) expect(end.credit).toBeLessThanOrEqual(order.amount);
    }
    expect(new Set(plan.orders.map((order) => order.amount)).size).toBe(plan.orders.length);
    expect(new Set(plan.orders.map(soakOrderKey)).size).toBe(plan.orders.length);
    expect(new Set(plan.buyers.map((buyer) => buyer.email)).size).toBe(plan.buyers.length);
    const carried = new Map<number, Set<number>>();
    let amounts = 0;
    for (const order of plan.orders) {
      const own = new Set([order.amount, ...order.expected.map((end) => end.credit)].filter((n) => n > 0));
      amounts += own.size;
      const buyer = carried.get(order.buyer) ?? new Set<number>();
      for (const amount of own) buyer.add(amount);
      carried.set(order.buyer, buyer);
    }
    expect([...carried.values()].reduce((n, set) => n + set.size, 0)).toBe(amounts);
  });

  it('accepts a person asked about a refund with no payment only as the alternative of a window that closed first', () => {
    const plan = planSoak(BENCH);
    const refunded = plan.orders.filter((order) => order.path === 'refund_before_credit');
    for (const order of refunded) {
      for (const end of order.expected.slice(1))
        expect(end).toMatchObject({ when: 'window_closed', credit: 0 });
    }
    const stripe = refunded.find((order) => order.provider === 'stripe' && order.owed.kind === 'credit');
    expect(stripe?.expected.map((end) => [end.state, end.attention, end.when])).toEqual([
      ['fulfilled', undefined, undefined],
      ['needs_attention', 'credit_undecided', 'window_closed'],
    ]);
    for (const order of plan.orders.filter((o) => o.path !== 'refund_before_credit')) {
      expect(order.expected.some((end) => end.when)).toBe(false);
    }
  });

  it('sends a refund or dispute only behind the gate the oracle relies on, and each event one to four times', () => {
    const plan = planSoak(BENCH);
    for (const order of plan.orders) {
      const steps = script(order);
      if (order.path === 'refund_after_credit' || order.path === 'dispute_after_credit') {
        const event = order.path === 'refund_after_credit' ? 'refunded' : 'disputed';
        expect(steps.indexOf('await fulfilled')).toBeLessThan(steps.indexOf(event));
        expect(steps.indexOf('await fulfilled')).toBeGreaterThan(steps.indexOf('paid'));
      }
      if (order.path === 'refund_before_credit') {
        expect(steps.slice(0, 5)).toEqual([
          'placed',
          'await recorded',
          'refunded',
          'await refund_on_order',
          'confirmed',
        ]);
      }
      if (order.path === 'dispute_before_credit') {
        expect(steps.slice(0, 5)).toEqual([
          'placed',
          'await recorded',
          'disputed',
          'await dispute_on_order',
          'confirmed',
        ]);
      }
      if (order.path === 'refund_before_order') {
        const gate = order.refund?.by === 'session' ? 'await refund_on_order' : 'await refund_on_payment';
        expect(steps.slice(0, 3)).toEqual(['refunded', gate, 'paid']);
      }
      if (order.path === 'confirmed_late') {
        expect(steps.indexOf('await expired')).toBeLessThan(steps.indexOf('confirmed'));
      }
      const restated = order.steps.findIndex((step) => step.do === 'send' && step.tag === 'restated');
      if (restated >= 0) {
        expect(order.owed.kind).toBe('credit');
        expect(steps.slice(restated - 2, restated + 1)).toEqual(['await ended', 'pause', 'refunded']);
      }
      for (const step of sends(order.steps)) expect(step.copies).toBeGreaterThanOrEqual(1);
      for (const step of sends(order.steps)) expect(step.copies).toBeLessThanOrEqual(4);
    }
  });

  it('spreads the kills over the deliveries, in order, none at the very start or end', () => {
    const plan = planSoak(BENCH);
    const at = plan.kills.map((kill) => kill.afterDeliveries);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(Math.min(...at)).toBeGreaterThanOrEqual(plan.plannedDeliveries * 0.1);
    expect(Math.max(...at)).toBeLessThanOrEqual(plan.plannedDeliveries * 0.9);
  });

  it('programmes every Yay fault the issue names, with a calm phase after each', () => {
    const phases = planSoak(BENCH).faultPhases;
    const kinds = new Set(phases.flatMap((phase) => phase.kinds));
    expect(kinds).toEqual(
      new Set([
        'delayed',
        'injected-error',
        'error-after-apply',
        'dropped',
        'truncated',
        'rate-limited',
        'balance-unavailable',
      ]),
    );
    const dropped = phases.filter((phase) => phase.faults.dropNext).map((phase) => phase.faults.dropNext);
    expect(dropped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ route: 'create' }),
        expect.objectContaining({ route: 'transfer' }),
      ]),
    );
    phases.forEach((phase, at) => {
      if (at % 2 === 1) expect(phase).toMatchObject({ label: 'calm', faults: {} });
    });
  });

  it('refuses parameters it cannot plan, naming them', () => {
    expect(() => planSoak({ ...BENCH, buyers: 0 })).toThrow(/buyers/);
    expect(() => planSoak({ ...BENCH, orders: 5_000 })).toThrow(/orders/);
    expect(() => planSoak({ ...BENCH, maxWaitSeconds: 0 })).toThrow(/maxWaitSeconds/);
  });
});

describe('soak webhooks', () => {
  const plan = planSoak(BENCH);
  const secrets = { stripe: 'whsec_unit-only', shopify: 'shopify-unit-only', woocommerce: 'woo-unit-only' };
  const catalog = parseCreditCatalog(JSON.stringify(SOAK_CATALOG));

  /** Every event of the order's script through intake, as local mode receives it: what it publishes. */
  async function intake(soak: SoakPlan, order: PlannedOrder): Promise<OrderEvent[]> {
    const events: OrderEvent[] = [];
    for (const step of sends(order.steps)) {
      const webhook = buildWebhook(soak, order, step.role, secrets);
      const answer = await receiveWebhook(
        { provider: order.provider, headers: webhook.headers(0), body: webhook.body, isBase64Encoded: false },
        {
          secrets: { secretsFor: async (provider) => [secrets[provider]] },
          publisher: {
            publish: async (event) => {
              events.push(event as OrderEvent);
            },
          },
          catalog,
          now: () => Date.now(),
        },
      );
      expect(answer.statusCode, `${soakOrderKey(order)} ${step.role}: ${JSON.stringify(answer.body)}`).toBe(
        202,
      );
      if (webhook.orderKey) expect(answer.body.orderKey).toBe(webhook.orderKey);
    }
    return events;
  }

  it('builds every planned event of every order from the fixtures, naming the order it belongs to', () => {
    for (const order of plan.orders) {
      for (const step of sends(order.steps)) {
        const webhook = buildWebhook(plan, order, step.role, secrets);
        expect(webhook.path).toBe(`/webhooks/${order.provider}`);
        expect(webhook.body).toContain(
          step.role === 'disputed' || (step.role === 'refunded' && order.refund?.by === 'payment_intent')
            ? (order.paymentIntent ?? order.orderId)
            : order.orderId,
        );
        if (webhook.orderKey) expect(webhook.orderKey).toBe(soakOrderKey(order));
      }
    }
  });

  it('sends bodies whose money says what the plan owes: each order’s facts through intake, weighed by the product’s rule', async () => {
    for (const order of plan.orders) {
      const events = await intake(plan, order);
      const placed = events.find((event) => event.kind === 'placed' || event.kind === 'paid');
      const facts = new Map<string, MoneyFact>();
      for (const event of events) for (const fact of event.facts ?? []) facts.set(factKey(fact), fact);
      // After credit, refunds and disputes do not change what moved: weigh the money as the transfer saw it.
      const after = order.path === 'refund_after_credit' || order.path === 'dispute_after_credit';
      const seen = [...facts.values()].filter((fact) => !after || fact.type === 'payment');
      const verdict = creditOwed({
        credit: placed?.credit.amount ?? null,
        ...(placed?.money ? { money: placed.money } : {}),
        currency: 'GBP',
        facts: seen,
      });
      const owed = order.owed;
      const why = `${soakOrderKey(order)} (${order.path}, ${JSON.stringify(order.refund)}): ${verdict.kind} ${'why' in verdict ? verdict.why : ''}`;
      if (owed.kind === 'credit') expect(verdict, why).toMatchObject({ kind: 'owed', credit: owed.credit });
      else if (owed.kind === 'person')
        expect(verdict, why).toMatchObject({ kind: 'person', reason: owed.reason });
      else expect(['nothing', 'failed', 'unpaid'], why).toContain(verdict.kind);
      // The order's money is what it pays: the total and every payment agree with the plan.
      if (placed?.money) expect(placed.money.total, why).toBe(order.paid);
      for (const fact of seen.filter((f) => f.type === 'payment')) expect(fact.amount, why).toBe(order.paid);
      const refund = [...facts.values()].find((fact) => fact.type === 'refund');
      if (order.refund?.shape === 'full') expect(refund?.amount, why).toBe(order.paid);
    }
  });

  it('keeps Shopify ids above 2^53 exact and prices the credit line at a penny a unit, the totals moved by it', () => {
    const order = plan.orders.find((o) => o.provider === 'shopify' && o.path === 'paid');
    if (!order) throw new Error('the bench plan has a paid Shopify order');
    const { body } = buildWebhook(plan, order, 'paid', secrets);
    expect(body).toContain(`"id": ${order.orderId},`);
    expect(body).toContain(`"quantity": ${1_000 + order.index},`);
    expect(body).toContain('"sku": "SOAK-UNIT"');
    expect(body).toContain('"price": "0.01"');
    expect(body).toContain(`"total_price": "${(order.paid / 100).toFixed(2)}"`);
    expect(body).not.toContain('89.99');
    expect(body).not.toContain('jon@example.com');
  });

  it('cuts a Shopify refund to its planned lines and money, its ids above 2^53 still exact', () => {
    const shapes = new Map<string, PlannedOrder>();
    for (const o of plan.orders) if (o.provider === 'shopify' && o.refund) shapes.set(o.refund.shape, o);
    expect([...shapes.keys()].sort()).toEqual(['credit_line', 'full', 'other_line', 'partial']);
    for (const [shape, order] of shapes) {
      const { body } = buildWebhook(plan, order, 'refunded', secrets);
      expect(body).toContain(`"order_id": ${order.orderId},`);
      expect(body).toMatch(/"id": 89008818604\d{8},/);
      expect(body).not.toMatch(/"big:/);
      const lines = body.match(/"line_item_id": (\d+)/g) ?? [];
      expect(lines.length, shape).toBe(shape === 'full' ? 5 : shape === 'partial' ? 0 : 1);
      if (shape === 'other_line') expect(body).toContain('"line_item_id": 789012345678901234');
      if (shape === 'credit_line') expect(body).toContain('"line_item_id": 487817672276298554');
      const money = [...body.matchAll(/"kind": "refund"[\s\S]*?"amount": "([\d.]+)"/g)].map((m) =>
        Math.round(Number(m[1]) * 100),
      );
      expect(
        money.reduce((a, b) => a + b, 0),
        shape,
      ).toBe(order.refund?.amount);
    }
  });
});

describe('countSecrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yay-soak-scan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds each occurrence once, also one cut across two read chunks, and patterns', async () => {
    const file = join(dir, 'out.log');
    const secret = 'test-only-secret-value';
    // The reader takes 1 MiB at a time: put one occurrence across the first boundary.
    const pad = 'x'.repeat((1 << 20) - 10);
    writeFileSync(file, `${pad}${secret} and ${secret} then local1.${'A'.repeat(24)} end`);

    await expect(countSecrets(file, [secret])).resolves.toBe(2);
    await expect(countSecrets(file, [secret], [/local1\.[A-Za-z0-9_-]{20,}/])).resolves.toBe(3);
    await expect(countSecrets(file, ['not-there'])).resolves.toBe(0);
  });
});
