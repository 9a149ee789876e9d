import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { paymentKey } from '../domain/keys';
import type { OrderEvent } from '../domain/order-event';
import { TableSchema } from './schema';
import {
  BUYER_EMAIL,
  DAY_PK,
  DAY_SK,
  dayOf,
  daySortKey,
  enterQueue,
  enterQueueUnlessQueued,
  getItem,
  ItemKeys,
  inQueue,
  leaveQueue,
  lookupKey,
  mustExist,
  ORDER_CUSTOMER,
  onDay,
  orderKeyOf,
  PK,
  queueItems,
  queueSortKey,
  strip,
  type Table,
  tryPut,
  tryUpdate,
  Update,
  updateItem,
} from './table';
import type { OrderRecord, OrderStore } from './types';

/** The PaymentRefs index key of an event's payment: `provider:store:<payment id>`. */
function paymentRefOf(event: OrderEvent): string | undefined {
  return event.paymentRef ? paymentKey(event.provider, event.store, event.paymentRef) : undefined;
}

/** The console's search key of an event's buyer: the lower-cased e-mail (the BuyerEmails index). */
function buyerEmailOf(event: OrderEvent): string | undefined {
  return lookupKey(event.buyer?.email);
}

/**
 * What every order item has, for an update that may be the one creating it (a payment event before the
 * order, a console-started execution): its key, kind and timestamps, its creation day (ByDay), and no replays
 * yet. Defaults only: an order that exists keeps the day it was created on.
 */
function asOrderItem(update: Update, orderKey: string, at: string): Update {
  return update
    .set('orderKey', orderKey)
    .set('updatedAt', at)
    .setDefault('createdAt', at)
    .setDefault('replays', 0)
    .setDefault(DAY_PK, ItemKeys.ordersOn(dayOf(at)))
    .setDefault(DAY_SK, daySortKey(at, orderKey))
    .set('kind', 'order');
}

const order = (orderKey: string) => `order ${orderKey}`;

/**
 * Orders: every method is one conditional write on the order item (or a read), because dynalite has no
 * transactions and a crash may fall between any two writes: callers order their writes so that every prefix
 * of a sequence is a state the next attempt understands (see shared/workflow/transfer-credit.ts).
 */
