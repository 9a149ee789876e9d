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
import { orderEvent, paymentFact, refundFact } from '../workflow/fixtures';

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
    const plan = { customerUuid: 'uuid-1', customerName: 'n1' };
    const paid = orderEvent({ kind: 'paid', facts: [paymentFact()] });
    const cases: {
      write: string;
      arrange: (s: DynamoStore) => Promise<unknown>;
      act: (s: DynamoStore) => Promise<unknown>;
      answer: Record<string, unknown>;
    }[] = [
      {
        write: 'record of an order already recorded',
        arrange: (s) => s.record(orderEvent(), 'e1', NOW),
        act: (s) => s.record(orderEvent(), 'e2', LATER),
        answer: { created: false, order: { executionName: 'e1' } },
      },
      {
        write: 'recordFact of a fact already recorded',
        arrange: (s) => s.record(paid, 'e1', NOW),
        act: (s) => s.recordFact(paid.orderKey, paymentFact(), LATER),
        answer: { added: false, order: { payment: 'paid', factCount: 1, updatedAt: NOW.toISOString() } },
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
        write: 'noteMoneyChange of a fact count already passed',
        arrange: async (s) => {
          await s.planIntent('o1', plan, NOW);
          await s.noteMoneyChange('o1', 3, NOW);
        },
        act: (s) => s.noteMoneyChange('o1', 2, LATER),
        answer: { moneyVersion: 3, customerUuid: 'uuid-1' },
      },
      {
        write: 'notePaymentFact of a fact already noted',
        arrange: async (s) => {
          await s.claimPayment('stripe:acct_test:pi_1', 'stripe:acct_test:cs_1', NOW);
          await s.notePaymentFact('stripe:acct_test:pi_1', refundFact(), NOW);
        },
        act: (s) => s.notePaymentFact('stripe:acct_test:pi_1', refundFact(), LATER),
        answer: { orderKey: 'stripe:acct_test:cs_1', facts: [refundFact()] },
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

    it('completes a stub left by a payment event that arrived before the order, keeping its facts', async () => {
      const event = orderEvent();
      const paid = await store.recordFact(event.orderKey, paymentFact(), NOW);
      expect(paid.added).toBe(true);
      expect(paid.order.event).toBeUndefined();
      expect(await store.listOpen()).toHaveLength(0);

      const recorded = await store.record(event, 'exec-1', LATER);
      expect(recorded.created).toBe(true);
      expect(recorded.order).toMatchObject({ payment: 'paid', factCount: 1, facts: [paymentFact()] });
      expect(recorded.order.event?.orderKey).toBe(event.orderKey);
      expect(await store.listOpen()).toHaveLength(1);
    });

    it('records each money fact once by its type and id, in the order they came', async () => {
      const event = orderEvent();
      await store.record(event, 'exec-1', NOW);
      const refund = refundFact({ id: 're_1', amount: 100 });

      await store.recordFact(event.orderKey, paymentFact(), NOW);
      await store.recordFact(event.orderKey, refund, NOW);
      const again = await store.recordFact(event.orderKey, refund, LATER);
      // The same id as another type is another fact.
      await store.recordFact(event.orderKey, { ...refund, type: 'dispute' }, LATER);

      expect(again.added).toBe(false);
      expect(await store.get(event.orderKey)).toMatchObject({
        payment: 'paid',
        refunded: true,
        factCount: 3,
        factIds: ['payment:pi_test_1', 'refund:re_1', 'dispute:re_1'],
      });
    });

    it('lets a payment stand over a failure reported before or after it', async () => {
      const before = orderEvent({ orderId: 'o-before' });
      const after = orderEvent({ orderId: 'o-after' });
      const failure = { ...paymentFact(), type: 'failure' as const, id: 'f_1' };
      await store.record(before, 'e1', NOW);
      await store.record(after, 'e2', NOW);

      expect((await store.recordFact(before.orderKey, failure, NOW)).order.payment).toBe('failed');
      expect((await store.recordFact(before.orderKey, paymentFact(), LATER)).order.payment).toBe('paid');
      await store.recordFact(after.orderKey, paymentFact(), NOW);
      const late = await store.recordFact(after.orderKey, failure, LATER);

      expect(late).toMatchObject({ added: true, order: { payment: 'paid', factCount: 2 } });
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

  describe('payment links', () => {
    const payment = 'stripe:acct_test:pi_3Qstore1';

    it('hands a refund that came before its order to the order that claims the payment', async () => {
      const early = await store.notePaymentFact(payment, refundFact(), NOW);
      const claim = await store.claimPayment(payment, 'stripe:acct_test:cs_1', LATER);

      expect(early.orderKey).toBeUndefined();
      expect(claim).toMatchObject({ orderKey: 'stripe:acct_test:cs_1', facts: [refundFact()] });
    });

    it('tells a refund that comes after the claim which order it belongs to, and keeps the first claim', async () => {
      await store.claimPayment(payment, 'stripe:acct_test:cs_1', NOW);
      const second = await store.claimPayment(payment, 'stripe:acct_test:cs_2', NOW);
      const late = await store.notePaymentFact(payment, refundFact(), LATER);

      expect(second.orderKey).toBe('stripe:acct_test:cs_1');
      expect(late).toMatchObject({ orderKey: 'stripe:acct_test:cs_1', facts: [refundFact()] });
    });

    it('meets whichever of the claim and the refund comes second, however they interleave', async () => {
      for (let round = 0; round < 10; round++) {
        const key = `${payment}-${round}`;
        const [claim, note] = await Promise.all([
          store.claimPayment(key, 'stripe:acct_test:cs_x', NOW),
          store.notePaymentFact(key, refundFact(), NOW),
        ]);
        // Exactly one side sees the other: never both blind.
        expect(claim.facts.length > 0 || note.orderKey === 'stripe:acct_test:cs_x').toBe(true);
      }
    });
  });

  describe('owed credit', () => {
    it('puts a paid order on the owed index and leaves it off for an unpaid one', async () => {
      await store.record(orderEvent({ orderId: 'o-unpaid' }), 'e1', NOW);
      await store.record(orderEvent({ orderId: 'o-paid', kind: 'paid', facts: [paymentFact()] }), 'e2', NOW);
      await store.recordFact('stripe:acct_test:o-unpaid', refundFact(), NOW);

      expect((await store.listOwed()).map((order) => order.orderKey)).toEqual(['stripe:acct_test:o-paid']);
    });

    it('takes an order off the owed index only while its facts are the ones read', async () => {
      const event = orderEvent({ kind: 'paid', facts: [paymentFact()] });
      await store.record(event, 'e1', NOW);
      await store.recordFact(event.orderKey, refundFact(), NOW);

      expect(await store.leaveOwed(event.orderKey, 1, LATER)).toBe(false);
      expect(await store.listOwed()).toHaveLength(1);
      expect(await store.leaveOwed(event.orderKey, 2, LATER)).toBe(true);
      expect(await store.listOwed()).toEqual([]);
    });

    it('writes no outcome that gives no credit on an order that may owe, unless at the fact count found to owe nothing', async () => {
      const event = orderEvent({ kind: 'paid', facts: [paymentFact()] });
      await store.record(event, 'e1', NOW);

      const blind = await store.recordOutcome(event.orderKey, 'refunded', undefined, LATER);
      expect(blind).toMatchObject({ applied: false, reopened: true, order: { state: 'open' } });
      const stale = await store.recordOutcome(event.orderKey, 'refunded', undefined, LATER, { settledAt: 0 });
      expect(stale.applied).toBe(false);
      const settled = await store.recordOutcome(event.orderKey, 'refunded', undefined, LATER, {
        settledAt: 1,
      });
      expect(settled).toMatchObject({ applied: true, order: { state: 'refunded' } });
      expect(await store.listOwed()).toEqual([]);
    });

    it('takes an order off the owed index when it is fulfilled, or a person is asked', async () => {
      const done = orderEvent({ orderId: 'o-done', kind: 'paid', facts: [paymentFact()] });
      const parked = orderEvent({ orderId: 'o-parked', kind: 'paid', facts: [paymentFact()] });
      await store.record(done, 'e1', NOW);
      await store.record(parked, 'e2', NOW);

      await store.recordOutcome(done.orderKey, 'fulfilled', undefined, LATER);
      await store.flagAttention(parked.orderKey, attentionOf('credit_undecided'), LATER);

      expect(await store.listOwed()).toEqual([]);
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

      const first = await store.flagAttention(event.orderKey, attention('credit_undecided'), NOW);
      const again = await store.flagAttention(event.orderKey, attention('credit_undecided'), LATER);

      expect(first.applied).toBe(true);
      expect(again.applied).toBe(false);
      expect(again.order).toMatchObject({ state: 'needs_attention', updatedAt: NOW.toISOString() });
      expect((await store.listAttention()).map((order) => order.orderKey)).toEqual([event.orderKey]);
      expect(await store.listOpen()).toEqual([]);
      // Another reason is another flag.
      expect((await store.flagAttention(event.orderKey, attention('unpriced'), LATER)).applied).toBe(true);
    });

    it("never changes a fulfilled order's state, and flags a refund after credit beside it once per refund", async () => {
      const event = orderEvent({ kind: 'paid', facts: [paymentFact()] });
      await store.record(event, 'e1', NOW);
      await store.recordOutcome(event.orderKey, 'fulfilled', undefined, NOW);
      await store.recordFact(event.orderKey, refundFact({ id: 're_1', amount: 100 }), NOW);

      const parked = await store.flagAttention(event.orderKey, attention('disputed'), LATER);
      expect(parked.applied).toBe(false);
      expect(parked.order.state).toBe('fulfilled');
      expect(parked.order.attention).toBeUndefined();

      const once = { beside: true } as const;
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
      // A second refund is a new fact for the person: flagged again.
      await store.recordFact(event.orderKey, refundFact({ id: 're_2', amount: 100 }), LATER);
      const next = await store.flagAttention(event.orderKey, attention('refund_after_credit'), LATER, once);
      expect(next.applied).toBe(true);
    });
  });

  describe('expiry', () => {
    it('reopens an order a payment reached instead of expiring it', async () => {
      const event = orderEvent();
      await store.record(event, 'e1', NOW);
      await store.storeTaskToken(event.orderKey, 'test-only-token', NOW);
      await store.recordFact(event.orderKey, paymentFact(), NOW);

      const result = await store.recordOutcome(event.orderKey, 'expired', { Error: 'States.Timeout' }, LATER);

      expect(result).toMatchObject({ applied: false, reopened: true, order: { state: 'open' } });
      const order = await store.get(event.orderKey);
      expect(order).toMatchObject({ state: 'open', payment: 'paid' });
      expect(order?.outcome).toBeUndefined();
      expect(order?.taskToken).toBeUndefined();
      expect((await store.listOpen()).map((open) => open.orderKey)).toEqual([event.orderKey]);
    });

    it('leaves an expiry already written when its retry meets the payment that came since (no error)', async () => {
      // LambdaInvoke may run Record outcome again after it wrote; the owed pass credits the late payment meanwhile.
      const event = orderEvent();
      await store.record(event, 'e1', NOW);
      await store.recordOutcome(event.orderKey, 'expired', undefined, NOW);
      await store.recordFact(event.orderKey, paymentFact(), LATER);

      const retried = await store.recordOutcome(event.orderKey, 'expired', undefined, LATER);

      expect(retried).toMatchObject({ applied: false, order: { state: 'expired', payment: 'paid' } });
      expect(retried.reopened).toBeUndefined();
      expect((await store.listOwed()).map((owed) => owed.orderKey)).toEqual([event.orderKey]);
    });

    it('expires an unpaid order', async () => {
      const event = orderEvent();
      await store.record(event, 'e1', NOW);

      const result = await store.recordOutcome(event.orderKey, 'expired', undefined, LATER);

      expect(result.applied).toBe(true);
      expect(result.reopened).toBeUndefined();
      expect(result.order.state).toBe('expired');
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
    const plan = { customerUuid: 'uuid-1', customerName: 'n1' };

    it('plans one intent per order however often it is asked, keeping its first customer', async () => {
      const first = await store.planIntent('o1', plan, NOW);
      const second = await store.planIntent('o1', { customerUuid: 'uuid-2', customerName: 'n2' }, LATER);
      expect(first).toMatchObject({ status: 'PENDING', amount: 0, attempts: 0, customerUuid: 'uuid-1' });
      expect(second).toMatchObject({
        status: 'PENDING',
        customerUuid: 'uuid-1',
        createdAt: NOW.toISOString(),
      });
    });

    it('starts no call planned on fewer facts than a refund noted on the intent since', async () => {
      await store.planIntent('o1', plan, NOW);
      await store.noteMoneyChange('o1', 2, NOW);

      const stale = await store.transition('o1', ['PENDING'], 'IN_FLIGHT', { amount: 10_000 }, NOW, 1);
      const fresh = await store.transition('o1', ['PENDING'], 'IN_FLIGHT', { amount: 9_000 }, NOW, 2);

      expect(stale).toBeUndefined();
      expect(fresh).toMatchObject({ status: 'IN_FLIGHT', amount: 9_000, moneyVersion: 2 });
    });

    it('notes a refund on an intent not planned yet, so the plan that follows sees it', async () => {
      const noted = await store.noteMoneyChange('o-new', 1, NOW);
      const planned = await store.planIntent('o-new', plan, LATER);

      expect(noted).toMatchObject({ status: 'PENDING', moneyVersion: 1 });
      expect(planned).toMatchObject({ status: 'PENDING', moneyVersion: 1, customerUuid: 'uuid-1' });
    });

    it('moves an intent only from the expected states, once', async () => {
      await store.planIntent('o1', plan, NOW);
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
      await store.planIntent('o-pending', plan, NOW);
      await store.planIntent('o-flight', plan, NOW);
      await store.planIntent('o-unknown', plan, NOW);
      await store.planIntent('o-other', { ...plan, customerUuid: 'uuid-2' }, NOW);
      await store.planIntent('o-applied', plan, NOW);
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
      await store.planIntent('o1', plan, NOW);
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
      await store.planIntent('o1', plan, NOW);

      await store.transition('o1', ['PENDING'], 'UNKNOWN', { customerUuid: 'uuid-3' }, NOW);

      expect(await store.listUnresolvedFor('uuid-1')).toEqual([]);
      expect((await store.listUnresolvedFor('uuid-3')).map((intent) => intent.orderKey)).toEqual(['o1']);
    });

    it('never files a cancelled intent under a customer', async () => {
      await store.planIntent('o-pending', plan, NOW);
      await store.transition('o-pending', ['PENDING'], 'CANCELLED', {}, NOW);

      expect(await store.listUnresolvedFor('uuid-1')).toEqual([]);
      expect((await store.getIntent('o-pending'))?.status).toBe('CANCELLED');
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
      await store.planIntent('o1', { customerUuid: 'a', customerName: 'n' }, NOW);

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
        await paged.planIntent(orderKey, { customerUuid: 'uuid-1', customerName: 'n1' }, NOW);
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
        /OpenOrders, OwedCredit, CustomerTransfers.*empty data directory/,
      );
    });
  });
});
