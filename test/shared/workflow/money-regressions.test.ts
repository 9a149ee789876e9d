import { beforeEach, describe, expect, it } from 'vitest';
import { executionName } from '../../../shared/domain/keys';
import type { DynamoStore } from '../../../shared/store/dynamo-store';
import { closeOrder } from '../../../shared/workflow/attention';
import { awaitPayment } from '../../../shared/workflow/await-payment';
import { dispatchOrderEvent } from '../../../shared/workflow/dispatch';
import { recordOutcome } from '../../../shared/workflow/record-outcome';
import { sweep } from '../../../shared/workflow/sweep';
import { transferCredit } from '../../../shared/workflow/transfer-credit';
import { deferred, type FakeYay } from './fakes';
import { orderEvent, paidEvent, paymentFact, refundEvent, refundFact } from './fixtures';
import { executionArnOf, type WorkflowDeps, workflowHarness } from './harness';
import { Crash, CrashPoints, crashingStore } from './money-model';

const TOKEN = 'test-only-task-token-not-a-secret';
const WINDOW = 7 * 24 * 3600;

/**
 * The money sequences of issue 16 that need the use cases' timing to show (a refund meeting a call in flight, an
 * execution ending as money comes, a process dying between two writes), each named for what the buyer or the
 * reseller suffered. The webhook-level ones are test/e2e/money-regressions.test.ts.
 */
