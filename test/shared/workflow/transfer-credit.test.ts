import { beforeEach, describe, expect, it } from 'vitest';
import { executionName } from '../../../shared/domain/keys';
import { attentionAction } from '../../../shared/domain/order-state';
import {
  LeaseBusy,
  ResellerBalanceTooLow,
  TransferOutcomeUnknown,
  YayRateLimited,
  YayRejected,
  YayUnavailable,
} from '../../../shared/errors';
import { MetricNames } from '../../../shared/metric-names';
import type { DynamoStore } from '../../../shared/store/dynamo-store';
import type { CustomerRef } from '../../../shared/workflow/contract';
import { reconcileTransfer, resolveTransfer } from '../../../shared/workflow/reconcile-transfer';
import {
  DEFAULT_LEASE_SECONDS,
  type TransferCreditDeps,
  transferCredit,
} from '../../../shared/workflow/transfer-credit';
import type { FakeYay } from './fakes';
import { orderEvent, paidEvent, refundFact } from './fixtures';
import { executionArnOf, type WorkflowHarness, workflowHarness } from './harness';

describe('transferCredit', () => {
  const h = workflowHarness();
  let store: DynamoStore;
  let yay: FakeYay;
  let obs: WorkflowHarness['obs'];
  let deps: TransferCreditDeps;
  let customer: CustomerRef;
  const order = paidEvent();
  const input = () => ({ order, customer });
  const reconcileDeps = () => ({ ...obs.observability, transfers: store, leases: store, yay });

  beforeEach(async () => {
    ({ store, yay, obs } = h);
    // These cases decide from balances; Yay's history has its own cases below.
    yay.customerBalanceHistoryReadable = false;
    customer = { uuid: yay.addCustomer('ctestcustomer', 2_000), name: 'ctestcustomer', created: true };
    deps = { ...obs.observability, orders: store, transfers: store, leases: store, yay };
    await store.record(order, 'exec', obs.observability.now());
  });

  const balanceOf = () => yay.customers.get(customer.uuid)?.balance;

  it('moves the credit once and records APPLIED when Yay answers 2xx, with the balance it leaves', async () => {
    const result = await transferCredit(deps, input());
    // 2.000 read just before the call, plus 10.000.
    expect(result).toEqual({ status: 'APPLIED', amount: 10_000, balanceAfter: 12_000, factCount: 1 });
    expect(yay.applied).toEqual([{ uuid: customer.uuid, amount: 10_000 }]);
    const intent = await store.getIntent(order.orderKey);
    expect(intent).toMatchObject({
      status: 'APPLIED',
      attempts: 1,
      customerBalanceBefore: 2_000,
      resellerBalanceBefore: 100_000,
    });
    expect(obs.recorded.metricTotal(MetricNames.CreditMovedMillis)).toBe(10_000);
    expect(await store.acquire(`customer:${customer.uuid}`, 'other', 60, obs.observability.now())).toBe(true);
  });

  it('returns APPLIED without calling Yay again when run a second time', async () => {
    await transferCredit(deps, input());
    const again = await transferCredit(deps, input());
    expect(again).toEqual({ status: 'APPLIED', amount: 10_000, factCount: 1 });
    expect(yay.transferCalls).toHaveLength(1);
    expect(balanceOf()).toBe(12_000);
  });

  it('skips without an intent when the order has no credit price', async () => {
    const unpriced = paidEvent(
      orderEvent({
        orderId: 'cs_unpriced',
        credit: { amount: null, currency: 'EUR', unpricedReason: 'currency EUR not in catalog' },
      }),
    );
    await store.record(unpriced, 'exec', obs.observability.now());
    const result = await transferCredit(deps, { order: unpriced, customer });
    expect(result).toEqual({ status: 'SKIPPED', amount: 0, reason: 'currency EUR not in catalog' });
    expect(await store.getIntent(unpriced.orderKey)).toBeUndefined();
    expect(yay.transferCalls).toHaveLength(0);
  });

  it('throws ResellerBalanceTooLow without calling when the reseller cannot cover it, and succeeds after a top-up', async () => {
    yay.resellerMillis = 9_999;
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(ResellerBalanceTooLow);
    expect(yay.transferCalls).toHaveLength(0);
    expect((await store.getIntent(order.orderKey))?.status).toBe('PENDING');
    yay.resellerMillis = 50_000;
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED' });
    expect(yay.applied).toHaveLength(1);
  });

  it('throws ResellerBalanceTooLow, naming the negative balance, when the reseller is in debt', async () => {
    yay.resellerMillis = -1_500;
    const attempt = transferCredit(deps, input());
    await expect(attempt).rejects.toBeInstanceOf(ResellerBalanceTooLow);
    await expect(transferCredit(deps, input())).rejects.toThrow('reseller balance -1.500 is below');
    expect(yay.transferCalls).toHaveLength(0);
  });

  it('records REJECTED when Yay refuses with the reseller balance sufficient, and a replay calls again once', async () => {
    yay.transferFaults.push('rejected');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(YayRejected);
    expect((await store.getIntent(order.orderKey))?.status).toBe('REJECTED');
    expect(yay.applied).toHaveLength(0);
    // Not final: a person's `ops replay`, once the cause is fixed, reaches Transfer credit again.
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED' });
    expect(yay.transferCalls).toHaveLength(2);
    expect(yay.applied).toHaveLength(1);
  });

  it('waits for a top-up, not a person, when Yay refuses a transfer the reseller balance no longer covers', async () => {
    // Another order took the balance between this one's check and its call: Yay answers 400.
    const original = yay.transferCredit.bind(yay);
    yay.transferCredit = async (uuid, amount) => {
      yay.resellerMillis = 5_000;
      return original(uuid, amount);
    };
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(ResellerBalanceTooLow);
    expect(await store.getIntent(order.orderKey)).toMatchObject({
      status: 'PENDING',
      reason: expect.stringContaining('Yay refused it'),
    });
    yay.transferCredit = original;
    yay.resellerMillis = 50_000;
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED', amount: 10_000 });
  });

  it.each([
    ['the request never left', 'never-sent' as const, YayUnavailable],
    ['Yay rate-limited it', 'rate-limited' as const, YayRateLimited],
  ])('puts the intent back to PENDING and retries safely when %s', async (_, fault, errorClass) => {
    yay.transferFaults.push(fault);
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(errorClass);
    expect((await store.getIntent(order.orderKey))?.status).toBe('PENDING');
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED' });
    expect(yay.applied).toHaveLength(1);
    expect((await store.getIntent(order.orderKey))?.attempts).toBe(2);
  });

  it('goes UNKNOWN, then reconciles as applied without a second call, when the answer is lost after applying', async () => {
    yay.transferFaults.push('lost-answer');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
    expect((await store.getIntent(order.orderKey))?.status).toBe('UNKNOWN');
    // A retry of the transfer step itself must not call again.
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);

    const decision = await reconcileTransfer(reconcileDeps(), order.orderKey);
    expect(decision.decision).toBe('applied');
    expect(await transferCredit(deps, input())).toEqual({ status: 'APPLIED', amount: 10_000, factCount: 1 });
    expect(yay.transferCalls).toHaveLength(1);
    expect(balanceOf()).toBe(12_000);
  });

  it('goes UNKNOWN, reconciles as provably not applied, and the retry applies it exactly once', async () => {
    yay.transferFaults.push('timeout-not-applied');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
    const decision = await reconcileTransfer(reconcileDeps(), order.orderKey);
    expect(decision.decision).toBe('retry');
    expect((await store.getIntent(order.orderKey))?.status).toBe('NOT_APPLIED');
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED' });
    expect(yay.transferCalls).toHaveLength(2);
    expect(yay.applied).toHaveLength(1);
    expect(balanceOf()).toBe(12_000);
  });

  it('sends an undecidable UNKNOWN to review with a metric, and an operator resolves it', async () => {
    yay.transferFaults.push('lost-answer');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
    yay.customerBalanceReadable = false;
    const decision = await reconcileTransfer(reconcileDeps(), order.orderKey);
    expect(decision.decision).toBe('needs_review');
    expect(obs.recorded.metricTotal(MetricNames.TransfersNeedingReview)).toBe(1);
    expect((await store.getIntent(order.orderKey))?.status).toBe('NEEDS_REVIEW');
    // Asked again, reconcile answers from the table and does not count a second review.
    expect((await reconcileTransfer(reconcileDeps(), order.orderKey)).decision).toBe('needs_review');
    expect(obs.recorded.metricTotal(MetricNames.TransfersNeedingReview)).toBe(1);
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);

    const resolved = await resolveTransfer(h.deps, order.orderKey, 'applied');
    expect(resolved.intent.status).toBe('APPLIED');
    expect((await store.get(order.orderKey))?.outcome).toBe('fulfilled');
    expect(await transferCredit(deps, input())).toEqual({ status: 'APPLIED', amount: 10_000, factCount: 1 });
    expect(yay.transferCalls).toHaveLength(1);
  });

  it('sends an UNKNOWN to review when the customer balance moved by something other than the amount', async () => {
    yay.transferFaults.push('lost-answer');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
    const record = yay.customers.get(customer.uuid);
    if (record) record.balance -= 150; // the customer made calls meanwhile
    const decision = await reconcileTransfer(reconcileDeps(), order.orderKey);
    expect(decision.decision).toBe('needs_review');
    expect(decision.reason).toMatch(/neither unchanged nor up by 10\.000/);
  });

  it('reconciles a customer whose balance is negative (calls on credit) as applied', async () => {
    const record = yay.customers.get(customer.uuid);
    if (record) record.balance = -2_500;
    yay.transferFaults.push('lost-answer');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
    const decision = await reconcileTransfer(reconcileDeps(), order.orderKey);
    expect(decision).toEqual({
      decision: 'applied',
      reason: 'customer balance rose from -2.500 by the amount',
      amount: 10_000,
      balanceAfter: 7_500,
      factCount: 1,
    });
    expect(balanceOf()).toBe(7_500);
  });

  it("throws LeaseBusy after one attempt, deciding nothing, while another order's transfer holds the customer's lease", async () => {
    yay.transferFaults.push('lost-answer');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
    const now = obs.observability.now();
    expect(await store.acquire(`customer:${customer.uuid}`, 'other-order#1', 90, now)).toBe(true);
    let attempts = 0;
    const counting: DynamoStore = {
      ...store,
      acquire: async (...args) => {
        attempts++;
        return store.acquire(...args);
      },
    };

    // No wait inside the Lambda: the state machine retries LeaseBusy on Reconcile transfer (test/infra).
    await expect(
      reconcileTransfer({ ...reconcileDeps(), leases: counting }, order.orderKey),
    ).rejects.toBeInstanceOf(LeaseBusy);
    expect(attempts).toBe(1);
    expect((await store.getIntent(order.orderKey))?.status).toBe('UNKNOWN');

    // The graph's next attempt, once the other transfer released the lease, decides.
    await store.release(`customer:${customer.uuid}`, 'other-order#1');
    expect((await reconcileTransfer(reconcileDeps(), order.orderKey)).decision).toBe('applied');
  });

  it('lets an operator mark an undecidable transfer not applied, after which the transfer runs once', async () => {
    yay.transferFaults.push('timeout-not-applied');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
    yay.customerBalanceReadable = false;
    expect((await reconcileTransfer(reconcileDeps(), order.orderKey)).decision).toBe('needs_review');
    yay.customerBalanceReadable = true;
    await resolveTransfer(h.deps, order.orderKey, 'not-applied');
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED' });
    expect(yay.applied).toHaveLength(1);
  });

  it('refuses to resolve a transfer that is not awaiting a decision, naming its status', async () => {
    await transferCredit(deps, input());
    await expect(resolveTransfer(h.deps, order.orderKey, 'not-applied')).rejects.toThrow(
      /is APPLIED, not awaiting a decision/,
    );
  });

  it('treats an error after the intent is written as UNKNOWN and never calls blindly again', async () => {
    yay.transferFaults.push('process-error');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
    expect((await store.getIntent(order.orderKey))?.status).toBe('UNKNOWN');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
    expect(yay.transferCalls).toHaveLength(1);
  });

  it('turns an attempt that crashed between marking IN_FLIGHT and recording into UNKNOWN once its lease expires', async () => {
    // The process dies right after the IN_FLIGHT write: no catch, no finally, the lease stays held.
    class Crash extends Error {}
    const crashing: DynamoStore = {
      ...store,
      transition: async (...args) => {
        const moved = await store.transition(...args);
        if (args[2] === 'IN_FLIGHT') throw new Crash('process killed');
        return moved;
      },
      release: async () => {},
    };
    await expect(
      transferCredit({ ...deps, transfers: crashing, leases: crashing }, input()),
    ).rejects.toBeInstanceOf(Crash);
    expect((await store.getIntent(order.orderKey))?.status).toBe('IN_FLIGHT');
    expect(yay.transferCalls).toHaveLength(0);

    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(LeaseBusy);
    obs.advance(DEFAULT_LEASE_SECONDS + 1);
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
    expect((await store.getIntent(order.orderKey))?.status).toBe('UNKNOWN');
    expect(yay.transferCalls).toHaveLength(0);

    expect((await reconcileTransfer(reconcileDeps(), order.orderKey)).decision).toBe('retry');
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED' });
    expect(yay.applied).toHaveLength(1);
  });

  it('still reports TransferOutcomeUnknown when releasing the lease fails afterwards', async () => {
    yay.transferFaults.push('lost-answer');
    const failingRelease: DynamoStore = {
      ...store,
      release: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    };
    await expect(transferCredit({ ...deps, leases: failingRelease }, input())).rejects.toBeInstanceOf(
      TransferOutcomeUnknown,
    );
    expect(obs.recorded.logs.some((line) => line.message.startsWith('lease not released'))).toBe(true);
  });

  it('holds back another order for the same customer until an unknown transfer is reconciled, so equal amounts are never confused', async () => {
    const second = orderEvent({ kind: 'paid', orderId: 'cs_test_order_2' });
    await store.record(second, 'exec-2', obs.observability.now());
    yay.transferFaults.push('timeout-not-applied');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);

    // Same amount: had it gone through, the balance would read "snapshot + amount" for the first order.
    await expect(transferCredit(deps, { order: second, customer })).rejects.toBeInstanceOf(LeaseBusy);
    expect(yay.transferCalls).toHaveLength(1);

    expect((await reconcileTransfer(reconcileDeps(), order.orderKey)).decision).toBe('retry');
    await expect(transferCredit(deps, { order: second, customer })).resolves.toMatchObject({
      status: 'APPLIED',
    });
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED' });
    expect(yay.applied).toHaveLength(2);
    expect(balanceOf()).toBe(22_000);
  });

  it('makes one Yay call at a time for two orders of one customer and credits each once', async () => {
    const second = orderEvent({
      kind: 'paid',
      orderId: 'cs_test_order_2',
      credit: { amount: 5_000, currency: 'GBP' },
    });
    await store.record(second, 'exec-2', obs.observability.now());
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Fail fast rather than hang if a second call ever overlaps the first.
    yay.gate = () => (yay.inFlight > 1 ? Promise.reject(new Error('overlapping Yay calls')) : held);

    // The state machine retries LeaseBusy; emulate that with a loop.
    const withRetry = async (run: () => Promise<unknown>) => {
      for (;;) {
        try {
          return await run();
        } catch (error) {
          if (!(error instanceof LeaseBusy)) throw error;
          release();
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    };
    const results = await Promise.all([
      withRetry(() => transferCredit(deps, { order, customer })),
      withRetry(() => transferCredit(deps, { order: second, customer })),
    ]);
    expect(results).toEqual([
      { status: 'APPLIED', amount: 10_000, balanceAfter: 12_000, factCount: 1 },
      { status: 'APPLIED', amount: 5_000, balanceAfter: 17_000, factCount: 0 },
    ]);
    expect(yay.maxInFlight).toBe(1);
    expect(yay.applied).toHaveLength(2);
    expect(balanceOf()).toBe(17_000);
  });

  it('calls Yay once when two executions of the same order transfer at the same time', async () => {
    const results = await Promise.allSettled([transferCredit(deps, input()), transferCredit(deps, input())]);
    const applied = results.filter((r) => r.status === 'fulfilled');
    const busy = results.filter((r) => r.status === 'rejected' && r.reason instanceof LeaseBusy);
    expect(applied.length + busy.length).toBe(2);
    expect(yay.applied).toHaveLength(1);
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED' });
    expect(yay.transferCalls).toHaveLength(1);
  });

  /** A refund recorded as dispatch records it: on the order, then noted on the intent. */
  async function refund(amount = 1_000, id = 're_test_1') {
    const { order: after } = await store.recordFact(
      order.orderKey,
      refundFact({ id, amount }),
      obs.observability.now(),
    );
    await store.noteMoneyChange(order.orderKey, after.factCount ?? 0, obs.observability.now());
  }

  it('still reports APPLIED for a replay after a refund that came after the credit moved', async () => {
    await transferCredit(deps, input());
    await refund();
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED', amount: 10_000 });
    expect(yay.transferCalls).toHaveLength(1);
  });

  it('reports an order refunded in full CANCELLED without a transfer call, however often it runs', async () => {
    await refund();
    const cancelled = { status: 'CANCELLED', amount: 0, reason: expect.stringMatching(/refunded/) };
    await expect(transferCredit(deps, input())).resolves.toMatchObject(cancelled);
    await expect(transferCredit(deps, input())).resolves.toMatchObject(cancelled);
    expect(yay.transferCalls).toHaveLength(0);
  });

  it('never starts the call when a refund in full lands while the balances are read: it derives again and cancels', async () => {
    const original = yay.resellerBalance.bind(yay);
    yay.resellerBalance = async () => {
      await refund();
      return original();
    };
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'CANCELLED' });
    expect(yay.transferCalls).toHaveLength(0);
    expect((await store.getIntent(order.orderKey))?.status).toBe('CANCELLED');
  });

  it('moves the smaller amount when a partial refund lands while the balances are read', async () => {
    const original = yay.resellerBalance.bind(yay);
    let once = false;
    yay.resellerBalance = async () => {
      if (!once) {
        once = true;
        await refund(250);
      }
      return original();
    };
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED', amount: 7_500 });
    expect(yay.applied).toEqual([{ uuid: customer.uuid, amount: 7_500 }]);
  });
  describe("with Yay's balance history", () => {
    beforeEach(() => {
      yay.customerBalanceHistoryReadable = true;
      // The customer's opening credit is minutes old when the order is paid.
      obs.advance(300);
    });

    it('decides a lost answer applied from the history, though the customer spent the credit before reconcile ran', async () => {
      yay.transferFaults.push('lost-answer');
      await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
      // The customer calls away exactly what arrived: by balances alone the transfer would look not applied.
      obs.advance(30);
      yay.spend(customer.uuid, 10_000);

      const decision = await reconcileTransfer(reconcileDeps(), order.orderKey);

      expect(decision).toMatchObject({
        decision: 'applied',
        reason: expect.stringContaining('history shows'),
      });
      await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED' });
      expect(yay.transferCalls).toHaveLength(1);
    });

    it('decides a call that never landed not applied from a history that accounts for the balance without the credit, whatever the amount', async () => {
      yay.transferFaults.push('timeout-not-applied');
      await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
      obs.advance(30);
      yay.spend(customer.uuid, 500);

      const decision = await reconcileTransfer({ ...reconcileDeps(), byBalanceUpTo: 0 }, order.orderKey);

      expect(decision).toMatchObject({
        decision: 'retry',
        reason: expect.stringContaining('history accounts for'),
      });
    });

    it('never proves a call not applied while a credit of its amount sits just before it (a Yay clock behind ours)', async () => {
      yay.transferFaults.push('lost-answer');
      // Yay stamps five minutes behind our clock; the customer spends exactly what arrived.
      yay.now = () => new Date(obs.observability.now().getTime() - 300_000);
      await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
      obs.advance(30);
      yay.spend(customer.uuid, 10_000);

      const decision = await reconcileTransfer({ ...reconcileDeps(), byBalanceUpTo: 5_000 }, order.orderKey);

      expect(decision.decision).toBe('needs_review');
      expect(yay.transferCalls).toHaveLength(1);
    });

    it('does not trust a history that lags the balance: a person decides above the limit', async () => {
      yay.transferFaults.push('timeout-not-applied');
      await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);
      // Yay's history is behind: its newest balance is not the balance now.
      const record = yay.customers.get(customer.uuid);
      if (record) record.balance -= 150;

      const decision = await reconcileTransfer({ ...reconcileDeps(), byBalanceUpTo: 5_000 }, order.orderKey);

      expect(decision).toMatchObject({
        decision: 'needs_review',
        reason: expect.stringContaining('above the 5.000'),
      });
    });
  });

  it('waits out a customer-balance read that is down, never calling without the snapshot a reconciliation needs', async () => {
    // A 15-second outage of the balance read: the step is retried by the graph, the call made once it answers.
    yay.customerBalanceError = new YayUnavailable('GET /account/reseller-balance/…: Yay answered 503', true);
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(YayUnavailable);
    expect(yay.transferCalls).toEqual([]);
    expect((await store.getIntent(order.orderKey))?.status).toBe('PENDING');

    yay.customerBalanceError = undefined;
    await expect(transferCredit(deps, input())).resolves.toMatchObject({ status: 'APPLIED' });
    expect(await store.getIntent(order.orderKey)).toMatchObject({
      customerBalanceBefore: 2_000,
      attempts: 1,
    });
  });

  it('sends an unknown outcome above the configured amount to a person when no history answers', async () => {
    yay.transferFaults.push('timeout-not-applied');
    await expect(transferCredit(deps, input())).rejects.toBeInstanceOf(TransferOutcomeUnknown);

    const decision = await reconcileTransfer({ ...reconcileDeps(), byBalanceUpTo: 9_999 }, order.orderKey);

    expect(decision.decision).toBe('needs_review');
    expect(decision.reason).toMatch(/above the 9\.999 decided from balances alone/);
  });
});

