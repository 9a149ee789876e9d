import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderModel } from '../../../console/pages/order-model';
import { ordersQuery } from '../../../console/pages/orders-model';
import { overviewModel } from '../../../console/pages/overview-model';
import type { ConsoleSources } from '../../../console/sources';
import type { Millis } from '../../../shared/domain/credit';
import { Outbound } from '../../../shared/domain/outbound-events';
import { YayUnavailable } from '../../../shared/errors';
import { createDynamoStore, createNotificationStores } from '../../../shared/store/dynamo-store';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { FakeWorkflow, recordingObservability } from '../../unit/workflow/fakes';
import { outboundRecorder } from '../../unit/workflow/outbound';
import { attention, NOW, paidEvent, reviewOrder } from '../support';

describe('console read model', () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  async function sources(overrides: Partial<ConsoleSources> = {}): Promise<ConsoleSources> {
    const tableName = await dynamo.newTable();
    const store = createDynamoStore({ tableName, client: dynamo.client });
    const workflow = new FakeWorkflow();
    const { observability } = recordingObservability(NOW);
    return {
      where: 'test',
      store,
      emails: createNotificationStores({ tableName, client: dynamo.client }).emails,
      actions: {
        deps: {
          ...observability,
          orders: store,
          buyers: store,
          transfers: store,
          workflow,
          events: outboundRecorder().events,
        },
      },
      history: async () => [],
      resellerBalance: async () => 50_000 as Millis,
      now: () => NOW,
      close: () => undefined,
      ...overrides,
    };
  }

  describe('ordersQuery', () => {
    const parse = (query: string) => ordersQuery(new URLSearchParams(query), NOW);

    it('defaults to the last 90 days up to today, first page, no filter', () => {
      expect(parse('')).toEqual({ query: { from: '2026-08-30', to: '2026-11-27', page: 1 }, problems: [] });
    });

    it('keeps the filters it can use and names the ones it cannot', () => {
      const { query, problems } = parse(
        'state=done&provider=paypal&store=shop.example.com&from=yesterday&page=3',
      );

      expect(query).toEqual({ from: '2026-08-30', to: '2026-11-27', store: 'shop.example.com', page: 3 });
      expect(problems).toEqual([
        'from must be a day (YYYY-MM-DD); the default is used',
        'no state "done"; not filtered by state',
        'no provider "paypal"; not filtered by provider',
      ]);
    });

    it('walks at most 366 days at a time', () => {
      const { query, problems } = parse('from=2020-01-01&to=2026-11-27&state=failed&provider=stripe');

      expect(query).toMatchObject({
        from: '2025-11-27',
        to: '2026-11-27',
        state: 'failed',
        provider: 'stripe',
      });
      expect(problems).toEqual(['at most 366 days at a time; from moved to 2025-11-27']);
    });
  });

  describe('overviewModel', () => {
    it("counts the last 30 days' orders by outcome and credit by the day it moved, beside balance and credit owed", async () => {
      const view = await sources();
      const { store } = view;
      const today = paidEvent('ov-today');
      const yesterday = paidEvent('ov-yesterday');
      const old = paidEvent('ov-old');
      const owed = paidEvent('ov-owed');
      await store.record(today, 'e', NOW);
      await store.record(yesterday, 'e', new Date('2026-11-26T10:00:00.000Z'));
      await store.record(old, 'e', new Date('2026-10-01T10:00:00.000Z'));
      await store.record({ ...owed, credit: { amount: 2_500, currency: 'GBP' } }, 'e', NOW);
      await store.recordOutcome(yesterday.orderKey, 'fulfilled', undefined, NOW);
      await store.planIntent(yesterday.orderKey, { customerUuid: 'u', customerName: 'n' }, NOW);
      await store.transition(yesterday.orderKey, ['PENDING'], 'IN_FLIGHT', { amount: 10_000 }, NOW);
      await store.transition(yesterday.orderKey, ['IN_FLIGHT'], 'APPLIED', {}, NOW);
      await store.recordOutcome(today.orderKey, 'failed', { Error: 'YayAuthFailed' }, NOW, {
        attention: attention('failed', today.orderKey),
      });

      const model = await overviewModel(view);

      expect(model.days).toHaveLength(30);
      expect([model.days[0], model.days.at(-1)]).toEqual(['2026-10-29', '2026-11-27']);
      expect(model.totalOrders).toBe(3);
      expect(model.ordersPerDay.fulfilled.at(-2)).toBe(1);
      expect(model.ordersPerDay.failed.at(-1)).toBe(1);
      expect(model.ordersPerDay.in_progress.at(-1)).toBe(1);
      expect(model.creditPerDay.at(-1)).toBe(10_000);
      expect(model.totalCredit).toBe(10_000);
      // What the money of the orders that may owe says: `owed` (2.500), and `old`, still open (10.000); `today`
      // waits for a person, `yesterday`'s credit moved.
      expect(model.balance).toEqual({ resellerBalance: 50_000, creditOwed: 12_500 });
    });

    it('names what failed when the reseller balance cannot be read, and shows the rest', async () => {
      const view = await sources({
        resellerBalance: async () => {
          throw new YayUnavailable('GET /account/balance: connect ECONNREFUSED 10.0.0.1:443', true);
        },
      });

      const model = await overviewModel(view);

      expect(model.balance).toEqual({ unavailable: 'YayUnavailable', creditOwed: 0 });
    });
  });

  describe('orderModel', () => {
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
});
