import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BENCH_SOAK_PARAMETERS,
  CREDITED_PATHS,
  PaymentPaths,
  planCoverage,
  planSoak,
  type SoakParameters,
  type Step,
} from '../../soak/plan';
import { countSecrets } from '../../soak/processes';
import { buildWebhook, soakOrderKey } from '../../soak/webhooks';

const BENCH: SoakParameters = BENCH_SOAK_PARAMETERS;

const sends = (steps: Step[]) => steps.filter((step) => step.do === 'send');

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

  it('decides each order’s oracle from its path alone, and gives every order its own amount', () => {
    const plan = planSoak(BENCH);
    for (const order of plan.orders) expect(order.credited).toBe(CREDITED_PATHS.has(order.path));
    expect(new Set(plan.orders.map((order) => order.amount)).size).toBe(plan.orders.length);
    expect(new Set(plan.orders.map(soakOrderKey)).size).toBe(plan.orders.length);
    expect(new Set(plan.buyers.map((buyer) => buyer.email)).size).toBe(plan.buyers.length);
  });

  it('sends a refund only behind the gate the oracle relies on, and each event one to four times', () => {
    const plan = planSoak(BENCH);
    for (const order of plan.orders) {
      const steps = order.steps.map((step) =>
        step.do === 'await' ? `await ${step.until}` : step.do === 'send' ? step.role : 'pause',
      );
      if (order.path === 'refund_after_credit') {
        expect(steps.indexOf('await fulfilled')).toBeLessThan(steps.indexOf('refunded'));
      }
      if (order.path === 'refund_before_credit') {
        expect(steps.slice(0, 5)).toEqual([
          'placed',
          'await recorded',
          'refunded',
          'await refunded',
          'confirmed',
        ]);
      }
      if (order.path === 'confirmed_late') {
        expect(steps.indexOf('await expired')).toBeLessThan(steps.indexOf('confirmed'));
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

  it('builds every planned event of every order from the fixtures, naming the order it belongs to', () => {
    for (const order of plan.orders) {
      for (const step of sends(order.steps)) {
        const webhook = buildWebhook(plan, order, step.role, secrets);
        expect(webhook.path).toBe(`/webhooks/${order.provider}`);
        expect(webhook.body).toContain(order.orderId);
        if (webhook.orderKey) expect(webhook.orderKey).toBe(soakOrderKey(order));
      }
    }
  });

  it('keeps Shopify ids above 2^53 exact and prices the credit line by its quantity', () => {
    const order = plan.orders.find((o) => o.provider === 'shopify' && o.path === 'paid');
    if (!order) throw new Error('the bench plan has a paid Shopify order');
    const { body } = buildWebhook(plan, order, 'paid', secrets);
    expect(body).toContain(`"id": ${order.orderId},`);
    expect(body).toContain(`"quantity": ${1_000 + order.index},`);
    expect(body).toContain('"sku": "SOAK-UNIT"');
    expect(body).not.toContain('jon@example.com');
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
