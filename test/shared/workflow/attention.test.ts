import { beforeEach, describe, expect, it } from 'vitest';
import type { Millis } from '../../../shared/domain/credit';
import { executionName } from '../../../shared/domain/keys';
import type { OrderEvent } from '../../../shared/domain/order-event';
import { type AttentionReason, attentionAction } from '../../../shared/domain/order-state';
import { OrderInvalid } from '../../../shared/errors';
import type { DynamoStore } from '../../../shared/store/dynamo-store';
import {
  type AttentionDeps,
  applyCompletion,
  closeOrder,
  completeOrder,
} from '../../../shared/workflow/attention';
import type { ExecutionInput } from '../../../shared/workflow/contract';
import { deferred } from './fakes';
import { orderEvent, paymentFact, refundFact } from './fixtures';
import { executionArnOf, type WorkflowHarness, workflowHarness } from './harness';

/** An order whose store gave no street or city: create-customer parks it for a person. */
const withoutStreetAndCity = () => orderEvent({ address: { zip: 'GU2 4AW', country_code: 'GB' } });

/** The event without its buyer key (a phone order with no customer id and no e-mail). */
function withoutBuyerKey(event: OrderEvent): OrderEvent {
  const { buyerKey: _, ...rest } = event;
  return rest;
}

describe('attention', () => {
  const h = workflowHarness();
  let store: DynamoStore;
  let obs: WorkflowHarness['obs'];
  let deps: AttentionDeps;

  beforeEach(() => {
    ({ store, obs, deps } = h);
  });

  const now = () => obs.observability.now();

  /** Records the order and parks it as the graph's Record outcome step would (needs_attention + attention). */
  async function park(event: OrderEvent, reason: AttentionReason, fields?: string[]) {
    await store.record(event, executionName(event.orderKey), now());
    await store.recordOutcome(event.orderKey, 'needs_attention', undefined, now(), {
      attention: {
        reason,
        message: `parked: ${reason}`,
        action: attentionAction(reason, event.orderKey, fields),
        ...(fields ? { fields } : {}),
        since: now().toISOString(),
      },
    });
  }

  /**
   * A paid order whose money cannot say what it owes (£1 refunded of a £10 order of several lines), parked as the
   * transfer's HELD would park it; `cancelled` leaves the transfer CANCELLED (as when the money first owed nothing).
   */
  async function creditUndecided(
    reason: 'credit_undecided' | 'disputed' = 'credit_undecided',
    cancelled = false,
  ) {
    const event = orderEvent({
      kind: 'paid',
      money: { total: 1_000, currency: 'GBP', singleCreditLine: false },
      facts: [paymentFact()],
    });
    await store.record(event, executionName(event.orderKey), now());
    await store.recordFact(event.orderKey, refundFact({ amount: 100 }), now());
    if (cancelled) {
      await store.planIntent(event.orderKey, { customerUuid: 'uuid-1', customerName: 'cname' }, now());
      await store.transition(event.orderKey, ['PENDING'], 'CANCELLED', {}, now());
    }
    await park(event, reason);
    return event;
  }

  const startedInput = (index = 0) => h.started[index]?.input as ExecutionInput | undefined;

  describe('completeOrder', () => {
    const MISSING = ['address.street_one', 'address.city'];

    it('resumes an order parked for missing details as execution -r1 whose input carries the merged address', async () => {
      const event = withoutStreetAndCity();
      await park(event, 'missing_details', MISSING);

      const result = await completeOrder(
        deps,
        event.orderKey,
        { street: 'Westbury House', city: 'Guildford' },
        'buyer phoned in the address',
      );

      const name = executionName(event.orderKey, 1);
      expect(result).toEqual({ executionName: name, executionArn: executionArnOf(name) });
      expect(h.started.map((start) => start.name)).toEqual([name]);
      const merged = {
        ...event,
        address: { zip: 'GU2 4AW', country_code: 'GB', street_one: 'Westbury House', city: 'Guildford' },
      };
      expect(startedInput()).toEqual({ order: merged, executionArn: executionArnOf(name) });
      const order = await store.get(event.orderKey);
      expect(order).toMatchObject({ state: 'open', replays: 1, executionName: name, event: merged });
      expect(order?.attention).toBeUndefined();
      expect(order?.actions).toEqual([
        {
          action: 'complete',
          at: now().toISOString(),
          reason: 'buyer phoned in the address',
          detail: 'supplied street, city',
        },
      ]);
      expect((await store.listOpen()).map((open) => open.orderKey)).toEqual([event.orderKey]);
      expect(await store.listAttention()).toEqual([]);
    });

    it('refuses a second completion once the order has resumed, and starts nothing more', async () => {
      const event = withoutStreetAndCity();
      await park(event, 'missing_details', MISSING);
      const completion = { street: 'Westbury House', city: 'Guildford' };
      await completeOrder(deps, event.orderKey, completion, 'first');

      const again = completeOrder(deps, event.orderKey, completion, 'second');

      await expect(again).rejects.toBeInstanceOf(OrderInvalid);
      await expect(again).rejects.toThrow(/is open, not waiting/);
      expect(h.started).toHaveLength(1);
      expect((await store.get(event.orderKey))?.actions).toHaveLength(1);
    });

    it('starts one execution when two completions race, refusing the loser as already resumed', async () => {
      const event = withoutStreetAndCity();
      await park(event, 'missing_details', MISSING);
      // Both completions have read the waiting order before either claims it: the claim alone decides.
      const bothRead = deferred();
      let claims = 0;
      const meetAtClaim: DynamoStore = {
        ...store,
        beginReplay: async (...args) => {
          claims += 1;
          if (claims === 2) bothRead.resolve();
          await bothRead.promise;
          return store.beginReplay(...args);
        },
      };
      const racing = { ...deps, orders: meetAtClaim };
      const completion = { street: 'Westbury House', city: 'Guildford' };

      const results = await Promise.allSettled([
        completeOrder(racing, event.orderKey, completion, 'ops'),
        completeOrder(racing, event.orderKey, completion, 'console'),
      ]);

      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toBeInstanceOf(OrderInvalid);
      expect(lost[0].message).toMatch(/was resumed by someone else/);
      expect(h.started.map((start) => start.name)).toEqual([executionName(event.orderKey, 1)]);
      expect(await store.get(event.orderKey)).toMatchObject({ replays: 1, actions: [expect.anything()] });
    });

    it('refuses, writing nothing, when the completion still leaves a field missing, naming the field', async () => {
      const event = withoutStreetAndCity();
      await park(event, 'missing_details', MISSING);
      const before = await store.get(event.orderKey);

      const attempt = completeOrder(deps, event.orderKey, { street: 'Westbury House' }, 'ops');

      await expect(attempt).rejects.toBeInstanceOf(OrderInvalid);
      await expect(attempt).rejects.toThrow(/needs address\.city: supply them too/);
      expect(await store.get(event.orderKey)).toEqual(before);
      expect(h.started).toEqual([]);
    });

    it('refuses, writing nothing, when the order is not waiting for a person, naming its state', async () => {
      const event = orderEvent({ kind: 'paid' });
      await store.record(event, executionName(event.orderKey), now());
      await store.recordOutcome(event.orderKey, 'fulfilled', undefined, now());
      const before = await store.get(event.orderKey);

      const attempt = completeOrder(deps, event.orderKey, { city: 'Guildford' }, 'ops');

      await expect(attempt).rejects.toBeInstanceOf(OrderInvalid);
      await expect(attempt).rejects.toThrow(/is fulfilled, not waiting for details/);
      expect(await store.get(event.orderKey)).toEqual(before);
      expect(h.started).toEqual([]);
    });

    it('refuses an order that is not recorded, naming it', async () => {
      const attempt = completeOrder(deps, 'stripe:acct_test:cs_unknown', { city: 'Guildford' }, 'ops');

      await expect(attempt).rejects.toBeInstanceOf(OrderInvalid);
      await expect(attempt).rejects.toThrow('order stripe:acct_test:cs_unknown is not recorded');
      expect(await store.get('stripe:acct_test:cs_unknown')).toBeUndefined();
      expect(h.started).toEqual([]);
    });

    it('resumes a repeat buyer with only the names supplied: their Yay customer needs no address', async () => {
      const event = orderEvent({ buyer: { email: 'geoff@example.com' }, address: {} });
      await park(event, 'missing_details', ['buyer.firstName', 'buyer.lastName', 'address.street_one']);
      await store.putCustomer(event.buyerKey as string, { uuid: 'uuid-repeat', name: 'cgeoff' }, now());

      await completeOrder(deps, event.orderKey, { firstName: 'Geoff', lastName: 'Wilson' }, 'ops');

      expect(h.started).toHaveLength(1);
      expect(startedInput()?.order.buyer).toEqual({
        email: 'geoff@example.com',
        firstName: 'Geoff',
        lastName: 'Wilson',
        name: 'Geoff Wilson',
      });
      expect((await store.get(event.orderKey))?.state).toBe('open');
    });

    it('refuses the same names-only completion for a buyer with no Yay customer yet, naming the address', async () => {
      const event = orderEvent({ buyer: { email: 'geoff@example.com' }, address: {} });
      await park(event, 'missing_details', ['buyer.firstName', 'buyer.lastName', 'address.street_one']);

      const attempt = completeOrder(deps, event.orderKey, { firstName: 'Geoff', lastName: 'Wilson' }, 'ops');

      await expect(attempt).rejects.toThrow(/address\.street_one/);
      expect(h.started).toEqual([]);
    });

    it('derives the buyer key from a supplied e-mail when the order had none', async () => {
      const event = withoutBuyerKey(orderEvent({ buyer: { firstName: 'Geoff', lastName: 'Wilson' } }));
      await park(event, 'missing_details', ['buyer.email']);

      await completeOrder(deps, event.orderKey, { email: 'Geoff.Wilson@Example.COM' }, 'ops');

      const expected = 'stripe:acct_test:geoff.wilson@example.com';
      expect(startedInput()?.order).toMatchObject({
        buyerKey: expected,
        buyer: { email: 'Geoff.Wilson@Example.COM' },
      });
      expect(await store.get(event.orderKey)).toMatchObject({
        buyerKey: expected,
        event: { buyerKey: expected },
      });
    });

    it('refuses an order with no buyer key when no e-mail is supplied, pointing at --email', async () => {
      const event = withoutBuyerKey(orderEvent({ buyer: { firstName: 'Geoff', lastName: 'Wilson' } }));
      await park(event, 'missing_details', ['buyer.email']);

      await expect(completeOrder(deps, event.orderKey, { city: 'Guildford' }, 'ops')).rejects.toThrow(
        /lacks buyer\.email: supply --email/,
      );
      expect(h.started).toEqual([]);
    });

    describe('an unpriced order', () => {
      const unpriced = () =>
        orderEvent({
          credit: { amount: null, currency: 'EUR', unpricedReason: 'currency EUR not in catalog' },
        });

      it('refuses, writing nothing, until a credit amount is supplied', async () => {
        const event = unpriced();
        await park(event, 'unpriced');
        const before = await store.get(event.orderKey);

        const attempt = completeOrder(deps, event.orderKey, {}, 'ops');

        await expect(attempt).rejects.toBeInstanceOf(OrderInvalid);
        await expect(attempt).rejects.toThrow(/no credit amount: supply --credit/);
        expect(await store.get(event.orderKey)).toEqual(before);
        expect(h.started).toEqual([]);
      });

      it("resumes with the supplied credit as the new event's amount, in millis", async () => {
        const event = unpriced();
        await park(event, 'unpriced');

        await completeOrder(deps, event.orderKey, { credit: 12_500 as Millis }, 'priced by hand');

        expect(startedInput()?.order.credit).toEqual({ amount: 12_500, currency: 'EUR' });
        const order = await store.get(event.orderKey);
        expect(order?.event?.credit).toEqual({ amount: 12_500, currency: 'EUR' });
        expect(order?.actions?.[0]).toMatchObject({
          reason: 'priced by hand',
          detail: 'supplied credit 12.500',
        });
      });

      it('refuses a credit below the minimum transfer of 0.010', async () => {
        const event = unpriced();
        await park(event, 'unpriced');

        const attempt = completeOrder(deps, event.orderKey, { credit: 9 as Millis }, 'ops');

        await expect(attempt).rejects.toThrow('--credit must be at least 0.010');
        expect((await store.get(event.orderKey))?.state).toBe('needs_attention');
        expect(h.started).toEqual([]);
      });
    });

    describe('credit a person decides', () => {
      it.each(['credit_undecided', 'disputed'] as const)(
        'refuses %s, writing nothing, without --credit',
        async (reason) => {
          const event = await creditUndecided(reason);
          const before = await store.get(event.orderKey);

          const attempt = completeOrder(deps, event.orderKey, {}, 'ops');

          await expect(attempt).rejects.toBeInstanceOf(OrderInvalid);
          await expect(attempt).rejects.toThrow(/--credit/);
          expect(await store.get(event.orderKey)).toEqual(before);
          expect(h.started).toEqual([]);
        },
      );

      it('records the decision for the facts the person saw, and resumes the order with its event unchanged', async () => {
        const event = await creditUndecided();

        await completeOrder(
          deps,
          event.orderKey,
          { credit: 9_000 as Millis },
          'checked the refund in the store',
        );

        expect(h.started.map((start) => start.name)).toEqual([executionName(event.orderKey, 1)]);
        expect(startedInput()?.order.credit).toEqual(event.credit);
        const order = await store.get(event.orderKey);
        expect(order).toMatchObject({
          state: 'open',
          creditDecision: { credit: 9_000, factCount: 2 },
          actions: [{ action: 'complete', detail: 'supplied credit 9.000' }],
        });
        expect((await store.listOwed()).map((owed) => owed.orderKey)).toEqual([event.orderKey]);
      });

      it('plans afresh a transfer cancelled when the money owed nothing', async () => {
        const event = await creditUndecided('credit_undecided', true);

        await completeOrder(deps, event.orderKey, { credit: 5_000 as Millis }, 'half the credit stands');

        expect(await store.getIntent(event.orderKey)).toBeUndefined();
      });
    });
  });

  describe('closeOrder', () => {
    it('closes an order waiting for details: state closed, out of the attention queue, action recorded', async () => {
      const event = withoutStreetAndCity();
      await park(event, 'missing_details', ['address.street_one', 'address.city']);
      expect(await store.listAttention()).toHaveLength(1);

      const closed = await closeOrder(deps, event.orderKey, 'buyer cancelled by phone');

      expect(closed).toMatchObject({ state: 'closed', outcome: 'closed' });
      expect(closed.attention).toBeUndefined();
      expect(closed.actions).toEqual([
        {
          action: 'close',
          at: now().toISOString(),
          reason: 'buyer cancelled by phone',
          detail: 'missing_details',
        },
      ]);
      expect(await store.listAttention()).toEqual([]);
      expect(await store.listOpen()).toEqual([]);
      expect(h.started).toEqual([]);
    });

    it('keeps a fulfilled order fulfilled when closing its refund-after-credit attention', async () => {
      const event = orderEvent({ kind: 'paid' });
      await store.record(event, executionName(event.orderKey), now());
      await store.recordOutcome(event.orderKey, 'fulfilled', undefined, now());
      await store.flagAttention(
        event.orderKey,
        {
          reason: 'refund_after_credit',
          message: 'refunded after 10.000 moved',
          action: attentionAction('refund_after_credit', event.orderKey),
          since: now().toISOString(),
        },
        now(),
        { beside: true },
      );

      const closed = await closeOrder(deps, event.orderKey, 'clawed back in Yay by hand');

      expect(closed).toMatchObject({ state: 'fulfilled', outcome: 'fulfilled' });
      expect(closed.attention).toBeUndefined();
      expect(closed.actions).toEqual([
        expect.objectContaining({ action: 'close', detail: 'refund_after_credit' }),
      ]);
      expect(await store.listAttention()).toEqual([]);
    });

    it('refuses to close a transfer under review, naming resolve-transfer, and writes nothing', async () => {
      const event = orderEvent({ kind: 'paid' });
      await park(event, 'transfer_review');
      const before = await store.get(event.orderKey);

      const attempt = closeOrder(deps, event.orderKey, 'ops');

      await expect(attempt).rejects.toBeInstanceOf(OrderInvalid);
      await expect(attempt).rejects.toThrow(/transfer under review: .*resolve-transfer/);
      expect(await store.get(event.orderKey)).toEqual(before);
    });

    it('refuses an order that waits for nobody, naming its state', async () => {
      const event = orderEvent();
      await store.record(event, executionName(event.orderKey), now());

      const attempt = closeOrder(deps, event.orderKey, 'ops');

      await expect(attempt).rejects.toBeInstanceOf(OrderInvalid);
      await expect(attempt).rejects.toThrow(/is open and waits for nobody/);
      expect((await store.get(event.orderKey))?.actions).toBeUndefined();
    });
  });
});

describe('applyCompletion', () => {
  it('lays the supplied fields over the event, trimmed, with the country upper-cased and blanks ignored', () => {
    const event = orderEvent();

    const next = applyCompletion(event, {
      firstName: ' Ann ',
      street: '  ',
      country: 'ie',
      zip: 'D02 X285',
    });

    expect(next.buyer).toMatchObject({ firstName: 'Ann', lastName: 'Wilson', name: 'Ann Wilson' });
    expect(next.address).toEqual({ ...event.address, country_code: 'IE', zip: 'D02 X285' });
    expect(next.credit).toEqual(event.credit);
  });

  it('keeps the buyer key an order already has when an e-mail is supplied', () => {
    const event = orderEvent();

    const next = applyCompletion(event, { email: 'new@example.com' });

    expect(next.buyerKey).toBe(event.buyerKey);
    expect(next.buyer?.email).toBe('new@example.com');
  });
});
