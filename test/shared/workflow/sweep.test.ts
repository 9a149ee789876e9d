import { SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { executionName } from '../../../shared/domain/keys';
import { OrderInvalid, TransferOutcomeUnknown } from '../../../shared/errors';
import { MetricNames } from '../../../shared/metric-names';
import type { DynamoStore } from '../../../shared/store/dynamo-store';
import { reconcileCustomers } from '../../../shared/workflow/daily-reconciliation';
import { dispatchOrderEvent } from '../../../shared/workflow/dispatch';
import { reconcileTransfer } from '../../../shared/workflow/reconcile-transfer';
import { recordOutcome } from '../../../shared/workflow/record-outcome';
import { replayOrder, sweep } from '../../../shared/workflow/sweep';
import { DEFAULT_LEASE_SECONDS, transferCredit } from '../../../shared/workflow/transfer-credit';
import type { FakeYay, recordingObservability, TransferFault } from './fakes';
import { orderEvent, paidEvent, paymentFact, refundEvent, refundFact } from './fixtures';
import { executionArnOf as arnOf, type WorkflowDeps, workflowHarness } from './harness';
import type { outboundRecorder } from './outbound';

const WINDOW = 7 * 24 * 3600;
const TOKEN = 'test-only-task-token-not-a-secret';

describe('sweep', () => {
  const h = workflowHarness();
  const sfn = h.sfn;
  let store: DynamoStore;
  let yay: FakeYay;
  let obs: ReturnType<typeof recordingObservability>;
  let deps: WorkflowDeps;
  let outbound: ReturnType<typeof outboundRecorder>;
  /** Execution status by ARN, as DescribeExecution answers it; absent = does not exist. */
  let executions: Map<string, string>;
  beforeEach(() => {
    ({ store, yay, obs, deps, outbound, executions } = h);
  });

  const dispatch = (event = orderEvent()) => dispatchOrderEvent(deps, event);
  /** What an execution's Transfer credit and Reconcile transfer steps get. */
  const transferDeps = () => deps;

  it('restarts an open order whose execution is gone, under the same name', async () => {
    const event = orderEvent();
    await dispatch(event);
    executions.clear(); // e.g. StartExecution never reached Step Functions
    sfn.resetHistory();
    obs.advance(600);
    const report = await sweep(deps, { paymentWindowSeconds: WINDOW });
    expect(report.restarted).toEqual([event.orderKey]);
    const started = sfn.commandCalls(StartExecutionCommand);
    expect(started).toHaveLength(1);
    expect(started[0]?.args[0].input.name).toBe(executionName(event.orderKey));
  });

  it('restarts a gone execution only once when the sweep runs twice', async () => {
    await dispatch();
    executions.clear();
    sfn.resetHistory();
    obs.advance(600);
    await sweep(deps, { paymentWindowSeconds: WINDOW });
    obs.advance(900);
    const second = await sweep(deps, { paymentWindowSeconds: WINDOW });
    expect(second.restarted).toEqual([]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('leaves orders touched in the last minutes alone', async () => {
    await dispatch();
    executions.clear();
    sfn.resetHistory();
    const report = await sweep(deps, { paymentWindowSeconds: WINDOW });
    expect(report.restarted).toEqual([]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('replays an order whose execution failed without an outcome, with a -r1 name, and parks it for a person after the limit', async () => {
    const event = orderEvent();
    await dispatch(event);
    executions.set(arnOf(executionName(event.orderKey)), 'FAILED');
    obs.advance(600);
    const report = await sweep(deps, { paymentWindowSeconds: WINDOW, maxAutoReplays: 1 });
    expect(report.replayed).toEqual([event.orderKey]);
    const replayName = executionName(event.orderKey, 1);
    expect(replayName.endsWith('-r1')).toBe(true);
    expect(sfn.commandCalls(StartExecutionCommand).at(-1)?.args[0].input.name).toBe(replayName);
    expect(await store.get(event.orderKey)).toMatchObject({ replays: 1, executionName: replayName });

    executions.set(arnOf(replayName), 'FAILED');
    obs.advance(600);
    outbound.clear();
    const again = await sweep(deps, { paymentWindowSeconds: WINDOW, maxAutoReplays: 1 });
    expect(again.gaveUp).toEqual([event.orderKey]);
    // Not left open with a log line: waiting where a person looks, with the reason and the way out.
    const parked = await store.get(event.orderKey);
    expect(parked).toMatchObject({ state: 'needs_attention', attention: { reason: 'failed' } });
    expect(parked?.attention?.message).toContain('ended FAILED without recording an outcome, 2 times');
    expect(parked?.attention?.action).toContain('ops -- replay');
    expect((await store.listOpen()).map((order) => order.orderKey)).not.toContain(event.orderKey);
    expect(outbound.types()).toEqual(['Order Needs Attention']);
    expect(obs.recorded.metricTotal(MetricNames.OrdersNeedingAttention)).toBe(1);

    // The next sweep finds nothing to do: parked once, counted once, no replay.
    sfn.resetHistory();
    obs.advance(600);
    const third = await sweep(deps, { paymentWindowSeconds: WINDOW, maxAutoReplays: 1 });
    expect(third).toMatchObject({ gaveUp: [], replayed: [] });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(obs.recorded.metricTotal(MetricNames.OrdersNeedingAttention)).toBe(1);
  });

  it('expires an unpaid order past the payment window whose execution is gone', async () => {
    const event = orderEvent();
    await dispatch(event);
    executions.clear();
    obs.advance(WINDOW + 1);
    const report = await sweep(deps, { paymentWindowSeconds: WINDOW });
    expect(report.expired).toEqual([event.orderKey]);
    expect(await store.get(event.orderKey)).toMatchObject({ state: 'expired', outcome: 'expired' });
    expect(await store.listOpen()).toHaveLength(0);
  });

  it('resumes a running wait whose resume was lost after the order was marked paid', async () => {
    const event = orderEvent();
    await dispatch(event);
    await store.storeTaskToken(event.orderKey, TOKEN, obs.observability.now());
    await store.recordFact(event.orderKey, paymentFact(), obs.observability.now()); // the resume itself never happened
    obs.advance(600);
    const report = await sweep(deps, { paymentWindowSeconds: WINDOW });
    expect(report.resumed).toEqual([event.orderKey]);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.taskToken).toBe(TOKEN);
  });

  /** The order's transfer as its execution would have left it: attempted once, with `fault`. */
  async function attemptTransfer(event: ReturnType<typeof orderEvent>, fault: TransferFault) {
    const uuid = [...yay.customers.keys()][0] ?? yay.addCustomer('cname');
    const customer = { uuid, name: 'cname', created: true };
    yay.transferFaults.push(fault);
    await expect(transferCredit(transferDeps(), { order: event, customer })).rejects.toBeInstanceOf(
      TransferOutcomeUnknown,
    );
    return customer;
  }

  /** What Record outcome leaves when the execution ends failed (e.g. its reconcile ran out of LeaseBusy retries). */
  async function executionEndedFailed(event: ReturnType<typeof orderEvent>, replay?: number) {
    await recordOutcome(deps, { order: event, outcome: 'failed', error: { Error: 'LeaseBusy' } });
    executions.set(arnOf(executionName(event.orderKey, replay)), 'FAILED');
  }

  const startedNames = () => sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);

  it("leaves an UNKNOWN transfer of an open order to the order's running execution, deciding nothing itself", async () => {
    const event = orderEvent({ kind: 'paid' });
    await dispatch(event);
    await attemptTransfer(event, 'lost-answer');
    sfn.resetHistory();
    obs.advance(600);

    const report = await sweep(deps, { paymentWindowSeconds: WINDOW });

    expect(report.reconciling).toEqual([]);
    expect(report.replayed).toEqual([]);
    expect(startedNames()).toEqual([]);
    expect((await store.getIntent(event.orderKey))?.status).toBe('UNKNOWN');
  });

  it('replays, once, a failed order whose transfer is UNKNOWN; the replay meets the intent and reconciles it without a second call', async () => {
    const event = orderEvent({ kind: 'paid' });
    await dispatch(event);
    const customer = await attemptTransfer(event, 'lost-answer');
    await executionEndedFailed(event);
    sfn.resetHistory();
    obs.advance(600);

    const report = await sweep(deps, { paymentWindowSeconds: WINDOW });
    obs.advance(900);
    const again = await sweep(deps, { paymentWindowSeconds: WINDOW });

    const replayName = executionName(event.orderKey, 1);
    expect(report).toMatchObject({ reconciling: [event.orderKey], replayed: [event.orderKey] });
    expect(again).toMatchObject({ reconciling: [], replayed: [] });
    expect(startedNames()).toEqual([replayName]);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}')).toEqual({
      order: event,
      executionArn: arnOf(replayName),
    });
    expect(await store.get(event.orderKey)).toMatchObject({
      state: 'open',
      replays: 1,
      executionName: replayName,
    });
    // The sweep decided nothing; the replay's Transfer credit and Reconcile transfer do (the graph's path).
    expect((await store.getIntent(event.orderKey))?.status).toBe('UNKNOWN');
    await expect(transferCredit(transferDeps(), { order: event, customer })).rejects.toBeInstanceOf(
      TransferOutcomeUnknown,
    );
    expect((await reconcileTransfer(transferDeps(), event.orderKey)).decision).toBe('applied');
    expect(yay.transferCalls).toHaveLength(1);
  });

  it('replays a failed paid order whose transfer timed out, and the replay moves the credit once when reconciled not applied', async () => {
    const event = orderEvent({ kind: 'paid' });
    await dispatch(event);
    const customer = await attemptTransfer(event, 'timeout-not-applied');
    await executionEndedFailed(event);
    obs.advance(600);

    const report = await sweep(deps, { paymentWindowSeconds: WINDOW });

    expect(report.reconciling).toEqual([event.orderKey]);
    expect(startedNames().at(-1)).toBe(executionName(event.orderKey, 1));
    await expect(transferCredit(transferDeps(), { order: event, customer })).rejects.toBeInstanceOf(
      TransferOutcomeUnknown,
    );
    expect((await reconcileTransfer(transferDeps(), event.orderKey)).decision).toBe('retry');
    await expect(transferCredit(transferDeps(), { order: event, customer })).resolves.toMatchObject({
      status: 'APPLIED',
    });
    expect(yay.applied).toHaveLength(1);
  });

  it('replays a refunded order with an UNKNOWN transfer harmlessly: proven not applied, it ends CANCELLED with no credit', async () => {
    const event = paidEvent();
    await dispatch(event);
    const customer = await attemptTransfer(event, 'timeout-not-applied');
    await executionEndedFailed(event);
    await dispatch(refundEvent(event));
    obs.advance(600);

    expect((await sweep(deps, { paymentWindowSeconds: WINDOW })).reconciling).toEqual([event.orderKey]);

    await expect(transferCredit(transferDeps(), { order: event, customer })).rejects.toBeInstanceOf(
      TransferOutcomeUnknown,
    );
    expect((await reconcileTransfer(transferDeps(), event.orderKey)).decision).toBe('retry');
    await expect(transferCredit(transferDeps(), { order: event, customer })).resolves.toMatchObject({
      status: 'CANCELLED',
    });
    expect(yay.applied).toEqual([]);
  });

  it('replays a finished order whose transfer stopped IN_FLIGHT only once the lease of that attempt has expired', async () => {
    const event = orderEvent({ kind: 'paid' });
    await dispatch(event);
    const uuid = yay.addCustomer('cname');
    await store.planIntent(
      event.orderKey,
      { customerUuid: uuid, customerName: 'cname' },
      obs.observability.now(),
    );
    await store.transition(
      event.orderKey,
      ['PENDING'],
      'IN_FLIGHT',
      { amount: 10_000 },
      obs.observability.now(),
    );
    await executionEndedFailed(event);
    const options = { paymentWindowSeconds: WINDOW, minAgeSeconds: 0 };

    obs.advance(DEFAULT_LEASE_SECONDS - 1);
    const whileLeased = await sweep(deps, options);
    obs.advance(2);
    const afterLease = await sweep(deps, options);

    expect(whileLeased.reconciling).toEqual([]);
    expect(afterLease.reconciling).toEqual([event.orderKey]);
  });

  it('starts one replay when two sweeps meet the same undecided transfer at the same time', async () => {
    const event = orderEvent({ kind: 'paid' });
    await dispatch(event);
    await attemptTransfer(event, 'lost-answer');
    await executionEndedFailed(event);
    sfn.resetHistory();
    obs.advance(600);

    const reports = await Promise.all([
      sweep(deps, { paymentWindowSeconds: WINDOW }),
      sweep(deps, { paymentWindowSeconds: WINDOW }),
    ]);

    expect(reports.flatMap((report) => report.reconciling)).toEqual([event.orderKey]);
    expect(startedNames()).toEqual([executionName(event.orderKey, 1)]);
  });

  it('parks an undecided transfer for review once the automatic replays are used up', async () => {
    const event = orderEvent({ kind: 'paid' });
    await dispatch(event);
    await attemptTransfer(event, 'lost-answer');
    await executionEndedFailed(event);
    obs.advance(600);
    await sweep(deps, { paymentWindowSeconds: WINDOW, maxAutoReplays: 1 });
    // The replay ends failed too, its transfer still undecided.
    await executionEndedFailed(event, 1);
    sfn.resetHistory();
    obs.advance(600);

    const report = await sweep(deps, { paymentWindowSeconds: WINDOW, maxAutoReplays: 1 });

    expect(report).toMatchObject({ gaveUp: [event.orderKey], reconciling: [] });
    expect(startedNames()).toEqual([]);
    // A person decides, through the one command that takes it (resolve-transfer accepts NEEDS_REVIEW).
    expect((await store.getIntent(event.orderKey))?.status).toBe('NEEDS_REVIEW');
    expect(await store.get(event.orderKey)).toMatchObject({
      state: 'needs_attention',
      attention: { reason: 'transfer_review' },
    });
    expect(outbound.types()).toContain('Order Needs Attention');

    obs.advance(600);
    const again = await sweep(deps, { paymentWindowSeconds: WINDOW, maxAutoReplays: 1 });
    expect(again).toMatchObject({ gaveUp: [], reconciling: [] });
  });

  it('parks a stale IN_FLIGHT transfer of a finished order for review once the replays are used up', async () => {
    const event = orderEvent({ kind: 'paid' });
    await dispatch(event);
    await attemptTransfer(event, 'lost-answer');
    // The attempt's process died mid-call: the intent stays IN_FLIGHT, its lease long gone.
    await store.transition(event.orderKey, ['UNKNOWN'], 'IN_FLIGHT', {}, obs.observability.now());
    await executionEndedFailed(event);
    await store.beginReplay(
      event.orderKey,
      0,
      executionName(event.orderKey, 1),
      'test',
      obs.observability.now(),
      {
        fromStates: ['failed'],
      },
    );
    await executionEndedFailed(event, 1);
    obs.advance(DEFAULT_LEASE_SECONDS + 600);

    const report = await sweep(deps, { paymentWindowSeconds: WINDOW, maxAutoReplays: 1 });

    expect(report.gaveUp).toEqual([event.orderKey]);
    expect((await store.getIntent(event.orderKey))?.status).toBe('NEEDS_REVIEW');
    expect(await store.get(event.orderKey)).toMatchObject({ attention: { reason: 'transfer_review' } });
  });

  it('reports the reseller balance and the credit still owed, as the money of each order says', async () => {
    await dispatch(paidEvent(orderEvent({ orderId: 'owed-1' })));
    await dispatch(paidEvent(orderEvent({ orderId: 'owed-2', credit: { amount: 2_500, currency: 'GBP' } })));
    const partly = paidEvent(orderEvent({ orderId: 'owed-3', credit: { amount: 2_000, currency: 'GBP' } }));
    await dispatch(partly);
    // £5 of £10 refunded: 1.000 of its 2.000 still owed.
    await dispatch(refundEvent(partly, refundFact({ amount: 500 })));
    await dispatch(orderEvent({ orderId: 'unpaid' }));
    yay.resellerMillis = 12_000;
    const report = await sweep(deps, { paymentWindowSeconds: WINDOW });
    expect(report.creditOwed).toBe(13_500);
    expect(report.resellerBalance).toBe(12_000);
    expect(obs.recorded.metricTotal(MetricNames.CreditOwedMillis)).toBe(13_500);
    expect(obs.recorded.metricTotal(MetricNames.ResellerBalanceMillis)).toBe(12_000);
    expect(obs.recorded.logs.some((line) => line.level === 'error' && /top up/.test(line.message))).toBe(
      true,
    );
  });

  it('replays, once, an open paid order whose execution succeeded as its payment arrived (a late payment)', async () => {
    const event = orderEvent();
    await dispatch(event);
    await store.recordFact(event.orderKey, paymentFact(), obs.observability.now());
    // The execution's expiry found the payment and left the order open, then the execution ended.
    const expiry = await store.recordOutcome(
      event.orderKey,
      'expired',
      { Error: 'States.Timeout' },
      obs.observability.now(),
    );
    expect(expiry.reopened).toBe(true);
    executions.set(arnOf(executionName(event.orderKey)), 'SUCCEEDED');
    sfn.resetHistory();

    obs.advance(600);
    const report = await sweep(deps, { paymentWindowSeconds: WINDOW });
    obs.advance(900);
    const again = await sweep(deps, { paymentWindowSeconds: WINDOW });

    expect(report.replayed).toEqual([event.orderKey]);
    expect(again.replayed).toEqual([]);
    expect(sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name)).toEqual([
      executionName(event.orderKey, 1),
    ]);
    expect(await store.get(event.orderKey)).toMatchObject({
      state: 'open',
      payment: 'paid',
      replays: 1,
      replayReason: expect.stringContaining('money came as the execution ended'),
    });
  });

  it('sets an open unpaid order whose execution ended going again, waiting for its payment: never left open', async () => {
    const event = orderEvent();
    await dispatch(event);
    executions.set(arnOf(executionName(event.orderKey)), 'SUCCEEDED');
    sfn.resetHistory();
    obs.advance(600);

    const report = await sweep(deps, { paymentWindowSeconds: WINDOW });

    expect(report.replayed).toEqual([event.orderKey]);
    expect(sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name)).toEqual([
      executionName(event.orderKey, 1),
    ]);
  });

  it('reopens, rather than expires, an unpaid order past the window whose payment arrives as the sweep expires it', async () => {
    const event = orderEvent();
    await dispatch(event);
    executions.clear();
    obs.advance(WINDOW + 1);
    // The payment lands between the sweep listing the order (unpaid) and writing its expiry.
    const paidMeanwhile: DynamoStore = {
      ...store,
      recordOutcome: async (...args) => {
        await store.recordFact(args[0], paymentFact(), obs.observability.now());
        return store.recordOutcome(...args);
      },
    };

    const report = await sweep({ ...deps, orders: paidMeanwhile }, { paymentWindowSeconds: WINDOW });

    expect(report.expired).not.toContain(event.orderKey);
    const order = await store.get(event.orderKey);
    expect(order).toMatchObject({ state: 'open', payment: 'paid' });
    expect(order?.outcome).toBeUndefined();
    expect((await store.listOpen()).map((open) => open.orderKey)).toEqual([event.orderKey]);
    // The next sweep starts the execution that credits it.
    obs.advance(600);
    expect((await sweep(deps, { paymentWindowSeconds: WINDOW })).restarted).toEqual([event.orderKey]);
  });

  describe('replayOrder', () => {
    it('starts the next -r<n> execution and refuses while the current one runs', async () => {
      const event = orderEvent();
      await dispatch(event);
      await expect(replayOrder(deps, event.orderKey, 'ops')).rejects.toThrow(/still running/);
      executions.set(arnOf(executionName(event.orderKey)), 'SUCCEEDED');
      const replay = await replayOrder(deps, event.orderKey, 'ops');
      expect(replay.executionName).toBe(executionName(event.orderKey, 1));
      expect(await store.get(event.orderKey)).toMatchObject({
        replays: 1,
        replayReason: 'ops',
        state: 'open',
      });
    });

    it('refuses an unknown order with OrderInvalid naming it', async () => {
      await expect(replayOrder(deps, 'stripe:acct_test:nope', 'ops')).rejects.toThrow(OrderInvalid);
      await expect(replayOrder(deps, 'stripe:acct_test:nope', 'ops')).rejects.toThrow(
        /stripe:acct_test:nope/,
      );
    });
  });
});