describe('resolveTransfer', () => {
  const h = workflowHarness();
  let store: DynamoStore;
  let yay: FakeYay;
  let obs: WorkflowHarness['obs'];
  let customer: CustomerRef;
  const order = orderEvent({ kind: 'paid' });

  beforeEach(async () => {
    ({ store, yay, obs } = h);
    // A transfer Yay's history could decide would never reach a person: these cases have none.
    yay.customerBalanceHistoryReadable = false;
    customer = { uuid: yay.addCustomer('ctestcustomer', 2_000), name: 'ctestcustomer', created: true };
    await store.record(order, executionName(order.orderKey), obs.observability.now());
  });

  const transferDeps = () => ({ ...obs.observability, orders: store, transfers: store, leases: store, yay });
  const resolveDeps = () => h.deps;

  /**
   * A transfer whose answer was lost (`fault`), undecidable because the customer balance cannot be read, on an
   * order whose execution then ended waiting for a person, as the graph's Record outcome step leaves it.
   */
  async function reviewAfterExecutionEnded(fault: 'lost-answer' | 'timeout-not-applied') {
    yay.transferFaults.push(fault);
    await expect(transferCredit(transferDeps(), { order, customer })).rejects.toBeInstanceOf(
      TransferOutcomeUnknown,
    );
    yay.customerBalanceReadable = false;
    const reconciled = await reconcileTransfer(transferDeps(), order.orderKey);
    await store.recordOutcome(order.orderKey, 'needs_attention', undefined, obs.observability.now(), {
      attention: {
        reason: 'transfer_review',
        message: reconciled.reason,
        action: attentionAction('transfer_review', order.orderKey),
        since: obs.observability.now().toISOString(),
      },
    });
    yay.customerBalanceReadable = true;
  }

  it('starts exactly one replay, which moves the credit once, when resolved not applied after the execution ended', async () => {
    await reviewAfterExecutionEnded('timeout-not-applied');

    const resolved = await resolveTransfer(
      resolveDeps(),
      order.orderKey,
      'not-applied',
      'balance unchanged in Yay',
    );

    const name = executionName(order.orderKey, 1);
    expect(resolved.replay?.executionName).toBe(name);
    expect(resolved.intent.status).toBe('NOT_APPLIED');
    expect(h.started).toEqual([{ name, input: { order, executionArn: executionArnOf(name) } }]);
    const stored = await store.get(order.orderKey);
    expect(stored).toMatchObject({ state: 'open', replays: 1, executionName: name });
    expect(stored?.attention).toBeUndefined();
    expect(stored?.actions).toEqual([
      {
        action: 'resolve-transfer',
        at: obs.observability.now().toISOString(),
        reason: 'balance unchanged in Yay',
        detail: 'not-applied',
      },
    ]);
    // What the replay's Transfer credit step then does.
    await expect(transferCredit(transferDeps(), { order, customer })).resolves.toMatchObject({
      status: 'APPLIED',
    });
    expect(yay.applied).toEqual([{ uuid: customer.uuid, amount: 10_000 }]);
  });

  it('starts nothing more when the same not-applied decision is repeated', async () => {
    await reviewAfterExecutionEnded('timeout-not-applied');
    await resolveTransfer(resolveDeps(), order.orderKey, 'not-applied', 'balance unchanged in Yay');

    const again = await resolveTransfer(resolveDeps(), order.orderKey, 'not-applied', 'asked twice');

    expect(again.replay).toBeUndefined();
    expect(h.started).toHaveLength(1);
    expect(await store.get(order.orderKey)).toMatchObject({
      replays: 1,
      actions: [{ detail: 'not-applied' }],
    });
  });

  it('records the decision without a replay while the order is still open: its execution moves the credit', async () => {
    yay.transferFaults.push('timeout-not-applied');
    await expect(transferCredit(transferDeps(), { order, customer })).rejects.toBeInstanceOf(
      TransferOutcomeUnknown,
    );
    yay.customerBalanceReadable = false;
    await reconcileTransfer(transferDeps(), order.orderKey);

    const resolved = await resolveTransfer(resolveDeps(), order.orderKey, 'not-applied', 'checked');

    expect(resolved.replay).toBeUndefined();
    expect(h.started).toEqual([]);
    expect(await store.get(order.orderKey)).toMatchObject({
      state: 'open',
      replays: 0,
      actions: [{ action: 'resolve-transfer', detail: 'not-applied' }],
    });
  });

  it('records the order fulfilled, clears its attention and records the decision when resolved applied', async () => {
    await reviewAfterExecutionEnded('lost-answer');
    expect(await store.listAttention()).toHaveLength(1);

    const resolved = await resolveTransfer(resolveDeps(), order.orderKey, 'applied', 'balance rose in Yay');

    expect(resolved).toEqual({ intent: expect.objectContaining({ status: 'APPLIED' }) });
    const stored = await store.get(order.orderKey);
    expect(stored).toMatchObject({ state: 'fulfilled', outcome: 'fulfilled' });
    expect(stored?.attention).toBeUndefined();
    expect(stored?.actions).toEqual([
      {
        action: 'resolve-transfer',
        at: obs.observability.now().toISOString(),
        reason: 'balance rose in Yay',
        detail: 'applied',
      },
    ]);
    expect(await store.listAttention()).toEqual([]);
    expect(h.started).toEqual([]);
    expect(obs.recorded.metricTotal(MetricNames.CreditMovedMillis)).toBe(10_000);
  });
});
