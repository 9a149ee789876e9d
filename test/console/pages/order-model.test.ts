import { describe, expect, it } from 'vitest';
import { orderModel } from '../../../console/pages/order-model';
import { Outbound } from '../../../shared/domain/outbound-events';
import { NOW, pageModelSources, paidEvent, reviewOrder } from '../support';

describe('orderModel', () => {
  const sources = pageModelSources();

  it("lays the order item's times, the executions' states and people's actions on one timeline", async () => {
    const histories = new Map<string, { at: string; type: string; state?: string; error?: string }[]>();
    const view = await sources({ history: async (arn) => histories.get(arn) });
    const orderKey = await reviewOrder(view.store, 'tl1');
    await view.store.recordAction(orderKey, {
      action: 'note',
      at: '2026-11-27T07:00:00.000Z',
      reason: 'looked',
    });
    const [name] = (await orderModel(view, orderKey))?.executions.map((e) => e.name) ?? [];
    histories.set(view.actions.deps.workflow.executionArn(name as string), [
      { at: '2026-11-27T06:00:01.000Z', type: 'ExecutionStarted' },
      { at: '2026-11-27T06:00:02.000Z', type: 'TaskStateEntered', state: 'Create customer' },
      { at: '2026-11-27T06:00:02.500Z', type: 'ChoiceStateEntered', state: 'Payment confirmed?' },
      { at: '2026-11-27T06:00:03.000Z', type: 'TaskFailed', error: 'TransferOutcomeUnknown' },
      { at: '2026-11-27T06:00:04.000Z', type: 'ExecutionSucceeded' },
    ]);

    const model = await orderModel(view, orderKey);

    expect(model?.timeline.map((entry) => [entry.what, entry.detail])).toEqual([
      ['Order recorded', undefined],
      ['Payment confirmed', undefined],
      ['Waits for a person: transfer_review', undefined],
      ['Execution started', name],
      ['Create customer', undefined],
      ['Task Failed', 'TransferOutcomeUnknown'],
      ['Execution Succeeded', undefined],
      ['note', 'looked'],
    ]);
    expect(model?.executions).toEqual([expect.objectContaining({ name, status: 'ExecutionSucceeded' })]);
    expect(model?.transfer).toMatchObject({ status: 'NEEDS_REVIEW', amount: '10.000 GBP', attempts: 1 });
    expect(model?.offered.map((action) => action.id)).toEqual(['resolve-applied', 'resolve-not-applied']);
  });

  it('shows the events the order item implies, with the ids the steps give them, until an events log is wired', async () => {
    const view = await sources();
    const event = paidEvent('ev1');
    await view.store.record(event, 'e', NOW);
    await view.store.recordCustomer(event, { uuid: 'uuid-ev1', name: 'cev1' }, NOW);
    await view.store.recordOutcome(event.orderKey, 'fulfilled', undefined, NOW);
    const facts = {
      orderKey: event.orderKey,
      buyerKey: event.buyerKey,
      customerName: 'cev1',
      customerUuid: 'uuid-ev1',
    };

    const implied = await orderModel(view, event.orderKey);
    const logged = await orderModel(
      {
        ...view,
        events: async () => [{ at: NOW.toISOString(), detailType: 'Order Fulfilled', eventId: 'e1' }],
      },
      event.orderKey,
    );

    expect(implied?.events.fromLog).toBe(false);
    expect(implied?.events.items.map((item) => [item.detailType, item.eventId])).toEqual([
      [
        'Customer Created',
        Outbound.customerCreated({ ...facts, customerName: 'cev1', customerUuid: 'uuid-ev1' }, NOW).detail
          .eventId,
      ],
      ['Order Fulfilled', Outbound.orderFulfilled(facts, undefined, NOW).detail.eventId],
    ]);
    expect(logged?.events).toEqual({
      fromLog: true,
      items: [{ at: NOW.toISOString(), detailType: 'Order Fulfilled', eventId: 'e1' }],
    });
  });

  it('is undefined for an order not recorded', async () => {
    expect(await orderModel(await sources(), 'stripe:acct_test:nope')).toBeUndefined();
  });
});