describe('money regressions', () => {
  const h = workflowHarness();
  let store: DynamoStore;
  let deps: WorkflowDeps;
  let yay: FakeYay;
  beforeEach(() => {
    ({ store, deps, yay } = h);
  });
  const customerOf = () => ({ uuid: yay.addCustomer('cname'), name: 'cname', created: true });

  it('a refund that lands while the transfer call is in flight is put in front of a person once the credit moves', async () => {
    const paid = paidEvent();
    await dispatchOrderEvent(deps, paid);
    const call = deferred();
    yay.gate = () => call.promise;
    const transfer = transferCredit(deps, { order: paid, customer: customerOf() });
    await new Promise((resolve) => setImmediate(resolve));
    while (yay.inFlight === 0) await new Promise((resolve) => setImmediate(resolve));

    await dispatchOrderEvent(deps, refundEvent(paid));
    call.resolve();
    const result = await transfer;
    await recordOutcome(deps, { order: paid, outcome: 'fulfilled', transfer: result });

    expect(result).toMatchObject({ status: 'APPLIED', amount: 10_000 });
    expect(await store.get(paid.orderKey)).toMatchObject({
      state: 'fulfilled',
      attention: {
        reason: 'refund_after_credit',
        message: expect.stringContaining('the money now owes nothing'),
      },
    });
  });

  it('a refund whose note reaches the transfer only after the outcome is written is still put in front of a person', async () => {
    const paid = paidEvent();
    await dispatchOrderEvent(deps, paid);
    // The refund's first write (the fact on the order) lands as the call is made; its second (on the intent) is slow.
    const note = deferred();
    const slowNote: WorkflowDeps = {
      ...deps,
      transfers: {
        ...store,
        noteMoneyChange: async (...args) => {
          await note.promise;
          return store.noteMoneyChange(...args);
        },
      },
    };
    const call = deferred();
    yay.gate = () => call.promise;
    const transfer = transferCredit(deps, { order: paid, customer: customerOf() });
    while (yay.inFlight === 0) await new Promise((resolve) => setImmediate(resolve));
    const refund = dispatchOrderEvent(slowNote, refundEvent(paid));
    while (((await store.get(paid.orderKey))?.factCount ?? 0) < 2) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    call.resolve();
    await recordOutcome(deps, { order: paid, outcome: 'fulfilled', transfer: await transfer });
    note.resolve();
    await refund;

    expect(await store.get(paid.orderKey)).toMatchObject({
      state: 'fulfilled',
      attention: { reason: 'refund_after_credit' },
    });
  });

  it('an order whose payment came as the window closed, then refunded in full, ends refunded instead of open for ever', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await awaitPayment(deps, { orderKey: placed.orderKey, taskToken: TOKEN });
    // The payment lands as the wait times out: the expiry finds it and reopens the order; the execution ends.
    await store.recordFact(placed.orderKey, paymentFact(), deps.now());
    const expiry = await recordOutcome(deps, {
      order: placed,
      outcome: 'expired',
      error: { Error: 'States.Timeout' },
    });
    h.executions.set(executionArnOf(executionName(placed.orderKey)), 'SUCCEEDED');
    await dispatchOrderEvent(deps, refundEvent(placed));
    h.obs.advance(600);

    const report = await sweep(deps, { paymentWindowSeconds: WINDOW });
    // The replay's steps, as its execution runs them.
    const transfer = await transferCredit(deps, { order: placed, customer: customerOf() });
    await recordOutcome(deps, { order: placed, outcome: 'refunded', transfer });

    expect(expiry.outcome).toBe('open');
    expect(report.replayed).toEqual([placed.orderKey]);
    expect(transfer).toMatchObject({ status: 'CANCELLED' });
    expect(await store.get(placed.orderKey)).toMatchObject({ state: 'refunded' });
    expect(await store.listOwed()).toEqual([]);
    expect(yay.transferCalls).toEqual([]);
  });

  it('a refund larger than the payment, landing after the credit moved but before the run recorded it, asks a person to take the credit back', async () => {
    const paid = paidEvent();
    await dispatchOrderEvent(deps, paid);
    const customer = customerOf();
    // The credit moves; the run dies before recording its outcome, and the sweep replays the order.
    expect(await transferCredit(deps, { order: paid, customer })).toMatchObject({ status: 'APPLIED' });
    // £15 refunded on a £10 payment: only a person can weigh that — but the credit has already moved.
    await dispatchOrderEvent(deps, refundEvent(paid, refundFact({ amount: 1_500 })));

    const replayed = await transferCredit(deps, { order: paid, customer });
    await recordOutcome(deps, { order: paid, outcome: 'fulfilled', transfer: replayed });

    expect(replayed).toMatchObject({ status: 'APPLIED', amount: 10_000 });
    expect(yay.transferCalls).toHaveLength(1);
    expect(await store.get(paid.orderKey)).toMatchObject({
      state: 'fulfilled',
      attention: { reason: 'refund_after_credit' },
    });
  });

  it('a replay whose money now needs a person, while its first call is still undecided, reconciles before anything else', async () => {
    const paid = paidEvent();
    await dispatchOrderEvent(deps, paid);
    const customer = customerOf();
    // The call's answer is lost: the intent stays undecided (UNKNOWN), and money may have moved.
    yay.transferFaults.push('lost-answer');
    await expect(transferCredit(deps, { order: paid, customer })).rejects.toMatchObject({
      name: 'TransferOutcomeUnknown',
    });
    await dispatchOrderEvent(deps, refundEvent(paid, refundFact({ amount: 1_500 })));

    await expect(transferCredit(deps, { order: paid, customer })).rejects.toMatchObject({
      name: 'TransferOutcomeUnknown',
    });
  });

  it('a buyer partly refunded before paying, whose payment came only after the window closed, is credited the rest', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await awaitPayment(deps, { orderKey: placed.orderKey, taskToken: TOKEN });
    // £1 refunded before any payment: only a person could tell what is owed, so the expiry parks the order.
    await dispatchOrderEvent(deps, refundEvent(placed, refundFact({ amount: 100 })));
    await recordOutcome(deps, { order: placed, outcome: 'expired', error: { Error: 'States.Timeout' } });
    h.executions.set(executionArnOf(executionName(placed.orderKey)), 'SUCCEEDED');
    expect(await store.get(placed.orderKey)).toMatchObject({
      state: 'needs_attention',
      attention: { reason: 'credit_undecided' },
    });

    // The £10 payment comes: the money now says 9.000 is owed, and no person has decided anything.
    const late = await dispatchOrderEvent(deps, paidEvent(placed));
    const transfer = await transferCredit(deps, { order: placed, customer: customerOf() });
    await recordOutcome(deps, { order: placed, outcome: 'fulfilled', transfer });

    expect(late.action).toBe('late_payment');
    expect(transfer).toMatchObject({ status: 'APPLIED', amount: 9_000 });
    expect(yay.transferCalls).toHaveLength(1);
    expect(await store.get(placed.orderKey)).toMatchObject({ state: 'fulfilled', replays: 1 });
    expect((await store.get(placed.orderKey))?.attention).toBeUndefined();
  });

  it('a parked order a person closed stays closed when its payment comes later: the person decided', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await dispatchOrderEvent(deps, refundEvent(placed, refundFact({ amount: 100 })));
    await recordOutcome(deps, { order: placed, outcome: 'expired', error: { Error: 'States.Timeout' } });
    await closeOrder(deps, placed.orderKey, 'refunded by hand; the buyer is not owed credit');

    const late = await dispatchOrderEvent(deps, paidEvent(placed));
    const again = await dispatchOrderEvent(deps, paidEvent(placed, [paymentFact({ id: 'pi_test_2' })]));

    expect(late).toMatchObject({ action: 'needs_attention', detail: 'credit_undecided' });
    expect(again.action).not.toBe('late_payment');
    expect(await store.get(placed.orderKey)).toMatchObject({ state: 'needs_attention', replays: 0 });
    expect(yay.transferCalls).toEqual([]);
  });

  describe('a late Shopify payment whose process died after recording it and before claiming its run', () => {
    /** The order expired; its payment is delivered, and the process dies at the claim of the late-payment run. */
    async function lateAndKilled() {
      const placed = orderEvent({
        provider: 'shopify',
        store: 'shop.myshopify.com',
        orderKey: 'shopify:shop.myshopify.com:42',
        orderId: '42',
      });
      await dispatchOrderEvent(deps, placed);
      await recordOutcome(deps, { order: placed, outcome: 'expired', error: { Error: 'States.Timeout' } });
      const crashes = new CrashPoints();
      // The second write of the delivery: the fact is recorded, then the claim (beginReplay) dies.
      crashes.arm(2, 'before');
      const dying = { ...deps, orders: crashingStore(store, crashes) };
      const paid = paidEvent(placed, [paymentFact({ id: 'order:42' })]);
      await expect(dispatchOrderEvent(dying, paid)).rejects.toBeInstanceOf(Crash);
      expect(await store.get(placed.orderKey)).toMatchObject({ state: 'expired', payment: 'paid' });
      return { placed, paid };
    }

    it('is credited when the same event is delivered again', async () => {
      const { placed, paid } = await lateAndKilled();

      const again = await dispatchOrderEvent(deps, paid);

      expect(again.action).toBe('late_payment');
      expect(await store.get(placed.orderKey)).toMatchObject({ state: 'open', replays: 1 });
    });

    it('is credited by the sweep when no delivery ever comes again', async () => {
      const { placed } = await lateAndKilled();
      h.obs.advance(600);

      const report = await sweep(deps, { paymentWindowSeconds: WINDOW });

      expect(report.credited).toEqual([placed.orderKey]);
      expect(await store.get(placed.orderKey)).toMatchObject({ state: 'open', replays: 1 });
    });
  });
});

