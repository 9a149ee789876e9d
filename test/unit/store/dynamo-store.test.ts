import { ConditionalCheckFailedException, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Attention } from '../../../shared/domain/order-state';
import { createTable, documentClient, ItemKeys, TableSchema } from '../../../shared/store';
import { createDynamoStore, type DynamoStore } from '../../../shared/store/dynamo-store';
import {
  countCalls,
  type LocalDynamo,
  returnItemOnConditionFailure,
  startDynalite,
} from '../../helpers/dynalite';
import { orderEvent } from '../workflow/fixtures';

const NOW = new Date('2026-11-27T06:00:00.000Z');
const LATER = new Date('2026-11-27T06:05:00.000Z');

const attentionOf = (reason: Attention['reason']): Attention => ({
  reason,
  message: `waiting: ${reason}`,
  action: `resolve ${reason}`,
  since: NOW.toISOString(),
});

describe('createDynamoStore', () => {
  let dynamo: LocalDynamo;
  let store: DynamoStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  let tableName: string;
  beforeEach(async () => {
    tableName = await dynamo.newTable();
    store = createDynamoStore({ tableName, client: dynamo.client });
  });

  describe('dynalite, the local DynamoDB', () => {
    it('returns no item with a failed condition even when ALL_OLD is asked for, unlike DynamoDB', async () => {
      // DynamoDB puts the item in the ConditionalCheckFailedException (ReturnValuesOnConditionCheckFailure);
      // dynalite ignores the parameter. The store's re-read after a failed condition is the fallback for
      // exactly this: should dynalite learn it, this fails and the fallback is no longer exercised by tests.
      const doc = documentClient(dynamo.client);
      const put = () =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...ItemKeys.order('o-all-old'), note: 'first' },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
      await put();

      const failed = await put().catch((error: unknown) => error);

      expect(failed).toBeInstanceOf(ConditionalCheckFailedException);
      expect((failed as ConditionalCheckFailedException).Item).toBeUndefined();
    });
  });

  describe('a failed condition', () => {
    const plan = { amount: 10_000, customerUuid: 'uuid-1', customerName: 'n1' };
    const paid = orderEvent({ kind: 'paid' });
    const cases: {
      write: string;
      arrange: (s: DynamoStore) => Promise<unknown>;
      act: (s: DynamoStore) => Promise<unknown>;
      answer: Record<string, unknown>;
    }[] = [
      {
        write: 'record of an order already recorded',
        arrange: (s) => s.record(paid, 'e1', NOW),
        act: (s) => s.record(paid, 'e2', LATER),
        answer: { created: false, order: { executionName: 'e1' } },
      },
      {
        write: 'markPayment of an order already paid',
        arrange: (s) => s.record(paid, 'e1', NOW),
        act: (s) => s.markPayment(paid.orderKey, 'paid', LATER),
        answer: { applied: false, order: { payment: 'paid', updatedAt: NOW.toISOString() } },
      },
      {
        write: 'storeTaskToken on a paid order',
        arrange: (s) => s.record(paid, 'e1', NOW),
        act: (s) => s.storeTaskToken(paid.orderKey, 'test-only-token', LATER),
        answer: { stored: false, order: { payment: 'paid', state: 'open' } },
      },
      {
        write: 'recordOutcome over a fulfilled order',
        arrange: async (s) => {
          await s.record(paid, 'e1', NOW);
          await s.recordOutcome(paid.orderKey, 'fulfilled', undefined, NOW);
        },
        act: (s) => s.recordOutcome(paid.orderKey, 'failed', { Error: 'YayUnavailable' }, LATER),
        answer: { applied: false, order: { outcome: 'fulfilled' } },
      },
      {
        write: 'flagAttention repeated',
        arrange: async (s) => {
          await s.record(paid, 'e1', NOW);
          await s.flagAttention(paid.orderKey, { ...attentionOf('unpriced') }, NOW);
        },
        act: (s) => s.flagAttention(paid.orderKey, attentionOf('unpriced'), LATER),
        answer: { applied: false, order: { state: 'needs_attention', updatedAt: NOW.toISOString() } },
      },
      {
        write: 'putCustomer of a buyer already mapped',
        arrange: (s) => s.putCustomer('buyer-1', { uuid: 'uuid-1', name: 'n1' }, NOW),
        act: (s) => s.putCustomer('buyer-1', { uuid: 'uuid-2', name: 'n2' }, LATER),
        answer: { customerUuid: 'uuid-1' },
      },
      {
        write: 'createIntent of an intent already planned',
        arrange: (s) => s.createIntent('o1', plan, NOW),
        act: (s) => s.createIntent('o1', { ...plan, amount: 1 }, LATER),
        answer: { created: false, intent: { amount: 10_000 } },
      },
      {
        write: 'cancelForRefund after the call started',
        arrange: async (s) => {
          await s.createIntent('o1', plan, NOW);
          await s.transition('o1', ['PENDING'], 'IN_FLIGHT', {}, NOW);
        },
        act: (s) => s.cancelForRefund('o1', LATER),
        answer: { status: 'IN_FLIGHT' },
      },
    ];

    for (const { write, arrange, act, answer } of cases) {
      it(`answers ${write} from the item DynamoDB returns with the failure, reading nothing`, async () => {
        const client = dynamo.newClient();
        returnItemOnConditionFailure(client, dynamo.client);
        const calls = countCalls(client);
        const aws = createDynamoStore({ tableName, client });
        await arrange(aws);
        calls.reset();

        const result = await act(aws);

        expect(result).toMatchObject(answer);
        expect(calls.of('GetItem', 'Query')).toBe(0);
      });

      it(`answers ${write} from one re-read where no item comes back (dynalite)`, async () => {
        const client = dynamo.newClient();
        const calls = countCalls(client);
        const local = createDynamoStore({ tableName, client });
        await arrange(local);
        calls.reset();

        const result = await act(local);

        expect(result).toMatchObject(answer);
        expect(calls.of('GetItem')).toBe(1);
      });
    }
  });

  describe('orders', () => {
    it('records an order once and returns the first record when the same event arrives twice', async () => {
      const event = orderEvent();
      const first = await store.record(event, 'exec-1', NOW);
      const second = await store.record(event, 'exec-other', LATER);
      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.order.executionName).toBe('exec-1');
      expect(second.order.createdAt).toBe(NOW.toISOString());
      expect(await store.listOpen()).toHaveLength(1);
    });

    it('completes a stub left by a payment event that arrived before the order', async () => {
      const event = orderEvent();
      const paid = await store.markPayment(event.orderKey, 'paid', NOW);
      expect(paid.applied).toBe(true);
      expect(paid.order.event).toBeUndefined();
      expect(await store.listOpen()).toHaveLength(0);

      const recorded = await store.record(event, 'exec-1', LATER);
      expect(recorded.created).toBe(true);
      expect(recorded.order.payment).toBe('paid');
      expect(recorded.order.event?.orderKey).toBe(event.orderKey);
      expect(await store.listOpen()).toHaveLength(1);
    });

    it('refuses to mark a failed payment paid and reports what stands', async () => {
      const event = orderEvent();
      await store.record(event, 'exec-1', NOW);
      await store.markPayment(event.orderKey, 'failed', NOW);
      const result = await store.markPayment(event.orderKey, 'paid', LATER);
      expect(result.applied).toBe(false);
      expect(result.order.payment).toBe('failed');
    });

    it('stores a task token only while the order is unpaid', async () => {
      const unpaid = orderEvent({ orderId: 'o-unpaid' });
      const paid = orderEvent({ orderId: 'o-paid', kind: 'paid' });
      await store.record(unpaid, 'e1', NOW);
      await store.record(paid, 'e2', NOW);

      expect(await store.storeTaskToken(unpaid.orderKey, 'test-only-token-1', NOW)).toEqual({ stored: true });
      const refused = await store.storeTaskToken(paid.orderKey, 'test-only-token-2', NOW);
      expect(refused.stored).toBe(false);
      expect((await store.get(paid.orderKey))?.taskToken).toBeUndefined();
      expect((await store.get(unpaid.orderKey))?.state).toBe('awaiting_payment');
    });

    it('hides the task token from the ops views', async () => {
      const event = orderEvent();
      await store.record(event, 'e1', NOW);
      await store.storeTaskToken(event.orderKey, 'test-only-token', NOW);
      const view = await store.getOrder(event.orderKey);
      expect(view?.waitingForPayment).toBe(true);
      expect(JSON.stringify(view)).not.toContain('test-only-token');
      expect(JSON.stringify(await store.listOrders())).not.toContain('test-only-token');
    });

    it('leaves the open index on an outcome and never downgrades a fulfilled order', async () => {
      const event = orderEvent();
      await store.record(event, 'e1', NOW);
      await store.storeTaskToken(event.orderKey, 'test-only-token', NOW);
      const done = await store.recordOutcome(event.orderKey, 'fulfilled', undefined, LATER);
      expect(done.applied).toBe(true);
      expect(done.order.taskToken).toBeUndefined();
      expect(await store.listOpen()).toHaveLength(0);

      const late = await store.recordOutcome(event.orderKey, 'failed', { Error: 'YayUnavailable' }, LATER);
      expect(late.applied).toBe(false);
      expect((await store.get(event.orderKey))?.outcome).toBe('fulfilled');
    });

    it('lists orders by state, terminal or open', async () => {
      await store.record(orderEvent({ orderId: 'a' }), 'ea', NOW);
      await store.record(orderEvent({ orderId: 'b' }), 'eb', LATER);
      await store.recordOutcome('stripe:acct_test:b', 'expired', undefined, LATER);
      expect((await store.listOrders()).map((o) => o.orderKey)).toEqual([
        'stripe:acct_test:a',
        'stripe:acct_test:b',
      ]);
      expect((await store.listOrders({ state: 'open' })).map((o) => o.orderKey)).toEqual([
        'stripe:acct_test:a',
      ]);
      expect((await store.listOrders({ state: 'expired' })).map((o) => o.orderKey)).toEqual([
        'stripe:acct_test:b',
      ]);
    });

    it('lets only one of two concurrent replays claim the next replay number', async () => {
      const event = orderEvent();
      await store.record(event, 'e0', NOW);
      const claims = await Promise.all([
        store.beginReplay(event.orderKey, 0, 'e-r1', 'ops', LATER),
        store.beginReplay(event.orderKey, 0, 'e-r1', 'sweep', LATER),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await store.get(event.orderKey))?.replays).toBe(1);
    });
  });

  describe('payment refs', () => {
    it('finds the order that recorded a payment by its payment ref, and nothing for an unknown one', async () => {
      const event = orderEvent({ kind: 'paid', paymentRef: 'pi_3Qstore1' });
      await store.record(event, 'e1', NOW);

      expect(await store.findByPaymentRef('stripe:acct_test:pi_3Qstore1')).toBe(event.orderKey);
      expect(await store.findByPaymentRef('stripe:acct_test:pi_3Qnobody')).toBeUndefined();
    });
  });

  describe('attention', () => {
    const attention = (reason: Attention['reason']): Attention => ({
      reason,
      message: `waiting: ${reason}`,
      action: `resolve ${reason}`,
      since: NOW.toISOString(),
    });

    it('parks an order for a person once per reason: a repeated flag is not applied', async () => {
      const event = orderEvent();
      await store.record(event, 'e1', NOW);

      const first = await store.flagAttention(event.orderKey, attention('paid_after_failure'), NOW);
      const again = await store.flagAttention(event.orderKey, attention('paid_after_failure'), LATER);

      expect(first.applied).toBe(true);
      expect(again.applied).toBe(false);
      expect(again.order).toMatchObject({ state: 'needs_attention', updatedAt: NOW.toISOString() });
      expect((await store.listAttention()).map((order) => order.orderKey)).toEqual([event.orderKey]);
      expect(await store.listOpen()).toEqual([]);
      // Another reason is another flag.
      expect((await store.flagAttention(event.orderKey, attention('unpriced'), LATER)).applied).toBe(true);
    });

    it("never changes a fulfilled order's state, and flags a refund after credit beside it once", async () => {
      const event = orderEvent({ kind: 'paid' });
      await store.record(event, 'e1', NOW);
      await store.recordOutcome(event.orderKey, 'fulfilled', undefined, NOW);

      const parked = await store.flagAttention(event.orderKey, attention('paid_after_refund'), LATER);
      expect(parked.applied).toBe(false);
      expect(parked.order.state).toBe('fulfilled');
      expect(parked.order.attention).toBeUndefined();

      const once = { once: 'refundAfterCredit' } as const;
      const flagged = await store.flagAttention(
        event.orderKey,
        attention('refund_after_credit'),
        LATER,
        once,
      );
      const repeated = await store.flagAttention(
        event.orderKey,
        attention('refund_after_credit'),
        LATER,
        once,
      );
      expect(flagged.applied).toBe(true);
      expect(repeated.applied).toBe(false);
      expect(await store.get(event.orderKey)).toMatchObject({
        state: 'fulfilled',
        outcome: 'fulfilled',
        attention: { reason: 'refund_after_credit' },
      });
    });
  });

  describe('expiry', () => {
    it('reopens a paid open order instead of expiring it when unlessPaid is set', async () => {
      const event = orderEvent();
      await store.record(event, 'e1', NOW);
      await store.storeTaskToken(event.orderKey, 'test-only-token', NOW);
      await store.markPayment(event.orderKey, 'paid', NOW);

      const result = await store.recordOutcome(
        event.orderKey,
        'expired',
        { Error: 'States.Timeout' },
        LATER,
        {
          unlessPaid: true,
        },
      );

      expect(result).toMatchObject({ applied: false, reopened: true, order: { state: 'open' } });
      const order = await store.get(event.orderKey);
      expect(order).toMatchObject({ state: 'open', payment: 'paid' });
      expect(order?.outcome).toBeUndefined();
      expect(order?.taskToken).toBeUndefined();
      expect((await store.listOpen()).map((open) => open.orderKey)).toEqual([event.orderKey]);
    });

    it('leaves an expiry already written when its retry meets the payment that came since (no error)', async () => {
      // LambdaInvoke may run Record outcome again after it wrote; dispatch credits the late payment meanwhile.
      const event = orderEvent();
      await store.record(event, 'e1', NOW);
      await store.recordOutcome(event.orderKey, 'expired', undefined, NOW, { unlessPaid: true });
      await store.markPayment(event.orderKey, 'paid', LATER);

      const retried = await store.recordOutcome(event.orderKey, 'expired', undefined, LATER, {
        unlessPaid: true,
      });

      expect(retried).toMatchObject({ applied: false, order: { state: 'expired', payment: 'paid' } });
      expect(retried.reopened).toBeUndefined();
    });

    it('expires an unpaid order with unlessPaid set', async () => {
      const event = orderEvent();
      await store.record(event, 'e1', NOW);

      const result = await store.recordOutcome(event.orderKey, 'expired', undefined, LATER, {
        unlessPaid: true,
      });

      expect(result.applied).toBe(true);
      expect(result.reopened).toBeUndefined();
      expect(result.order.state).toBe('expired');
      expect(await store.listOpen()).toEqual([]);
    });

    it('records the outcome as usual on a paid order without unlessPaid', async () => {
      const event = orderEvent({ kind: 'paid' });
      await store.record(event, 'e1', NOW);

      const result = await store.recordOutcome(event.orderKey, 'expired', undefined, LATER);

      expect(result.applied).toBe(true);
      expect(result.reopened).toBeUndefined();
      expect(await store.get(event.orderKey)).toMatchObject({ state: 'expired', outcome: 'expired' });
      expect(await store.listOpen()).toEqual([]);
    });
  });

  describe('buyers', () => {
    it('keeps the first customer recorded for a buyer', async () => {
      await store.putCustomer('buyer-1', { uuid: 'uuid-1', name: 'n1' }, NOW);
      const second = await store.putCustomer('buyer-1', { uuid: 'uuid-2', name: 'n2' }, LATER);
      expect(second.customerUuid).toBe('uuid-1');
      expect(await store.listCustomers()).toHaveLength(1);
    });
  });

  describe('transfer intents', () => {
    const plan = { amount: 10_000, customerUuid: 'uuid-1', customerName: 'n1' };

    it('creates one intent per order however often it is asked', async () => {
      const first = await store.createIntent('o1', plan, NOW);
      const second = await store.createIntent('o1', { ...plan, amount: 1 }, LATER);
      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.intent.amount).toBe(10_000);
    });

    it('moves an intent only from the expected states, once', async () => {
      await store.createIntent('o1', plan, NOW);
      const moves = await Promise.all([
        store.transition('o1', ['PENDING'], 'IN_FLIGHT', { attemptId: 'a', incrementAttempts: true }, NOW),
        store.transition('o1', ['PENDING'], 'IN_FLIGHT', { attemptId: 'b', incrementAttempts: true }, NOW),
      ]);
      expect(moves.filter(Boolean)).toHaveLength(1);
      const intent = await store.getIntent('o1');
      expect(intent?.attempts).toBe(1);
      expect(await store.listUnsettled()).toHaveLength(1);
      await store.transition('o1', ['IN_FLIGHT'], 'APPLIED', {}, LATER);
      expect(await store.listUnsettled()).toHaveLength(0);
    });

    it("lists a customer's transfers whose call may have happened but is undecided", async () => {
      await store.createIntent('o-pending', plan, NOW);
      await store.createIntent('o-flight', plan, NOW);
      await store.createIntent('o-unknown', plan, NOW);
      await store.createIntent('o-other', { ...plan, customerUuid: 'uuid-2' }, NOW);
      await store.createIntent('o-applied', plan, NOW);
      await store.transition('o-flight', ['PENDING'], 'IN_FLIGHT', {}, NOW);
      await store.transition('o-unknown', ['PENDING'], 'UNKNOWN', {}, NOW);
      await store.transition('o-other', ['PENDING'], 'UNKNOWN', {}, NOW);
      await store.transition('o-applied', ['PENDING'], 'APPLIED', {}, NOW);
      const unresolved = await store.listUnresolvedFor('uuid-1');
      expect(unresolved.map((intent) => intent.orderKey).sort()).toEqual(['o-flight', 'o-unknown']);
    });

    it('files an intent under its customer only while IN_FLIGHT or UNKNOWN, and takes it out once settled', async () => {
      const listed = async (customerUuid = 'uuid-1') =>
        (await store.listUnresolvedFor(customerUuid)).map((intent) => `${intent.orderKey} ${intent.status}`);
      await store.createIntent('o1', plan, NOW);
      expect(await listed()).toEqual([]);

      await store.transition(
        'o1',
        ['PENDING'],
        'IN_FLIGHT',
        { attemptId: 'a', incrementAttempts: true },
        NOW,
      );
      expect(await listed()).toEqual(['o1 IN_FLIGHT']);
      await store.transition('o1', ['IN_FLIGHT'], 'UNKNOWN', { reason: 'timeout' }, NOW);
      expect(await listed()).toEqual(['o1 UNKNOWN']);
      await store.transition('o1', ['UNKNOWN'], 'NOT_APPLIED', { reason: 'balance unchanged' }, LATER);
      expect(await listed()).toEqual([]);
      await store.transition(
        'o1',
        ['NOT_APPLIED'],
        'IN_FLIGHT',
        { attemptId: 'b', incrementAttempts: true },
        LATER,
      );
      expect(await listed()).toEqual(['o1 IN_FLIGHT']);
      await store.transition('o1', ['IN_FLIGHT'], 'APPLIED', {}, LATER);

      expect(await listed()).toEqual([]);
      expect(await listed('uuid-2')).toEqual([]);
      expect(await store.getIntent('o1')).not.toHaveProperty(TableSchema.customerTransfersIndex.partitionKey);
    });

    it('files an undecided intent under the customer its transition names, not the one it was planned for', async () => {
      await store.createIntent('o1', plan, NOW);

      await store.transition('o1', ['PENDING'], 'UNKNOWN', { customerUuid: 'uuid-3' }, NOW);

      expect(await store.listUnresolvedFor('uuid-1')).toEqual([]);
      expect((await store.listUnresolvedFor('uuid-3')).map((intent) => intent.orderKey)).toEqual(['o1']);
    });

    it('never files a cancelled intent under a customer', async () => {
      await store.createIntent('o-pending', plan, NOW);
      await store.cancelForRefund('o-pending', NOW);
      await store.cancelForRefund('o-never-planned', NOW);

      expect(await store.listUnresolvedFor('uuid-1')).toEqual([]);
      expect((await store.getIntent('o-pending'))?.status).toBe('CANCELLED');
    });

    it('cancels for a refund only before a call was started', async () => {
      expect((await store.cancelForRefund('o-none', NOW)).status).toBe('CANCELLED');
      await store.createIntent('o-pending', plan, NOW);
      expect((await store.cancelForRefund('o-pending', NOW)).status).toBe('CANCELLED');
      await store.createIntent('o-flight', plan, NOW);
      await store.transition('o-flight', ['PENDING'], 'IN_FLIGHT', {}, NOW);
      expect((await store.cancelForRefund('o-flight', NOW)).status).toBe('IN_FLIGHT');
    });
  });

  describe('leases', () => {
    it('grants a lease to one holder until it is released or expires', async () => {
      expect(await store.acquire('customer-1', 'h1', 60, NOW)).toBe(true);
      expect(await store.acquire('customer-1', 'h2', 60, NOW)).toBe(false);
      await store.release('customer-1', 'h2');
      expect(await store.acquire('customer-1', 'h2', 60, NOW)).toBe(false);
      await store.release('customer-1', 'h1');
      expect(await store.acquire('customer-1', 'h2', 60, NOW)).toBe(true);
      const afterExpiry = new Date(NOW.getTime() + 61_000);
      expect(await store.acquire('customer-1', 'h3', 60, afterExpiry)).toBe(true);
    });

    it('lists every stored lease with its holder, expired ones included, and not a released one', async () => {
      const hourAgo = new Date(NOW.getTime() - 3_600_000);
      await store.acquire('customer:a', 'order-a#1', 90, NOW);
      await store.acquire('customer:b', 'order-b#1', 60, hourAgo);
      await store.acquire('customer:c', 'order-c#1', 90, NOW);
      await store.release('customer:c', 'order-c#1');
      await store.record(orderEvent(), 'e1', NOW);
      await store.createIntent('o1', { amount: 1_000, customerUuid: 'a', customerName: 'n' }, NOW);

      const held = await store.listHeld();

      expect(held.sort((x, y) => x.resource.localeCompare(y.resource))).toEqual([
        { resource: 'customer:a', holder: 'order-a#1', expiresAt: new Date(NOW.getTime() + 90_000) },
        { resource: 'customer:b', holder: 'order-b#1', expiresAt: new Date(hourAgo.getTime() + 60_000) },
      ]);
      // What local mode does at start with a killed process's leases.
      for (const lease of held) await store.release(lease.resource, lease.holder);
      expect(await store.listHeld()).toEqual([]);
      expect(await store.acquire('customer:a', 'order-x#1', 90, NOW)).toBe(true);
    });

    it('keeps leases out of the sweep: no open order or unsettled transfer is a lease', async () => {
      await store.acquire('customer:a', 'order-a#1', 90, NOW);

      expect(await store.listOpen()).toEqual([]);
      expect(await store.listUnsettled()).toEqual([]);
      expect(await store.listAttention()).toEqual([]);
    });
  });

  describe('paged reads', () => {
    // dynalite honours Limit: two items a page makes every read below take several pages.
    const pages = async () => {
      const client = dynamo.newClient();
      const calls = countCalls(client);
      const paged = createDynamoStore({ tableName, client, pageSize: 2 });
      for (const n of [1, 2, 3, 4, 5]) {
        const orderKey = `stripe:acct_test:o${n}`;
        await paged.record(orderEvent({ orderId: `o${n}` }), `e${n}`, NOW);
        await paged.putCustomer(`buyer-${n}`, { uuid: `uuid-${n}`, name: `n${n}` }, NOW);
        await paged.createIntent(
          orderKey,
          { amount: 1_000, customerUuid: 'uuid-1', customerName: 'n1' },
          NOW,
        );
        await paged.transition(orderKey, ['PENDING'], 'UNKNOWN', {}, NOW);
        await paged.acquire(`customer:${n}`, `holder-${n}`, 90, NOW);
      }
      calls.reset();
      return { paged, calls };
    };

    it('lists every open order, unsettled transfer and lease from a queue of several pages', async () => {
      const { paged, calls } = await pages();

      expect(await paged.listOpen()).toHaveLength(5);
      expect(await paged.listUnsettled()).toHaveLength(5);
      expect(await paged.listHeld()).toHaveLength(5);
      // 5 items, 2 a page: 3 queries per queue.
      expect(calls.of('Query')).toBe(9);
    });

    it("lists every one of a customer's undecided transfers across pages of the CustomerTransfers index", async () => {
      const { paged, calls } = await pages();

      expect(await paged.listUnresolvedFor('uuid-1')).toHaveLength(5);
      expect(calls.of('Query')).toBe(3);
    });

    it('lists every order and every buyer from a scan of several pages', async () => {
      const { paged, calls } = await pages();

      expect((await paged.listOrders()).map((order) => order.orderKey)).toHaveLength(5);
      expect(await paged.listCustomers()).toHaveLength(5);
      expect(calls.of('Scan')).toBeGreaterThan(2);
    });

    it('reads an order and its transfer intent from one partition, whatever the page size', async () => {
      const { paged } = await pages();

      expect(await paged.getOrder('stripe:acct_test:o3')).toMatchObject({
        orderKey: 'stripe:acct_test:o3',
        transfer: { orderKey: 'stripe:acct_test:o3', status: 'UNKNOWN' },
      });
    });
  });

  describe('createTable', () => {
    it('leaves an existing table as it is', async () => {
      await store.record(orderEvent(), 'e1', NOW);

      await createTable(dynamo.client, tableName);

      expect(await store.listOpen()).toHaveLength(1);
    });

    it('refuses a table made before an index it lacks, naming the index', async () => {
      const older = `older-${tableName}`;
      await dynamo.client.send(
        new CreateTableCommand({
          TableName: older,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: TableSchema.partitionKey, AttributeType: 'S' },
            { AttributeName: TableSchema.sortKey, AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: TableSchema.partitionKey, KeyType: 'HASH' },
            { AttributeName: TableSchema.sortKey, KeyType: 'RANGE' },
          ],
        }),
      );

      await expect(createTable(dynamo.client, older)).rejects.toThrow(
        /OpenOrders, PaymentRefs, CustomerTransfers.*empty data directory/,
      );
    });
  });
});
