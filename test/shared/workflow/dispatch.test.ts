import {
  ExecutionAlreadyExists,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNServiceException,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { executionName } from '../../../shared/domain/keys';
import { MetricNames } from '../../../shared/metric-names';
import type { DynamoStore } from '../../../shared/store/dynamo-store';
import { awaitPayment } from '../../../shared/workflow/await-payment';
import { dispatchOrderEvent } from '../../../shared/workflow/dispatch';
import { reconcileTransfer, resolveTransfer } from '../../../shared/workflow/reconcile-transfer';
import { recordCustomer } from '../../../shared/workflow/record-customer';
import { recordOutcome } from '../../../shared/workflow/record-outcome';
import { transferCredit } from '../../../shared/workflow/transfer-credit';
import type { FakeYay, recordingObservability } from './fakes';
import { orderEvent, paidEvent, paymentFact, refundEvent, refundFact } from './fixtures';
import { STATE_MACHINE, type WorkflowDeps, workflowHarness } from './harness';
import type { outboundRecorder } from './outbound';

const TOKEN = 'test-only-task-token-not-a-secret';

describe('dispatchOrderEvent', () => {
  const h = workflowHarness();
  let store: DynamoStore;
  let obs: ReturnType<typeof recordingObservability>;
  let deps: WorkflowDeps;
  let yay: FakeYay;
  let outbound: ReturnType<typeof outboundRecorder>;
  const sfn = h.sfn;
  beforeEach(() => {
    ({ store, obs, deps, yay, outbound } = h);
  });

  const paymentDeps = () => ({ ...obs.observability, orders: store, workflow: deps.workflow });

  it('records a placed order and starts the execution named by its order key with the order as input', async () => {
    const event = orderEvent();
    const result = await dispatchOrderEvent(deps, event);
    expect(result.action).toBe('started');
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const sent = calls[0]?.args[0].input;
    expect(sent?.name).toBe(executionName(event.orderKey));
    expect(sent?.stateMachineArn).toBe(STATE_MACHINE);
    expect(JSON.parse(sent?.input ?? '{}')).toEqual({ order: event, executionArn: result.executionArn });
    const order = await store.get(event.orderKey);
    expect(order).toMatchObject({ state: 'open', payment: 'unpaid', executionArn: result.executionArn });
    expect(obs.recorded.metricTotal(MetricNames.OrdersReceived)).toBe(1);
  });

  it('collapses a duplicate delivery onto the existing execution and counts the order once', async () => {
    const event = orderEvent();
    await dispatchOrderEvent(deps, event);
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const again = await dispatchOrderEvent(deps, event);
    expect(again.action).toBe('already_started');
    expect(obs.recorded.metricTotal(MetricNames.OrdersReceived)).toBe(1);
    expect(await store.listOpen()).toHaveLength(1);
  });

  it('marks the order paid and resumes the stored token when a paid event follows placed', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await awaitPayment(paymentDeps(), { orderKey: placed.orderKey, taskToken: TOKEN });
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    const result = await dispatchOrderEvent(deps, { ...placed, kind: 'paid', sourceEventId: 'evt_2' });
    expect(result.action).toBe('resumed');
    const resumed = sfn.commandCalls(SendTaskSuccessCommand);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]?.args[0].input).toEqual({ taskToken: TOKEN, output: JSON.stringify({ paid: true }) });
    expect((await store.get(placed.orderKey))?.payment).toBe('paid');
  });

  it('remembers a confirmation that arrives before the order, so the later execution goes straight on', async () => {
    const placed = orderEvent();
    const early = await dispatchOrderEvent(deps, {
      ...placed,
      kind: 'payment_confirmed',
      address: undefined,
    });
    expect(early.action).toBe('payment_recorded');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(await store.listOpen()).toHaveLength(0);

    expect((await dispatchOrderEvent(deps, placed)).action).toBe('started');
    const payment = await recordCustomer(
      { ...obs.observability, orders: store, buyers: store, events: outbound.events },
      { order: placed, customer: { uuid: 'uuid-1', name: 'cname', created: true } },
    );
    expect(payment).toEqual({ paid: true });
  });

  it('resumes the wait exactly when needed whichever of the token and the confirmation lands first', async () => {
    // Run the two halves of the handshake concurrently many times: the task must be resumed every time.
    for (let round = 0; round < 15; round++) {
      sfn.resetHistory();
      const placed = orderEvent({ orderId: `race-${round}` });
      await dispatchOrderEvent(deps, placed);
      const token = `${TOKEN}-${round}`;
      const storeToken = () => awaitPayment(paymentDeps(), { orderKey: placed.orderKey, taskToken: token });
      const confirm = () => dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' });
      // Alternate which half is sent first, so both interleavings occur.
      await (round % 2 === 0
        ? Promise.all([storeToken(), confirm()])
        : Promise.all([confirm(), storeToken()]));
      const resumedWith = sfn
        .commandCalls(SendTaskSuccessCommand)
        .map((call) => call.args[0].input.taskToken);
      expect(resumedWith).toEqual([token]);
    }
  });

  it('logs and carries on when the task was already resumed or timed out', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await awaitPayment(paymentDeps(), { orderKey: placed.orderKey, taskToken: TOKEN });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'closed', $metadata: {} }));
    const result = await dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' });
    expect(result).toEqual({ action: 'payment_recorded', detail: 'TaskTimedOut' });
  });

  it('propagates any other error from resuming the task, so the delivery is retried', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await awaitPayment(paymentDeps(), { orderKey: placed.orderKey, taskToken: TOKEN });
    sfn.on(SendTaskSuccessCommand).rejects(
      new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'slow down',
        $metadata: {},
      }),
    );
    await expect(dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' })).rejects.toThrow(
      'slow down',
    );
    // The retry of the same event resumes it.
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect((await dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' })).action).toBe('resumed');
  });

  it('ends the wait with PaymentFailed when the payment fails', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await awaitPayment(paymentDeps(), { orderKey: placed.orderKey, taskToken: TOKEN });
    expect((await dispatchOrderEvent(deps, { ...placed, kind: 'payment_failed' })).action).toBe('resumed');
    const failed = sfn.commandCalls(SendTaskFailureCommand);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.args[0].input).toMatchObject({ taskToken: TOKEN, error: 'PaymentFailed' });
    expect((await store.get(placed.orderKey))?.payment).toBe('failed');
  });

  it('credits a payment that came after the store reported it failed: the payment stands', async () => {
    // WooCommerce: a buyer whose first attempt failed pays again on the same order.
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await dispatchOrderEvent(deps, { ...placed, kind: 'payment_failed' });
    await store.recordOutcome(placed.orderKey, 'payment_failed', undefined, obs.observability.now());

    const first = await dispatchOrderEvent(deps, paidEvent(placed));
    const again = await dispatchOrderEvent(deps, { ...paidEvent(placed), kind: 'payment_confirmed' });

    expect(first.action).toBe('late_payment');
    // The new execution runs: a repeat only finds the payment on the order.
    expect(again.action).toBe('payment_recorded');
    expect(await store.get(placed.orderKey)).toMatchObject({ state: 'open', payment: 'paid', replays: 1 });
    expect(obs.recorded.metricTotal(MetricNames.OrdersNeedingAttention)).toBe(0);
  });

  it('credits a payment confirmed after the order expired with a new execution, once for concurrent deliveries', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await store.recordOutcome(
      placed.orderKey,
      'expired',
      { Error: 'States.Timeout' },
      obs.observability.now(),
    );
    sfn.resetHistory();

    const results = await Promise.all([
      dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' }),
      dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' }),
      dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' }),
    ]);

    expect(results.map((r) => r.action).sort()).toEqual([
      'already_started',
      'already_started',
      'late_payment',
    ]);
    const starts = sfn.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0]?.args[0].input.name).toBe(executionName(placed.orderKey, 1));
    expect(await store.get(placed.orderKey)).toMatchObject({ state: 'open', payment: 'paid', replays: 1 });
    expect(obs.recorded.metricTotal(MetricNames.LatePaymentsCredited)).toBe(1);
    // Nobody is asked to do anything.
    expect(obs.recorded.logs.filter((line) => line.level === 'error' || line.level === 'warn')).toEqual([]);
  });

  it('credits a late payment when the wait times out just as the confirmation resumes it', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await awaitPayment(paymentDeps(), { orderKey: placed.orderKey, taskToken: TOKEN });
    // The window closes between reading the token and resuming it: the expiry is written first (as it would be
    // had the payment not been recorded yet), the token is dead.
    const expiredBefore = store.recordOutcome(
      placed.orderKey,
      'expired',
      { Error: 'States.Timeout' },
      obs.observability.now(),
    );
    await expiredBefore;
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'timed out', $metadata: {} }));

    const result = await dispatchOrderEvent(deps, {
      ...placed,
      kind: 'payment_confirmed',
      facts: [paymentFact()],
    });

    expect(result.action).toBe('late_payment');
    expect(sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name)).toEqual([
      executionName(placed.orderKey),
      executionName(placed.orderKey, 1),
    ]);
  });

  it('treats a repeated confirmation of an order already credited as a quiet no-op', async () => {
    const paid = orderEvent({ kind: 'paid' });
    await dispatchOrderEvent(deps, paid);
    await store.recordOutcome(paid.orderKey, 'fulfilled', undefined, obs.observability.now());
    sfn.resetHistory();

    const results = [];
    for (let i = 0; i < 5; i += 1)
      results.push(await dispatchOrderEvent(deps, { ...paid, kind: 'payment_confirmed' }));

    expect(results.every((r) => r.action === 'already_finished')).toBe(true);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(obs.recorded.logs.filter((line) => line.level !== 'debug' && line.level !== 'info')).toEqual([]);
  });

  it('owes nothing, and asks nobody, for a payment confirmed after a refund of the whole of it', async () => {
    // Order-independent: refunded 10.00, paid 10.00, whichever came first.
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await dispatchOrderEvent(deps, refundEvent(placed));
    await dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed', facts: [paymentFact()] });
    const customer = { uuid: yay.addCustomer('cname'), name: 'cname', created: true };

    const transfer = await transferCredit(deps, { order: placed, customer });

    expect(transfer).toMatchObject({ status: 'CANCELLED', amount: 0 });
    expect(yay.transferCalls).toEqual([]);
    expect(obs.recorded.metricTotal(MetricNames.OrdersNeedingAttention)).toBe(0);
  });

  it('does not start an order again once it has an outcome', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await store.recordOutcome(placed.orderKey, 'fulfilled', undefined, obs.observability.now());
    sfn.resetHistory();
    expect((await dispatchOrderEvent(deps, placed)).action).toBe('already_finished');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('cancels the transfer when a refund of the whole payment arrives before credit moved, so it never moves', async () => {
    const paid = paidEvent();
    await dispatchOrderEvent(deps, paid);
    expect((await dispatchOrderEvent(deps, refundEvent(paid))).action).toBe('refund_recorded');
    const uuid = yay.addCustomer('cname');
    await expect(
      transferCredit(deps, { order: paid, customer: { uuid, name: 'cname', created: true } }),
    ).resolves.toMatchObject({ status: 'CANCELLED', amount: 0 });
    expect(yay.transferCalls).toHaveLength(0);
    expect(obs.recorded.metricTotal(MetricNames.RefundAfterCredit)).toBe(0);
  });

  it('moves the rest when a partial refund arrives before credit moved: 9.000 of 10.000 for £1 of £10', async () => {
    const paid = paidEvent();
    await dispatchOrderEvent(deps, paid);
    await dispatchOrderEvent(deps, refundEvent(paid, refundFact({ id: '726', amount: 100 })));
    const uuid = yay.addCustomer('cname');

    const result = await transferCredit(deps, {
      order: paid,
      customer: { uuid, name: 'cname', created: true },
    });

    expect(result).toMatchObject({ status: 'APPLIED', amount: 9_000 });
    expect(yay.applied).toEqual([{ uuid, amount: 9_000 }]);
  });

  it('flags a refund after credit moved for a person, with a metric and an error log, once per refund', async () => {
    const paid = paidEvent();
    await dispatchOrderEvent(deps, paid);
    const uuid = yay.addCustomer('cname');
    await transferCredit(deps, { order: paid, customer: { uuid, name: 'cname', created: true } });
    await store.recordOutcome(paid.orderKey, 'fulfilled', undefined, obs.observability.now());

    const result = await dispatchOrderEvent(deps, refundEvent(paid));
    await dispatchOrderEvent(deps, refundEvent(paid));
    await dispatchOrderEvent(deps, refundEvent(paid));

    expect(result).toEqual({ action: 'refund_after_credit', detail: 'APPLIED' });
    expect(obs.recorded.metricTotal(MetricNames.RefundAfterCredit)).toBe(1);
    expect(obs.recorded.logs.filter((line) => line.level === 'error')).toHaveLength(1);
    expect((await store.getIntent(paid.orderKey))?.status).toBe('APPLIED');
    // The credit moved, and the state still says so; the attention is beside it, with what the money owes now.
    expect(await store.get(paid.orderKey)).toMatchObject({
      state: 'fulfilled',
      attention: {
        reason: 'refund_after_credit',
        message: expect.stringMatching(/10\.000 to customer cname.*the money now owes nothing/),
      },
    });
  });

  it('keeps a transfer under review in front of a person when a refund comes, and flags the refund once it is decided applied', async () => {
    const paid = paidEvent();
    await dispatchOrderEvent(deps, paid);
    const uuid = yay.addCustomer('cname');
    yay.transferFaults.push('lost-answer');
    yay.customerBalanceReadable = false;
    yay.customerBalanceHistoryReadable = false;
    await transferCredit(deps, { order: paid, customer: { uuid, name: 'cname', created: true } }).catch(
      () => {},
    );
    const decision = await reconcileTransfer(deps, paid.orderKey);
    await recordOutcome(deps, { order: paid, outcome: 'needs_attention', reconcile: decision });

    await dispatchOrderEvent(deps, refundEvent(paid));
    const duringReview = await store.get(paid.orderKey);
    await resolveTransfer(deps, paid.orderKey, 'applied', 'checked in Yay');
    const decided = await store.get(paid.orderKey);

    expect(duringReview?.attention?.reason).toBe('transfer_review');
    expect(decided).toMatchObject({ state: 'fulfilled', attention: { reason: 'refund_after_credit' } });
    expect(obs.recorded.metricTotal(MetricNames.RefundAfterCredit)).toBe(1);
  });

  it('flags a refund that came while the transfer was undecided once Reconcile decides it applied, not before', async () => {
    const paid = paidEvent();
    await dispatchOrderEvent(deps, paid);
    const uuid = yay.addCustomer('cname');
    yay.transferFaults.push('lost-answer');
    await transferCredit(deps, { order: paid, customer: { uuid, name: 'cname', created: true } }).catch(
      () => {},
    );

    const refunded = await dispatchOrderEvent(deps, refundEvent(paid));
    const beforeDecision = await store.get(paid.orderKey);
    const decision = await reconcileTransfer(deps, paid.orderKey);
    await recordOutcome(deps, { order: paid, outcome: 'fulfilled', reconcile: decision });

    expect(refunded).toEqual({ action: 'refund_recorded', detail: 'UNKNOWN' });
    expect(beforeDecision?.attention).toBeUndefined();
    expect(decision.decision).toBe('applied');
    expect(await store.get(paid.orderKey)).toMatchObject({
      state: 'fulfilled',
      refunded: true,
      attention: {
        reason: 'refund_after_credit',
        message: expect.stringContaining('credit moved (transfer APPLIED'),
      },
    });
    expect(obs.recorded.metricTotal(MetricNames.RefundAfterCredit)).toBe(1);
  });

  it("finds a refund's order through the payment the order claimed, without store metadata", async () => {
    const paid = paidEvent(orderEvent({ paymentRef: 'pi_3Qorder1' }));
    await dispatchOrderEvent(deps, paid);
    const refund = refundEvent(
      orderEvent({
        orderId: 'pi_3Qorder1',
        orderKey: 'stripe:acct_test:pi_3Qorder1',
        paymentRef: 'pi_3Qorder1',
      }),
    );

    expect(await dispatchOrderEvent(deps, refund)).toEqual({ action: 'refund_recorded', detail: 'PENDING' });

    expect(await store.get(paid.orderKey)).toMatchObject({ refunded: true, factCount: 2 });
    expect(await store.get(refund.orderKey)).toBeUndefined();
  });

  it('keeps a refund that names only a payment no order has claimed, and gives it to the order when it comes', async () => {
    const refund = refundEvent(
      orderEvent({
        orderId: 'pi_3Qlater',
        orderKey: 'stripe:acct_test:pi_3Qlater',
        paymentRef: 'pi_3Qlater',
      }),
    );

    expect(await dispatchOrderEvent(deps, refund)).toEqual({
      action: 'waiting_for_order',
      detail: 'pi_3Qlater',
    });
    expect(obs.recorded.metricTotal(MetricNames.RefundsUnmatched)).toBe(1);
    expect(await store.get(refund.orderKey)).toBeUndefined();

    const paid = paidEvent(orderEvent({ paymentRef: 'pi_3Qlater' }));
    await dispatchOrderEvent(deps, paid);
    expect(await store.get(paid.orderKey)).toMatchObject({ factCount: 2, refunded: true });
  });

  it('settles an order waiting for details when it is refunded in full or its payment fails: nothing is owed', async () => {
    const attention = {
      reason: 'missing_details' as const,
      message: 'm',
      action: 'a',
      since: '2026-11-27T06:00:00.000Z',
    };
    const refunded = paidEvent();
    const partly = paidEvent(
      orderEvent({ orderId: 'cs_test_order_3', orderKey: 'stripe:acct_test:cs_test_order_3' }),
    );
    const failed = orderEvent({ orderId: 'cs_test_order_2', orderKey: 'stripe:acct_test:cs_test_order_2' });
    for (const order of [refunded, partly, failed]) {
      await dispatchOrderEvent(deps, order);
      await store.recordOutcome(order.orderKey, 'needs_attention', undefined, obs.observability.now(), {
        attention,
      });
    }

    await dispatchOrderEvent(deps, refundEvent(refunded));
    await dispatchOrderEvent(deps, refundEvent(partly, refundFact({ amount: 100 })));
    await dispatchOrderEvent(deps, { ...failed, kind: 'payment_failed' });

    expect(await store.get(refunded.orderKey)).toMatchObject({ state: 'refunded' });
    // 9.000 is still owed: the person still has the order in front of them.
    expect(await store.get(partly.orderKey)).toMatchObject({
      state: 'needs_attention',
      attention: { reason: 'missing_details' },
    });
    expect(await store.get(failed.orderKey)).toMatchObject({ state: 'needs_attention' });
    expect((await store.listAttention()).map((order) => order.orderKey).sort()).toEqual([
      failed.orderKey,
      partly.orderKey,
    ]);
  });

  it('never writes the task token into a log line', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await awaitPayment(paymentDeps(), { orderKey: placed.orderKey, taskToken: TOKEN });
    await dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' });
    await dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' });
    expect(obs.recorded.logs.length).toBeGreaterThan(0);
    expect(obs.recorded.logText()).not.toContain(TOKEN);
  });
});
