import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoStore, type DynamoStore } from '../../../shared/store/dynamo-store';
import { awaitPayment } from '../../../shared/workflow/await-payment';
import { type DispatchDeps, dispatchOrderEvent } from '../../../shared/workflow/dispatch';
import { recordOutcome } from '../../../shared/workflow/record-outcome';
import { sfnWorkflowControl } from '../../../shared/workflow/sfn-control';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { recordingObservability } from './fakes';
import { orderEvent } from './fixtures';
import { outboundRecorder } from './outbound';

const STATE_MACHINE = 'arn:aws:states:eu-west-2:123456789012:stateMachine:CustomerProvisioning';
const TOKEN = 'test-only-task-token-not-a-secret';

/**
 * Production bugs the chaos soak (`npm run bench -- soak`, test/soak/) found, each reduced to the few calls that
 * show it. It was `it.fails` until fixed; it now guards the fix.
 */
describe('soak findings', () => {
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
    sfn.on(SendTaskFailureCommand).resolves({});
    store = createDynamoStore({ tableName: await dynamo.newTable(), client: dynamo.client });
    obs = recordingObservability();
    deps = {
      ...obs.observability,
      orders: store,
      transfers: store,
      workflow: sfnWorkflowControl(new SFNClient({ region: 'eu-west-2' }), STATE_MACHINE),
      events: outbound.events,
    };
  });

  // Soak seed 20261127 (520 orders), orders shopify:example-shop.myshopify.com:8209829119400000128 and …352, path
  // refund_before_credit: orders/create (pending) → refunds/create → orders/paid 5 ms after the refund was
  // dispatched. The refund ends the wait for payment (SendTaskFailure PaymentFailed); the confirmation lands before
  // "Record outcome" has written the order's outcome, so the order is neither terminal nor resumable:
  // confirmPayment records `payment: paid`, its SendTaskSuccess meets the closed task, and it returns
  // `payment_recorded`. The execution then records `payment_failed`. The store's contradiction (paid after a refund)
  // never reaches a person: no attention, no OrdersNeedingAttention metric — the "never silent" rule of DESIGN.md §1.
  // The same confirmation a moment later (the order terminal) is parked as paid_after_refund.
  it('parks a payment confirmed after a refund even while the refund is still ending the wait', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await awaitPayment(
      { ...obs.observability, orders: store, workflow: deps.workflow },
      { orderKey: placed.orderKey, taskToken: TOKEN },
    );
    const refund = await dispatchOrderEvent(deps, {
      ...placed,
      kind: 'refunded',
      sourceEventId: 'evt_refund',
    });
    // The refund failed the task: it can no longer be resumed.
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'task closed', $metadata: {} }));

    const confirmed = await dispatchOrderEvent(deps, {
      ...placed,
      kind: 'payment_confirmed',
      sourceEventId: 'evt_confirm',
    });
    // What the execution does next: Wait for payment caught PaymentFailed → Record outcome payment_failed.
    await recordOutcome(
      { ...obs.observability, orders: store, transfers: store, events: outbound.events },
      {
        order: placed,
        outcome: 'payment_failed',
        error: { Error: 'PaymentFailed', Cause: 'the order was refunded' },
      },
    );

    expect(refund).toEqual({ action: 'refund_recorded', detail: 'CANCELLED' });
    expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(1);
    // It used to be taken as { action: 'payment_recorded', detail: 'TaskTimedOut' }, the order ending
    // payment_failed, paid and refunded, with no attention.
    expect(confirmed).toEqual({ action: 'needs_attention', detail: 'paid_after_refund' });
    expect(await store.get(placed.orderKey)).toMatchObject({
      payment: 'paid',
      refunded: true,
      state: 'needs_attention',
      attention: { reason: 'paid_after_refund' },
    });
  });
});
