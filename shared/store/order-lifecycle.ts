/**
 * What becomes of an order once recorded: the execution running it, its payment wait, its customer, its outcome, a
 * person's attention, and the replays that set it going again.
 */
import {
  enterOwed,
  enterQueue,
  enterQueueUnlessQueued,
  leaveOwed,
  leaveQueue,
  lookupKey,
  queueItems,
  queueSortKey,
} from './indexes';
import { BUYER_EMAIL, ItemKeys, ORDER_CUSTOMER, OWED_PK, PK, strip } from './item-keys';
import { asOrderItem, buyerEmailOf, orderName } from './order-item';
import type { OrderRecord, OrderStore } from './order-repository';
import { getItem, mustExist, type Table, tryUpdate, updateItem } from './table';
import { Update } from './update';

/** The {@link OrderStore} methods that follow an order's run, its outcome and the people who look at it. */
export function orderLifecycle(
  table: Table,
): Omit<OrderStore, 'get' | 'record' | 'recordFact' | 'leaveOwed' | 'listOwed'> {
  const get = (orderKey: string) => getItem<OrderRecord>(table, ItemKeys.order(orderKey));

  return {
    async storeTaskToken(orderKey, taskToken, now) {
      const store = new Update()
        .set('taskToken', taskToken)
        .set('state', 'awaiting_payment')
        .set('updatedAt', now.toISOString());
      // Only while unpaid: a confirmation that got in first leaves `paid`, and we resume at once.
      const written = await tryUpdate<OrderRecord>(
        table,
        ItemKeys.order(orderKey),
        store,
        `attribute_exists(${store.name(PK)}) AND ${store.name('payment')} = ${store.value('unpaid')}`,
      );
      if (written.applied) return { stored: true } as const;
      return { stored: false, order: await written.current() } as const;
    },

    async recordCustomer(event, customer, now) {
      const at = now.toISOString();
      // Defaults everywhere: a console-started execution for an order dispatch never saw still leaves a
      // complete, open order behind; an order dispatch did record keeps what it has.
      const write = asOrderItem(
        new Update().set('customerUuid', customer.uuid).set('customerName', customer.name),
        event.orderKey,
        at,
      );
      const customerKey = lookupKey(customer.name);
      if (customerKey) write.set(ORDER_CUSTOMER, customerKey);
      if (event.buyerKey) write.setDefault('buyerKey', event.buyerKey);
      const email = buyerEmailOf(event);
      if (email) write.setDefault(BUYER_EMAIL, email);
      write
        .setDefault('event', event)
        .setDefault('payment', event.kind === 'paid' ? 'paid' : 'unpaid')
        .setDefault('state', 'open');
      enterQueueUnlessQueued(write, ItemKeys.openOrders, queueSortKey(at, event.orderKey));
      return updateItem<OrderRecord>(table, ItemKeys.order(event.orderKey), write);
    },

    async recordOutcome(orderKey, outcome, error, now, options = {}) {
      const at = now.toISOString();
      const { attention, settledAt } = options;
      const write = asOrderItem(new Update().set('outcome', outcome).set('state', outcome), orderKey, at)
        .setDefault('payment', 'unpaid')
        .remove('taskToken');
      if (error) write.set('lastError', error);
      if (attention) {
        // Waiting for a person: into the ATTENTION queue (an order there is never open, so one attribute serves).
        write.set('attention', attention);
        enterQueue(write, ItemKeys.attention, queueSortKey(attention.since, orderKey));
      } else {
        leaveQueue(write.remove('attention'));
      }
      // Credit moved, a person is asked, or the facts owe nothing: off the OwedCredit index in this same write.
      leaveOwed(write);
      // A late replay that fails must not turn a fulfilled order (credit moved) into a failed one.
      const recorded = write.name('outcome');
      const fulfilled = write.value('fulfilled');
      let condition =
        `attribute_not_exists(${recorded}) OR ${recorded} <> ${fulfilled} ` +
        `OR ${write.value(outcome)} = ${fulfilled}`;
      // Nothing but fulfilled (credit moved) or a person's attention on an order that may owe credit, unless its facts,
      // exactly as they stand, were found to owe nothing (then fulfilled too is written only at that fact count).
      const guarded = !attention && (outcome !== 'fulfilled' || settledAt !== undefined);
      if (guarded) {
        const owed = write.name(OWED_PK);
        const settled =
          settledAt === undefined
            ? ''
            : ` OR ${write.name('factCount')} = ${write.value(settledAt)}` +
              (settledAt === 0 ? ` OR attribute_not_exists(${write.name('factCount')})` : '');
        condition = `(${condition}) AND (attribute_not_exists(${owed})${settled})`;
      }
      const written = await tryUpdate<OrderRecord>(table, ItemKeys.order(orderKey), write, condition);
      if (written.applied) return { applied: true, order: written.item };

      const current = mustExist(await written.current(), orderName(orderKey));
      // The condition failed on a fulfilled order, or else (guarded) on one that may owe credit.
      if (!guarded || current.outcome === 'fulfilled') return { applied: false, order: current };
      // A payment (or another fact) arrived while the execution ended: keep the order open (and in the sweep's
      // queue), so the sweep starts the execution that credits it; the token is gone, as the wait has ended. A retry
      // of this same outcome after it was written finds it there and leaves it (the owed pass credits it).
      const reopen = new Update().set('state', 'open').set('updatedAt', at).remove('taskToken');
      enterQueue(reopen, ItemKeys.openOrders, queueSortKey(current.createdAt, orderKey));
      const reopened = await tryUpdate<OrderRecord>(
        table,
        ItemKeys.order(orderKey),
        reopen,
        `attribute_not_exists(${reopen.name('outcome')})`,
      );
      if (!reopened.applied) {
        return { applied: false, order: mustExist(await reopened.current(), orderName(orderKey)) };
      }
      return { applied: false, reopened: true, order: reopened.item };
    },

    async flagAttention(orderKey, attention, now, options = {}) {
      const at = now.toISOString();
      const flag = new Update().set('attention', attention);
      enterQueue(flag, ItemKeys.attention, queueSortKey(attention.since, orderKey));
      // A person is asked: off the OwedCredit index (their decision, or the credit moving, settles it).
      leaveOwed(flag.set('updatedAt', at).remove('taskToken'));
      const flagged = flag.name('attention');
      let condition = `attribute_exists(${flag.name(PK)})`;
      if (options.beside) {
        // The order keeps its state (fulfilled: the credit did move, or nothing was owed); the marker makes the flag
        // once per money fact: a repeated delivery finds it flagged, a later refund is flagged again. A transfer still
        // under review keeps its attention: it must be decided first (resolve-transfer flags the refund once it is
        // decided applied).
        const seen = flag.name('attentionFacts');
        const count = flag.name('factCount');
        if (attention.reason === 'refund_after_credit') flag.set('refundAfterCreditAt', at);
        flag.copy('attentionFacts', 'factCount');
        condition +=
          ` AND (attribute_not_exists(${seen}) OR ${seen} < ${count})` +
          ` AND (attribute_not_exists(${flagged}) OR ${flagged}.reason <> ${flag.value('transfer_review')})`;
      } else {
        // Parked for a person, but never over a fulfilled order (its credit moved, and its state says so), and
        // once per reason: a repeated event finds it already waiting.
        flag.set('state', 'needs_attention').set('outcome', 'needs_attention');
        const outcome = flag.name('outcome');
        condition +=
          ` AND (attribute_not_exists(${outcome}) OR ${outcome} <> ${flag.value('fulfilled')})` +
          ` AND (attribute_not_exists(${flagged}) OR ${flagged}.reason <> ${flag.value(attention.reason)})`;
      }
      const written = await tryUpdate<OrderRecord>(table, ItemKeys.order(orderKey), flag, condition);
      if (written.applied) return { applied: true, order: written.item };
      return { applied: false, order: mustExist(await written.current(), orderName(orderKey)) };
    },

    async setExecution(orderKey, executionName, executionArn, now) {
      const write = new Update()
        .set('executionName', executionName)
        .set('executionArn', executionArn)
        .set('updatedAt', now.toISOString());
      await updateItem(table, ItemKeys.order(orderKey), write, `attribute_exists(${write.name(PK)})`);
    },

    async beginReplay(orderKey, expectedReplays, executionName, reason, now, change = {}) {
      const at = now.toISOString();
      const current = await get(orderKey);
      if (!current) return false;
      const claim = new Update()
        .set('replays', expectedReplays + 1)
        .set('executionName', executionName)
        .set('replayReason', reason)
        .set('updatedAt', at)
        .set('state', 'open');
      enterQueue(claim, ItemKeys.openOrders, queueSortKey(current.createdAt, orderKey));
      // The outcome goes with the attention: the new execution records its own.
      claim.remove('taskToken', 'executionArn', 'attention', 'outcome');
      let condition = `${claim.name('replays')} = ${claim.value(expectedReplays)}`;
      if (change.fromStates?.length) {
        const states = change.fromStates.map((state) => claim.value(state));
        condition += ` AND ${claim.name('state')} IN (${states.join(', ')})`;
      }
      if (change.event) {
        claim.set('event', change.event);
        if (change.event.buyerKey) claim.set('buyerKey', change.event.buyerKey);
        // A person may have supplied the e-mail: the search finds the order by it from now on.
        const email = buyerEmailOf(change.event);
        if (email) claim.set(BUYER_EMAIL, email);
      }
      if (change.decision) claim.set('creditDecision', change.decision);
      // A paid order that a person (or the sweep) sets going again may owe credit until its new run decides.
      if (current.payment === 'paid') enterOwed(claim, at, orderKey);
      if (change.action) claim.append('actions', [change.action]);
      return (await tryUpdate(table, ItemKeys.order(orderKey), claim, condition)).applied;
    },

    async closeAttention(orderKey, action, now) {
      const current = await get(orderKey);
      if (!current?.attention) return false;
      // A parked order becomes closed; a fulfilled or failed one stays what it is.
      const state = current.state === 'needs_attention' ? 'closed' : current.state;
      const close = new Update()
        .set('updatedAt', now.toISOString())
        .set('state', state)
        .set('outcome', state)
        .append('actions', [action])
        .remove('attention');
      // A person decided: nothing more is owed unless a fact comes after their decision.
      leaveOwed(leaveQueue(close));
      // The attention read above, still unchanged: a replay in between must not be closed by mistake.
      const condition =
        `${close.name('attention')}.since = ${close.value(current.attention.since)} ` +
        `AND ${close.name('state')} = ${close.value(current.state)}`;
      return (await tryUpdate(table, ItemKeys.order(orderKey), close, condition)).applied;
    },

    async recordAction(orderKey, action) {
      const write = new Update().append('actions', [action]);
      await updateItem(table, ItemKeys.order(orderKey), write, `attribute_exists(${write.name(PK)})`);
    },

    async listOpen() {
      const items = await queueItems(table, ItemKeys.openOrders, (item) => 'state' in item);
      return items.map((item) => strip<OrderRecord>(item));
    },

    async listAttention() {
      const items = await queueItems(table, ItemKeys.attention, (item) => 'state' in item);
      return items.map((item) => strip<OrderRecord>(item));
    },
  };
}