export function orderRepository(table: Table): OrderStore {
  const get = (orderKey: string) => getItem<OrderRecord>(table, ItemKeys.order(orderKey));

  return {
    get,

    async record(event, executionName, now, executionArn) {
      const at = now.toISOString();
      const paymentRef = paymentRefOf(event);
      const recorded: OrderRecord = {
        orderKey: event.orderKey,
        event,
        buyerKey: event.buyerKey,
        ...(paymentRef ? { paymentRef } : {}),
        state: 'open',
        payment: event.kind === 'paid' ? 'paid' : 'unpaid',
        paidAt: event.kind === 'paid' ? at : undefined,
        executionName,
        ...(executionArn ? { executionArn } : {}),
        replays: 0,
        createdAt: at,
        updatedAt: at,
      };
      const email = buyerEmailOf(event);
      const put = await tryPut<OrderRecord>(table, {
        ...ItemKeys.order(event.orderKey),
        kind: 'order',
        ...inQueue(ItemKeys.openOrders, queueSortKey(at, event.orderKey)),
        ...onDay(ItemKeys.ordersOn, at, event.orderKey),
        ...(email ? { [BUYER_EMAIL]: email } : {}),
        ...recorded,
      });
      if (put.applied) return { order: recorded, created: true };

      // A stub written by an early payment event has no `event`: fill it in and open the order, once.
      const existing = mustExist(await put.current(), order(event.orderKey));
      if (existing.event) return { order: existing, created: false };
      const fill = new Update().set('event', event).setDefault('executionName', executionName);
      if (executionArn) fill.setDefault('executionArn', executionArn);
      // A stub a person already has in front of them (ATTENTION) stays there.
      enterQueueUnlessQueued(fill, ItemKeys.openOrders, queueSortKey(existing.createdAt, event.orderKey));
      fill.set('updatedAt', at);
      if (event.buyerKey) fill.set('buyerKey', event.buyerKey);
      if (paymentRef) fill.set('paymentRef', paymentRef);
      if (email) fill.set(BUYER_EMAIL, email);
      const filled = await tryUpdate<OrderRecord>(
        table,
        ItemKeys.order(event.orderKey),
        fill,
        `attribute_not_exists(${fill.name('event')})`,
      );
      if (filled.applied) return { order: filled.item, created: true };
      return { order: mustExist(await filled.current(), order(event.orderKey)), created: false };
    },

    async markPayment(orderKey, status, now) {
      const at = now.toISOString();
      // An UpdateItem on a missing key creates it: an out-of-order payment event leaves a stub that the
      // later placed/paid event completes (see `record`). The stub is not in the open index: nothing to run yet.
      const mark = asOrderItem(new Update().set('payment', status), orderKey, at).setDefault('state', 'open');
      if (status === 'paid') mark.setDefault('paidAt', at);
      // Only from unpaid: a repeat finds the status already set (applied false, same status) and a
      // contradiction finds the other one, which is how callers tell the two apart.
      const payment = mark.name('payment');
      const written = await tryUpdate<OrderRecord>(
        table,
        ItemKeys.order(orderKey),
        mark,
        `attribute_not_exists(${payment}) OR ${payment} = ${mark.value('unpaid')}`,
      );
      if (written.applied) return { applied: true, order: written.item };
      return { applied: false, order: mustExist(await written.current(), order(orderKey)) };
    },

    async markRefunded(orderKey, now) {
      const refund = asOrderItem(new Update().set('refunded', true), orderKey, now.toISOString())
        .setDefault('state', 'open')
        .setDefault('payment', 'unpaid');
      return updateItem<OrderRecord>(table, ItemKeys.order(orderKey), refund);
    },

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
      const { attention, unlessPaid, keepAttention = [] } = options;
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
      // A late replay that fails must not turn a fulfilled order (credit moved) into a failed one.
      const recorded = write.name('outcome');
      const fulfilled = write.value('fulfilled');
      let condition =
        `attribute_not_exists(${recorded}) OR ${recorded} <> ${fulfilled} ` +
        `OR ${write.value(outcome)} = ${fulfilled}`;
      if (unlessPaid) {
        const payment = write.name('payment');
        condition = `(${condition}) AND (attribute_not_exists(${payment}) OR ${payment} <> ${write.value('paid')})`;
      }
      if (keepAttention.length > 0) {
        const standing = write.name('attention');
        const reasons = keepAttention.map((reason) => write.value(reason)).join(', ');
        condition = `(${condition}) AND (attribute_not_exists(${standing}) OR NOT (${standing}.reason IN (${reasons})))`;
      }
      const written = await tryUpdate<OrderRecord>(table, ItemKeys.order(orderKey), write, condition);
      if (written.applied) return { applied: true, order: written.item };

      const current = mustExist(await written.current(), order(orderKey));
      if (!unlessPaid || current.payment !== 'paid' || current.outcome === 'fulfilled') {
        return { applied: false, order: current };
      }
      // The payment arrived while the window closed: keep the order open (and in the sweep's queue), so the
      // sweep starts the execution that credits it; the token is gone, as the wait has ended. A retry of this
      // same expiry after the outcome was written finds it there and leaves it (the late-payment path credits it).
      const reopen = new Update().set('state', 'open').set('updatedAt', at).remove('taskToken');
      enterQueue(reopen, ItemKeys.openOrders, queueSortKey(current.createdAt, orderKey));
      const reopened = await tryUpdate<OrderRecord>(
        table,
        ItemKeys.order(orderKey),
        reopen,
        `attribute_not_exists(${reopen.name('outcome')})`,
      );
      if (!reopened.applied) {
        return { applied: false, order: mustExist(await reopened.current(), order(orderKey)) };
      }
      return { applied: false, reopened: true, order: reopened.item };
    },

    async flagAttention(orderKey, attention, now, options = {}) {
      const at = now.toISOString();
      const flag = new Update().set('attention', attention);
      enterQueue(flag, ItemKeys.attention, queueSortKey(attention.since, orderKey));
      flag.set('updatedAt', at).remove('taskToken');
      const flagged = flag.name('attention');
      let condition = `attribute_exists(${flag.name(PK)})`;
      if (options.once === 'refundAfterCredit') {
        // The order keeps its state (fulfilled: the credit did move); the marker makes the flag once per order.
        // A transfer still under review keeps its attention: it must be decided first (resolve-transfer flags
        // the refund once it is decided applied).
        flag.set('refundAfterCreditAt', at);
        condition +=
          ` AND attribute_not_exists(${flag.name('refundAfterCreditAt')})` +
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
      return { applied: false, order: mustExist(await written.current(), order(orderKey)) };
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
      if (change.confirmPayment) claim.set('payment', 'paid').setDefault('paidAt', at);
      if (change.clearRefund) claim.remove('refunded');
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
      leaveQueue(close);
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

    async findByPaymentRef(paymentRef) {
      const out = await table.doc.send(
        new QueryCommand({
          TableName: table.name,
          IndexName: TableSchema.paymentRefIndex.name,
          KeyConditionExpression: '#ref = :ref',
          ExpressionAttributeNames: { '#ref': TableSchema.paymentRefIndex.partitionKey },
          ExpressionAttributeValues: { ':ref': paymentRef },
          Limit: 1,
        }),
      );
      const [found] = out.Items ?? [];
      return found ? orderKeyOf(found) : undefined;
    },
  };
}