describe('reconcileCustomers', () => {
  const h = workflowHarness();

  it('reports recorded customers missing from Yay or renamed there as drift', async () => {
    const { store, yay, obs } = h;
    const kept = yay.addCustomer('ckept');
    const renamed = yay.addCustomer('cother');
    yay.addCustomer('cnotours');
    const now = obs.observability.now();
    await store.putCustomer('buyer-kept', { uuid: kept, name: 'ckept' }, now);
    await store.putCustomer('buyer-renamed', { uuid: renamed, name: 'cwas' }, now);
    await store.putCustomer('buyer-gone', { uuid: 'uuid-deleted', name: 'cgone' }, now);

    const report = await reconcileCustomers({ ...obs.observability, buyers: store, yay });
    expect(report).toMatchObject({ recorded: 3, remote: 3, unrecorded: 1, drift: 2 });
    expect(report.missing).toEqual([{ buyerKey: 'buyer-gone', customerUuid: 'uuid-deleted' }]);
    expect(report.renamed[0]).toMatchObject({ buyerKey: 'buyer-renamed', remoteName: 'cother' });
    expect(obs.recorded.metricTotal(MetricNames.ReconciliationDrift)).toBe(2);
  });

  it('emits a zero drift metric when everything matches', async () => {
    const { store, yay, obs } = h;
    await store.putCustomer(
      'buyer',
      { uuid: yay.addCustomer('cname'), name: 'cname' },
      obs.observability.now(),
    );
    const report = await reconcileCustomers({ ...obs.observability, buyers: store, yay });
    expect(report.drift).toBe(0);
    expect(obs.recorded.metrics).toEqual([
      { name: MetricNames.ReconciliationDrift, unit: 'Count', value: 0 },
    ]);
  });
});
