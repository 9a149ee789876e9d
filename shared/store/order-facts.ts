/**
 * Recording an order and its money: the order's first write (or the filling of a stub an early payment left), each
 * money fact once, and the OwedCredit index the sweep walks so that nothing owed is forgotten.
 */
import { paymentKey } from '../domain/keys';
import { factKey, type MoneyFact } from '../domain/money';
import type { OrderEvent } from '../domain/order-event';
import type { PaymentStatus } from '../domain/order-state';
import { enterOwed, enterQueueUnlessQueued, inQueue, leaveOwed, onDay, queueSortKey } from './indexes';
import { BUYER_EMAIL, ItemKeys, OWED_PK, OWED_SK, PK, strip } from './item-keys';
import { asOrderItem, buyerEmailOf, orderName } from './order-item';
import type { OrderRecord, OrderStore } from './order-repository';
import { TableSchema } from './schema';
import { mustExist, queryAll, type Table, tryPut, tryUpdate } from './table';
import { Update } from './update';

/** The payment an event names, `provider:store:<payment id>`, kept on the order for people's eyes. */
function paymentRefOf(event: OrderEvent): string | undefined {
  return event.paymentRef ? paymentKey(event.provider, event.store, event.paymentRef) : undefined;
}

/** The payment status facts say: paid from any payment, failed when only failures, else unpaid. */
function paymentOf(facts: readonly MoneyFact[], fallback: PaymentStatus): PaymentStatus {
  if (facts.some((fact) => fact.type === 'payment')) return 'paid';
  if (facts.some((fact) => fact.type === 'failure')) return 'failed';
  return fallback;
}

/** Facts once each by `type:id`, first one kept. */
function distinct(facts: readonly MoneyFact[]): MoneyFact[] {
  const seen = new Set<string>();
  return facts.filter((fact) => {
    const key = factKey(fact);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The {@link OrderStore} methods that record an order and its money facts. */
export function orderFacts(
  table: Table,
): Pick<OrderStore, 'record' | 'recordFact' | 'leaveOwed' | 'listOwed'> {
  /**
   * One fact, once: appended with its key in one write whose condition is that the key is not there yet. A payment
   * marks the order paid and puts it on the OwedCredit index (a superset: the sweep derives and takes off what owes
   * nothing); a failure marks it failed unless it is paid (a second write, only when the first met a payment).
   */
  async function recordFact(
    orderKey: string,
    fact: MoneyFact,
    now: Date,
  ): Promise<{ added: boolean; order: OrderRecord }> {
    const at = now.toISOString();
    const key = factKey(fact);
    for (const failedOverPayment of [false, true]) {
      const write = asOrderItem(new Update(), orderKey, at)
        .setDefault('state', 'open')
        .append('facts', [fact])
        .append('factIds', [key])
        .increment('factCount');
      let condition = `NOT contains(${write.name('factIds')}, ${write.value(key)})`;
      if (fact.type === 'payment') {
        write.set('payment', 'paid').setDefault('paidAt', at);
        enterOwed(write, at, orderKey);
      } else if (fact.type === 'failure' && !failedOverPayment) {
        write.set('payment', 'failed');
        const payment = write.name('payment');
        condition += ` AND (attribute_not_exists(${payment}) OR ${payment} <> ${write.value('paid')})`;
      } else {
        write.setDefault('payment', 'unpaid');
        if (fact.type === 'refund') write.set('refunded', true);
      }
      const written = await tryUpdate<OrderRecord>(table, ItemKeys.order(orderKey), write, condition);
      if (written.applied) return { added: true, order: written.item };
      const current = mustExist(await written.current(), orderName(orderKey));
      if ((current.factIds ?? []).includes(key) || fact.type !== 'failure') {
        return { added: false, order: current };
      }
      // A failure reported for an order already paid: recorded, the payment stands.
    }
    throw new Error(`fact ${key} of ${orderKey} could not be recorded`);
  }

  return {
    async record(event, executionName, now, executionArn, given = event.facts ?? []) {
      const at = now.toISOString();
      const paymentRef = paymentRefOf(event);
      const facts = distinct(given);
      // An event of kind `paid` without facts (an input made by hand) counts as paid, for an amount nobody recorded.
      const payment = paymentOf(facts, event.kind === 'paid' ? 'paid' : 'unpaid');
      const recorded: OrderRecord = {
        orderKey: event.orderKey,
        event,
        buyerKey: event.buyerKey,
        ...(paymentRef ? { paymentRef } : {}),
        state: 'open',
        payment,
        paidAt: payment === 'paid' ? at : undefined,
        ...(facts.some((fact) => fact.type === 'refund') ? { refunded: true } : {}),
        facts,
        factIds: facts.map(factKey),
        factCount: facts.length,
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
        // Paid: it may owe credit from now until the credit moves or a person is asked.
        ...(payment === 'paid'
          ? { [OWED_PK]: ItemKeys.owed, [OWED_SK]: queueSortKey(at, event.orderKey) }
          : {}),
        ...recorded,
      });
      if (put.applied) return { order: recorded, created: true };

      // A stub written by an early payment event has no `event`: fill it in and open the order, once.
      const existing = mustExist(await put.current(), orderName(event.orderKey));
      if (existing.event) {
        // Recorded before (`paid` after `placed`, a redelivery): only its new facts are written, each once.
        let current = existing;
        const known = new Set(existing.factIds ?? []);
        for (const fact of facts.filter((fact) => !known.has(factKey(fact)))) {
          current = (await recordFact(event.orderKey, fact, now)).order;
        }
        return { order: current, created: false };
      }
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
      let current = filled.applied
        ? filled.item
        : mustExist(await filled.current(), orderName(event.orderKey));
      // The stub's facts stay; the event's join them, each once.
      for (const fact of facts) current = (await recordFact(event.orderKey, fact, now)).order;
      return { order: current, created: filled.applied };
    },

    recordFact,

    async leaveOwed(orderKey, factCount, now) {
      const leave = leaveOwed(new Update().set('updatedAt', now.toISOString()));
      const count = leave.name('factCount');
      const same =
        factCount === 0
          ? `attribute_not_exists(${count}) OR ${count} = ${leave.value(0)}`
          : `${count} = ${leave.value(factCount)}`;
      const condition = `attribute_exists(${leave.name(PK)}) AND (${same})`;
      return (await tryUpdate(table, ItemKeys.order(orderKey), leave, condition)).applied;
    },

    async listOwed() {
      const items = await queryAll(table, {
        IndexName: TableSchema.owedIndex.name,
        KeyConditionExpression: '#owed = :owed',
        ExpressionAttributeNames: { '#owed': OWED_PK },
        ExpressionAttributeValues: { ':owed': ItemKeys.owed },
      });
      return items.map((item) => strip<OrderRecord>(item));
    },
  };
}
