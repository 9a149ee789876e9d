import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Provider } from '../../../shared/domain/keys';
import type { OrderEvent } from '../../../shared/domain/order-event';
import { createDynamoStore, type DynamoStore } from '../../../shared/store/dynamo-store';
import type { OrderFilter, OrderView } from '../../../shared/store/order-queries';
import { countCalls, type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { orderEvent, paymentFact } from '../workflow/fixtures';

const day = (date: string, hour = 12) => new Date(`${date}T${String(hour).padStart(2, '0')}:00:00.000Z`);

function eventFor(
  orderId: string,
  options: { provider?: Provider; store?: string; email?: string } = {},
): OrderEvent {
  const provider = options.provider ?? 'stripe';
  const store = options.store ?? 'acct_test';
  return orderEvent({
    kind: 'paid',
    provider,
    store,
    orderId,
    orderKey: `${provider}:${store}:${orderId}`,
    buyerKey: `${provider}:${store}:cus_${orderId}`,
    buyer: { name: 'Geoff Wilson', email: options.email ?? `${orderId}@example.com` },
  });
}

const keys = (orders: OrderView[]) => orders.map((order) => order.orderKey);

describe('order queries (the console read side)', () => {
  let dynamo: LocalDynamo;
  let store: DynamoStore;
  let tableName: string;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  beforeEach(async () => {
    tableName = await dynamo.newTable();
    // Small DynamoDB pages, so every read here has to follow LastEvaluatedKey to be right.
    store = createDynamoStore({ tableName, client: dynamo.client, pageSize: 2 });
  });

  /** Records `count` orders per day on each day, an hour apart; returns their keys newest first. */
  async function seed(days: string[], count: number): Promise<string[]> {
    const recorded: string[] = [];
    for (const date of days) {
      for (let i = 0; i < count; i++) {
        const event = eventFor(`o_${date}_${i}`);
        await store.record(event, `exec-${i}`, day(date, 6 + i));
        recorded.push(event.orderKey);
      }
    }
    return recorded.reverse();
  }

  async function allPages(filter: OrderFilter, limit: number) {
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listOrderPage(filter, { limit, ...(cursor ? { cursor } : {}) });
      pages.push(keys(page.orders));
      cursor = page.next;
    } while (cursor && pages.length < 50);
    return pages;
  }

  describe('listOrderPage', () => {
    it('pages the orders of a range of days newest first, each exactly once, with no next after the last', async () => {
      const newestFirst = await seed(['2026-11-01', '2026-11-03', '2026-11-04'], 3);

      const pages = await allPages({ fromDay: '2026-10-30', toDay: '2026-11-05' }, 4);

      expect(pages.map((page) => page.length)).toEqual([4, 4, 1]);
      expect(pages.flat()).toEqual(newestFirst);
    });

    it('keeps to the days asked for, both inclusive', async () => {
      await seed(['2026-11-01', '2026-11-02', '2026-11-03'], 2);

      const page = await store.listOrderPage({ fromDay: '2026-11-02', toDay: '2026-11-02' }, { limit: 10 });

      expect(keys(page.orders)).toEqual([
        'stripe:acct_test:o_2026-11-02_1',
        'stripe:acct_test:o_2026-11-02_0',
      ]);
      expect(page.next).toBeUndefined();
    });

    it('filters by state, by provider, by store alone and by provider and store, across pages', async () => {
      const at = day('2026-11-10');
      const events = [
        eventFor('s1', { provider: 'stripe', store: 'default' }),
        eventFor('s2', { provider: 'stripe', store: 'acct_other' }),
        eventFor('h1', { provider: 'shopify', store: 'shop.example.com' }),
        eventFor('w1', { provider: 'woocommerce', store: 'shop.example.com' }),
        eventFor('w2', { provider: 'woocommerce', store: 'other.example.com' }),
      ];
      for (const [i, event] of events.entries()) {
        await store.record(event, `e${i}`, new Date(at.getTime() + i * 1000));
      }
      await store.recordOutcome(events[0]?.orderKey as string, 'fulfilled', undefined, at);
      await store.recordOutcome(events[3]?.orderKey as string, 'fulfilled', undefined, at);
      const range = { fromDay: '2026-11-10', toDay: '2026-11-10' };

      const fulfilled = (await allPages({ ...range, state: 'fulfilled' }, 1)).flat();
      const stripe = (await allPages({ ...range, provider: 'stripe' }, 1)).flat();
      const shop = (await allPages({ ...range, store: 'shop.example.com' }, 1)).flat();
      const wooShop = (
        await allPages({ ...range, provider: 'woocommerce', store: 'shop.example.com' }, 5)
      ).flat();

      expect(fulfilled).toEqual(['woocommerce:shop.example.com:w1', 'stripe:default:s1']);
      expect(stripe).toEqual(['stripe:acct_other:s2', 'stripe:default:s1']);
      expect(shop).toEqual(['woocommerce:shop.example.com:w1', 'shopify:shop.example.com:h1']);
      expect(wooShop).toEqual(['woocommerce:shop.example.com:w1']);
    });

    it('walks past empty days to fill a filtered page, and says when there is nothing more', async () => {
      await seed(['2026-09-01'], 1);
      await seed(['2026-11-20'], 2);

      const page = await store.listOrderPage({ fromDay: '2026-08-01', toDay: '2026-11-30' }, { limit: 3 });

      expect(keys(page.orders)).toEqual([
        'stripe:acct_test:o_2026-11-20_1',
        'stripe:acct_test:o_2026-11-20_0',
        'stripe:acct_test:o_2026-09-01_0',
      ]);
      expect(page.next).toBeUndefined();
    });

    it('lists a stub a payment event left before its order, under the day it was written', async () => {
      await store.recordFact('stripe:acct_test:early', paymentFact(), day('2026-11-12'));

      const page = await store.listOrderPage({ fromDay: '2026-11-12', toDay: '2026-11-12' }, { limit: 5 });

      expect(page.orders).toEqual([
        expect.objectContaining({ orderKey: 'stripe:acct_test:early', payment: 'paid', state: 'open' }),
      ]);
    });

    it('refuses a cursor it did not make, and one outside the days asked for', async () => {
      await seed(['2026-11-01', '2026-11-02'], 2);
      const range = { fromDay: '2026-11-01', toDay: '2026-11-02' };
      const first = await store.listOrderPage(range, { limit: 1 });
      const forged = Buffer.from(JSON.stringify({ day: '2026-11-01', key: { pk: 'LEASE#x' } })).toString(
        'base64url',
      );

      await expect(store.listOrderPage(range, { limit: 1, cursor: 'not-a-cursor' })).rejects.toThrow(
        RangeError,
      );
      await expect(store.listOrderPage(range, { limit: 1, cursor: forged })).rejects.toThrow(RangeError);
      await expect(
        store.listOrderPage({ fromDay: '2026-10-01', toDay: '2026-10-31' }, { limit: 1, cursor: first.next }),
      ).rejects.toThrow(RangeError);
    });

    it('never returns the task token, nor the index attributes', async () => {
      const event = orderEvent({ kind: 'placed' });
      await store.record(event, 'e1', day('2026-11-05'));
      await store.storeTaskToken(event.orderKey, 'test-only-task-token', day('2026-11-05'));

      const [order] = (
        await store.listOrderPage({ fromDay: '2026-11-05', toDay: '2026-11-05' }, { limit: 1 })
      ).orders;

      expect(order?.waitingForPayment).toBe(true);
      expect(JSON.stringify(order)).not.toContain('test-only-task-token');
      for (const internal of ['taskToken', 'dayPk', 'daySk', 'buyerEmail', 'orderCustomer', 'pk', 'sk']) {
        expect(order).not.toHaveProperty(internal);
      }
    });
  });

  describe('searchOrders', () => {
    it('finds an order by its key with one GetItem', async () => {
      const client = dynamo.newClient();
      const counted = createDynamoStore({ tableName, client });
      const event = eventFor('key1');
      await counted.record(event, 'e1', day('2026-11-05'));
      const counter = countCalls(client);

      const found = await counted.searchOrders({ orderKey: event.orderKey }, 10);
      const missing = await counted.searchOrders({ orderKey: 'stripe:acct_test:nope' }, 10);

      expect(keys(found.orders)).toEqual([event.orderKey]);
      expect(missing).toEqual({ orders: [], more: false });
      expect(Object.fromEntries(counter.calls)).toEqual({ GetItem: 2 });
    });

    it("finds a buyer's orders by e-mail in any case, newest first, and says when there are more", async () => {
      for (const [i, date] of ['2026-11-01', '2026-11-02', '2026-11-03'].entries()) {
        await store.record(eventFor(`rep${i}`, { email: 'Ada.Lovelace@Example.com' }), 'e', day(date));
      }
      await store.record(eventFor('other', { email: 'someone@example.com' }), 'e', day('2026-11-02'));

      const all = await store.searchOrders({ email: '  ada.lovelace@example.COM ' }, 10);
      const two = await store.searchOrders({ email: 'ada.lovelace@example.com' }, 2);

      expect(keys(all.orders)).toEqual([
        'stripe:acct_test:rep2',
        'stripe:acct_test:rep1',
        'stripe:acct_test:rep0',
      ]);
      expect(all.more).toBe(false);
      expect(keys(two.orders)).toEqual(['stripe:acct_test:rep2', 'stripe:acct_test:rep1']);
      expect(two.more).toBe(true);
    });

    it('finds an order by its Yay customer name once the customer is recorded on it', async () => {
      const event = eventFor('cust1');
      await store.record(event, 'e1', day('2026-11-05'));
      const before = await store.searchOrders({ customerName: 'cABCDEFGHIJKLMNOPQRST' }, 5);
      await store.recordCustomer(event, { uuid: 'uuid-1', name: 'cABCDEFGHIJKLMNOPQRST' }, day('2026-11-05'));

      const after = await store.searchOrders({ customerName: 'cabcdefghijklmnopqrst' }, 5);

      expect(before.orders).toEqual([]);
      expect(after.orders).toEqual([
        expect.objectContaining({ orderKey: event.orderKey, customerUuid: 'uuid-1' }),
      ]);
    });

    it('finds an order by the e-mail a person supplied with a completion', async () => {
      const event = eventFor('noemail');
      const { buyer: _buyer, ...withoutBuyer } = event;
      await store.record(withoutBuyer as OrderEvent, 'e1', day('2026-11-05'));
      const before = await store.searchOrders({ email: 'supplied@example.com' }, 5);
      await store.beginReplay(event.orderKey, 0, 'e1-r1', 'completed', day('2026-11-05'), {
        event: { ...event, buyer: { email: 'supplied@example.com' } },
      });

      const after = await store.searchOrders({ email: 'supplied@example.com' }, 5);

      expect(before.orders).toEqual([]);
      expect(keys(after.orders)).toEqual([event.orderKey]);
    });

    it('still records an order whose key and e-mail are longer than an index key may be', async () => {
      const orderId = `long_${'x'.repeat(1200)}`;
      const event = eventFor(orderId, { email: `${'y'.repeat(300)}@example.com` });

      await store.record(event, 'e1', day('2026-11-05'));
      const listed = await store.listOrderPage({ fromDay: '2026-11-05', toDay: '2026-11-05' }, { limit: 5 });
      const byEmail = await store.searchOrders({ email: event.buyer?.email as string }, 5);

      expect(keys(listed.orders)).toEqual([event.orderKey]);
      expect(byEmail.orders).toEqual([]);
    });
  });

  describe('ordersCreated and creditMoved', () => {
    it('counts the orders of each day, and the credit that moved on each day, from the day index', async () => {
      const first = eventFor('c1');
      const second = eventFor('c2');
      await store.record(first, 'e1', day('2026-11-01'));
      await store.record(second, 'e2', day('2026-11-02'));
      await store.recordOutcome(first.orderKey, 'fulfilled', undefined, day('2026-11-02'));
      for (const event of [first, second]) {
        await store.planIntent(event.orderKey, { customerUuid: 'u', customerName: 'n' }, day('2026-11-02'));
        await store.transition(
          event.orderKey,
          ['PENDING'],
          'IN_FLIGHT',
          { amount: 10_000 },
          day('2026-11-02'),
        );
      }
      // The first moves on the 2nd; the second's outcome is unknown, so no credit is counted for it.
      await store.transition(first.orderKey, ['IN_FLIGHT'], 'APPLIED', {}, day('2026-11-02', 14));
      await store.transition(second.orderKey, ['IN_FLIGHT'], 'UNKNOWN', {}, day('2026-11-02', 14));

      const orders = await store.ordersCreated('2026-11-01', '2026-11-03');
      const credit = await store.creditMoved('2026-11-01', '2026-11-03');

      expect(orders).toEqual([
        { orderKey: first.orderKey, createdAt: '2026-11-01T12:00:00.000Z', state: 'fulfilled' },
        { orderKey: second.orderKey, createdAt: '2026-11-02T12:00:00.000Z', state: 'open' },
      ]);
      expect(credit).toEqual([
        { orderKey: first.orderKey, amount: 10_000, movedAt: '2026-11-02T14:00:00.000Z' },
      ]);
      expect(await store.getIntent(first.orderKey)).not.toHaveProperty('dayPk');
    });
  });
});