describe('bad money from a store: recorded, never applied blindly, parked with the figures', () => {
  const h = workflowHarness();
  const cases = [
    {
      what: 'a refund larger than the payment',
      refund: refundFact({ amount: 1_500 }),
      figures: /refunds of 15\.00 GBP exceed the payments of 10\.00 GBP/,
    },
    {
      what: 'a refund in another currency',
      refund: refundFact({ amount: 100, currency: 'USD' }),
      figures: /is in USD, the order in GBP/,
    },
    { what: 'a negative refund', refund: refundFact({ amount: -100 }), figures: /has -1\.00 GBP/ },
  ];
  for (const { what, refund, figures } of cases) {
    it(`parks an order with ${what} for a person, moving nothing`, async () => {
      const { store, deps, yay } = h;
      const paid = paidEvent();
      await dispatchOrderEvent(deps, paid);
      await dispatchOrderEvent(deps, refundEvent(paid, refund));
      const customer = { uuid: yay.addCustomer('cname'), name: 'cname', created: true };

      const transfer = await transferCredit(deps, { order: paid, customer });
      await recordOutcome(deps, { order: paid, outcome: 'needs_attention', transfer });

      expect(transfer).toMatchObject({
        status: 'HELD',
        hold: 'credit_undecided',
        reason: expect.stringMatching(figures),
      });
      expect(await store.get(paid.orderKey)).toMatchObject({
        state: 'needs_attention',
        facts: [paymentFact(), refund],
        attention: {
          reason: 'credit_undecided',
          message: expect.stringMatching(figures),
          action: expect.stringContaining(`ops -- complete '${paid.orderKey}' --credit`),
        },
      });
      expect(yay.transferCalls).toEqual([]);
    });
  }
});
