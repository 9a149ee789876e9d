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
import { MetricNames } from '../../../shared/observability';
import { createDynamoStore, type DynamoStore } from '../../../shared/store/dynamo-store';
import { awaitPayment } from '../../../shared/workflow/await-payment';
import { type DispatchDeps, dispatchOrderEvent } from '../../../shared/workflow/dispatch';
import { recordCustomer } from '../../../shared/workflow/record-customer';
import { sfnWorkflowControl } from '../../../shared/workflow/sfn-control';
import { transferCredit } from '../../../shared/workflow/transfer-credit';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { FakeYay, recordingObservability } from './fakes';
import { orderEvent } from './fixtures';

const STATE_MACHINE = 'arn:aws:states:eu-west-2:123456789012:stateMachine:CustomerProvisioning';
const TOKEN = 'test-only-task-token-not-a-secret';

describe('dispatchOrderEvent', () => {
  const sfn = mockClient(SFNClient);
  let dynamo: LocalDynamo;
  let store: DynamoStore;
  let obs: ReturnType<typeof recordingObservability>;
  let deps: DispatchDeps;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    sfn.restore();
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
    deps = {
      ...obs.observability,
      orders: store,
      transfers: store,
      workflow: sfnWorkflowControl(new SFNClient({ region: 'eu-west-2' }), STATE_MACHINE),
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
      { ...obs.observability, orders: store, buyers: store },
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

  it('ignores a confirmation for an order whose payment already failed', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await dispatchOrderEvent(deps, { ...placed, kind: 'payment_failed' });
    const result = await dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' });
    expect(result.action).toBe('ignored');
    expect((await store.get(placed.orderKey))?.payment).toBe('failed');
  });

  it('records a payment confirmed after the order expired and flags it for a person', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await store.recordOutcome(
      placed.orderKey,
      'expired',
      { Error: 'States.Timeout' },
      obs.observability.now(),
    );
    const result = await dispatchOrderEvent(deps, { ...placed, kind: 'payment_confirmed' });
    expect(result).toEqual({ action: 'payment_recorded', detail: 'after outcome expired' });
    expect((await store.get(placed.orderKey))?.payment).toBe('paid');
    expect(obs.recorded.logs.some((line) => line.level === 'error' && /replay/.test(line.message))).toBe(
      true,
    );
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
    ).rejects.toThrow(/refunded/);
    expect(yay.transferCalls).toHaveLength(0);
    expect(obs.recorded.metricTotal(MetricNames.RefundAfterCredit)).toBe(0);
  });

  it('flags a refund after credit moved for a person, with a metric and an error log', async () => {
    const paid = orderEvent({ kind: 'paid' });
    await dispatchOrderEvent(deps, paid);
    const yay = new FakeYay();
    const uuid = yay.addCustomer('cname');
    await transferCredit(
      { ...obs.observability, orders: store, transfers: store, leases: store, yay },
      { order: paid, customer: { uuid, name: 'cname', created: true } },
    );
    const result = await dispatchOrderEvent(deps, { ...paid, kind: 'refunded' });
    expect(result).toEqual({ action: 'refund_after_credit', detail: 'APPLIED' });
    expect(obs.recorded.metricTotal(MetricNames.RefundAfterCredit)).toBe(1);
    expect(obs.recorded.logs.some((line) => line.level === 'error')).toBe(true);
    expect((await store.getIntent(paid.orderKey))?.status).toBe('APPLIED');
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
