import {
  ExecutionAlreadyExists,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { executionName } from '../../../shared/domain/keys';
import { MetricNames } from '../../../shared/metric-names';
import { createDynamoStore, type DynamoStore } from '../../../shared/store/dynamo-store';
import { awaitPayment } from '../../../shared/workflow/await-payment';
import { type DispatchDeps, dispatchOrderEvent } from '../../../shared/workflow/dispatch';
import { reconcileTransfer, resolveTransfer } from '../../../shared/workflow/reconcile-transfer';
import { recordCustomer } from '../../../shared/workflow/record-customer';
import { recordOutcome } from '../../../shared/workflow/record-outcome';
import { sfnWorkflowControl } from '../../../shared/workflow/sfn-control';
import { transferCredit } from '../../../shared/workflow/transfer-credit';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { FakeYay, recordingObservability } from './fakes';
import { orderEvent } from './fixtures';
import { outboundRecorder } from './outbound';

const STATE_MACHINE = 'arn:aws:states:eu-west-2:123456789012:stateMachine:CustomerProvisioning';
const TOKEN = 'test-only-task-token-not-a-secret';

describe('dispatchOrderEvent', () => {
  const sfn = mockClient(SFNClient);
  let dynamo: LocalDynamo;
  let store: DynamoStore;
  let obs: ReturnType<typeof recordingObservability>;
  let deps: DispatchDeps;
  const outbound = outboundRecorder();

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    sfn.restore();
    outbound.restore();
    await dynamo.stop();
  });
  beforeEach(async () => {
    sfn.reset();
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
      executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    }));
    sfn.on(SendTaskSuccessCommand).resolves({});
    sfn.on(SendTaskFailureCommand).resolves({});
    store = createDynamoStore({ tableName: await dynamo.newTable(), client: dynamo.client });
    obs = recordingObservability();
    outbound.clear();
    deps = {
      ...obs.observability,
      orders: store,
      transfers: store,
      workflow: sfnWorkflowControl(new SFNClient({ region: 'eu-west-2' }), STATE_MACHINE),
      events: outbound.events,
    };
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

  it('parks a payment confirmed after the store reported it failed, for a person, once however often it comes', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await dispatchOrderEvent(deps, { ...placed, kind: 'payment_failed' });
    await store.recordOutcome(placed.orderKey, 'payment_failed', undefined, obs.observability.now());

    const first = await dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' });
    const again = await dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' });

    expect(first).toEqual({ action: 'needs_attention', detail: 'paid_after_failure' });
    expect(again).toEqual(first);
    const order = await store.get(placed.orderKey);
    expect(order).toMatchObject({
      state: 'needs_attention',
      payment: 'failed',
      attention: { reason: 'paid_after_failure', action: expect.stringContaining('--confirm-payment') },
    });
    expect(obs.recorded.metricTotal(MetricNames.OrdersNeedingAttention)).toBe(1);
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
    // The window closes between reading the token and resuming it: the expiry is recorded, the token is dead.
    sfn.on(SendTaskSuccessCommand).callsFake(async () => {
      await store.recordOutcome(
        placed.orderKey,
        'expired',
        { Error: 'States.Timeout' },
        obs.observability.now(),
      );
      throw new TaskTimedOut({ message: 'timed out', $metadata: {} });
    });

    const result = await dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' });

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

  it('parks a payment confirmed after the order was refunded, but not a repeat of one that came before it', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await dispatchOrderEvent(deps, { ...placed, kind: 'refunded' });
    await store.recordOutcome(placed.orderKey, 'payment_failed', undefined, obs.observability.now());

    expect(await dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' })).toEqual({
      action: 'needs_attention',
      detail: 'paid_after_refund',
    });

    const other = orderEvent({
      orderId: 'cs_test_order_2',
      orderKey: 'stripe:acct_test:cs_test_order_2',
      kind: 'paid',
    });
    await dispatchOrderEvent(deps, other);
    await dispatchOrderEvent(deps, { ...other, kind: 'refunded' });
    await store.recordOutcome(other.orderKey, 'refunded', undefined, obs.observability.now());
    expect((await dispatchOrderEvent(deps, { ...other, kind: 'payment_confirmed' })).action).toBe(
      'already_finished',
    );
    expect((await store.get(other.orderKey))?.attention).toBeUndefined();
  });

  it('does not start an order again once it has an outcome', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await store.recordOutcome(placed.orderKey, 'fulfilled', undefined, obs.observability.now());
    sfn.resetHistory();
    expect((await dispatchOrderEvent(deps, placed)).action).toBe('already_finished');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('cancels the transfer when a refund arrives before credit moved, so it never moves', async () => {
    const paid = orderEvent({ kind: 'paid' });
    await dispatchOrderEvent(deps, paid);
    expect((await dispatchOrderEvent(deps, { ...paid, kind: 'refunded' })).action).toBe('refund_recorded');
    const yay = new FakeYay();
    const uuid = yay.addCustomer('cname');
    await expect(
      transferCredit(
        { ...obs.observability, orders: store, transfers: store, leases: store, yay },
        { order: paid, customer: { uuid, name: 'cname', created: true } },
      ),
    ).resolves.toMatchObject({ status: 'CANCELLED', amount: 0 });
    expect(yay.transferCalls).toHaveLength(0);
    expect(obs.recorded.metricTotal(MetricNames.RefundAfterCredit)).toBe(0);
  });

  it('flags a refund after credit moved for a person, with a metric and an error log, once per order', async () => {
    const paid = orderEvent({ kind: 'paid' });
    await dispatchOrderEvent(deps, paid);
    const yay = new FakeYay();
    const uuid = yay.addCustomer('cname');
    await transferCredit(
      { ...obs.observability, orders: store, transfers: store, leases: store, yay },
      { order: paid, customer: { uuid, name: 'cname', created: true } },
    );
    await store.recordOutcome(paid.orderKey, 'fulfilled', undefined, obs.observability.now());

    const result = await dispatchOrderEvent(deps, { ...paid, kind: 'refunded' });
    await dispatchOrderEvent(deps, { ...paid, kind: 'refunded' });
    await dispatchOrderEvent(deps, { ...paid, kind: 'refunded' });

    expect(result).toEqual({ action: 'refund_after_credit', detail: 'APPLIED' });
    expect(obs.recorded.metricTotal(MetricNames.RefundAfterCredit)).toBe(1);
    expect(obs.recorded.logs.filter((line) => line.level === 'error')).toHaveLength(1);
    expect((await store.getIntent(paid.orderKey))?.status).toBe('APPLIED');
    // The credit moved, and the state still says so; the attention is beside it.
    expect(await store.get(paid.orderKey)).toMatchObject({
      state: 'fulfilled',
      attention: {
        reason: 'refund_after_credit',
        message: expect.stringContaining('10.000 to customer cname'),
      },
    });
  });

  it('keeps a transfer under review in front of a person when a refund comes, and flags the refund once it is decided applied', async () => {
    const paid = orderEvent({ kind: 'paid' });
    await dispatchOrderEvent(deps, paid);
    const yay = new FakeYay();
    const uuid = yay.addCustomer('cname');
    yay.transferFaults.push('lost-answer');
    yay.customerBalanceReadable = false;
    const transferDeps = { ...obs.observability, orders: store, transfers: store, leases: store, yay };
    await transferCredit(transferDeps, {
      order: paid,
      customer: { uuid, name: 'cname', created: true },
    }).catch(() => {});
    const decision = await reconcileTransfer(transferDeps, paid.orderKey);
    await recordOutcome(
      { ...obs.observability, orders: store, transfers: store, events: outbound.events },
      { order: paid, outcome: 'needs_attention', reconcile: decision },
    );

    await dispatchOrderEvent(deps, { ...paid, kind: 'refunded' });
    const duringReview = await store.get(paid.orderKey);
    await resolveTransfer(
      { ...deps, transfers: store, buyers: store },
      paid.orderKey,
      'applied',
      'checked in Yay',
    );
    const decided = await store.get(paid.orderKey);

    expect(duringReview?.attention?.reason).toBe('transfer_review');
    expect(decided).toMatchObject({ state: 'fulfilled', attention: { reason: 'refund_after_credit' } });
    expect(obs.recorded.metricTotal(MetricNames.RefundAfterCredit)).toBe(1);
  });

  it('flags a refund that came while the transfer was undecided once Reconcile decides it applied, not before', async () => {
    const paid = orderEvent({ kind: 'paid' });
    await dispatchOrderEvent(deps, paid);
    const yay = new FakeYay();
    const uuid = yay.addCustomer('cname');
    yay.transferFaults.push('lost-answer');
    const transferDeps = { ...obs.observability, orders: store, transfers: store, leases: store, yay };
    await transferCredit(transferDeps, {
      order: paid,
      customer: { uuid, name: 'cname', created: true },
    }).catch(() => {});

    const refunded = await dispatchOrderEvent(deps, { ...paid, kind: 'refunded' });
    const beforeDecision = await store.get(paid.orderKey);
    const decision = await reconcileTransfer(transferDeps, paid.orderKey);
    await recordOutcome(
      { ...obs.observability, orders: store, transfers: store, events: outbound.events },
      { order: paid, outcome: 'fulfilled', reconcile: decision },
    );

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

  it("finds a refund's order by the payment intent the order recorded, without store metadata", async () => {
    const paid = orderEvent({ kind: 'paid', paymentRef: 'pi_3Qorder1' });
    await dispatchOrderEvent(deps, paid);
    const refund = orderEvent({
      kind: 'refunded',
      orderId: 'pi_3Qorder1',
      orderKey: 'stripe:acct_test:pi_3Qorder1',
      paymentRef: 'pi_3Qorder1',
    });

    expect(await dispatchOrderEvent(deps, refund)).toEqual({
      action: 'refund_recorded',
      detail: 'CANCELLED',
    });

    expect((await store.get(paid.orderKey))?.refunded).toBe(true);
    expect(await store.get(refund.orderKey)).toBeUndefined();
  });

  it('counts a refund no recorded order matches and writes nothing for it', async () => {
    const refund = orderEvent({
      kind: 'refunded',
      orderId: 'pi_3Qnobody',
      orderKey: 'stripe:acct_test:pi_3Qnobody',
      paymentRef: 'pi_3Qnobody',
    });

    expect(await dispatchOrderEvent(deps, refund)).toEqual({
      action: 'ignored',
      detail: 'no order matches the refund',
    });
    expect(obs.recorded.metricTotal(MetricNames.RefundsUnmatched)).toBe(1);
    expect(await store.get(refund.orderKey)).toBeUndefined();
    expect(await store.getIntent(refund.orderKey)).toBeUndefined();
  });

  it('settles an order waiting for details when it is refunded or its payment fails: nothing is owed', async () => {
    const attention = {
      reason: 'missing_details' as const,
      message: 'm',
      action: 'a',
      since: '2026-11-27T06:00:00.000Z',
    };
    const refunded = orderEvent({ kind: 'paid' });
    const failed = orderEvent({ orderId: 'cs_test_order_2', orderKey: 'stripe:acct_test:cs_test_order_2' });
    for (const order of [refunded, failed]) {
      await dispatchOrderEvent(deps, order);
      await store.recordOutcome(order.orderKey, 'needs_attention', undefined, obs.observability.now(), {
        attention,
      });
    }

    await dispatchOrderEvent(deps, { ...refunded, kind: 'refunded' });
    await dispatchOrderEvent(deps, { ...failed, kind: 'payment_failed' });

    expect(await store.get(refunded.orderKey)).toMatchObject({ state: 'refunded' });
    expect(await store.get(failed.orderKey)).toMatchObject({ state: 'payment_failed' });
    expect(await store.listAttention()).toEqual([]);
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
