import { TableSchema } from './schema';
import {
  DAY_PK,
  DAY_SK,
  dayOf,
  daySortKey,
  enterQueueUnlessQueued,
  getItem,
  ItemKeys,
  inQueue,
  leaveQueue,
  mustExist,
  queryAll,
  queueItems,
  queueSortKey,
  strip,
  type Table,
  tryDelete,
  tryPut,
  tryUpdate,
  UNRESOLVED_FOR,
  Update,
  type Written,
} from './table';
import {
  StartableTransferStatuses,
  type TransferIntent,
  type TransferIntentStatus,
  type TransferPatch,
  type TransferStore,
  UnresolvedTransferStatuses,
  UnsettledTransferStatuses,
} from './types';

const intentOf = (orderKey: string) => `transfer intent ${orderKey}`;

/**
 * Transfer intents (DESIGN.md §4), one item per order beside the order item. Each status change is one
 * conditional write that also keeps the intent's place in the two indexes: the `TRANSFER` queue while it is
 * unsettled, and its customer's entry in `CustomerTransfers` while its call may have happened undecided.
 */
export function transferRepository(table: Table): TransferStore {
  const getIntent = (orderKey: string) => getItem<TransferIntent>(table, ItemKeys.transfer(orderKey));

  async function listUnsettled(): Promise<TransferIntent[]> {
    const items = await queueItems(table, ItemKeys.openTransfers, (item) => 'status' in item);
    return items.map((item) => strip<TransferIntent>(item));
  }

  /** `transition`, with the intent as it stood when the condition failed. */
  function move(
    orderKey: string,
    from: readonly TransferIntentStatus[],
    to: TransferIntentStatus,
    patch: TransferPatch,
    now: Date,
  ): Promise<Written<TransferIntent>> {
    const at = now.toISOString();
    const write = new Update().set('status', to).set('updatedAt', at);
    const { incrementAttempts, ...fields } = patch;
    for (const [field, value] of Object.entries(fields)) {
      if (value !== undefined) write.set(field, value);
    }
    if (incrementAttempts) {
      write.increment('attempts');
      // A new attempt's snapshot replaces the old one; a missing customer balance must not linger from before.
      if (fields.customerBalanceBefore === undefined) write.remove('customerBalanceBefore');
    }
    if (UnsettledTransferStatuses.includes(to)) {
      enterQueueUnlessQueued(write, ItemKeys.openTransfers, queueSortKey(at, orderKey));
    } else {
      leaveQueue(write);
    }
    // Credit moved: under the day it moved in the ByDay index (the console's "credit moved per day").
    if (to === 'APPLIED')
      write.set(DAY_PK, ItemKeys.creditOn(dayOf(at))).set(DAY_SK, daySortKey(at, orderKey));
    if (!UnresolvedTransferStatuses.includes(to)) write.remove(UNRESOLVED_FOR);
    else if (fields.customerUuid) write.set(UNRESOLVED_FOR, fields.customerUuid);
    // Copied in the same write: every intent that can get here was created with its customer (createIntent).
    else write.copy(UNRESOLVED_FOR, 'customerUuid');
    const condition = `${write.name('status')} IN (${from.map((status) => write.value(status)).join(', ')})`;
    return tryUpdate<TransferIntent>(table, ItemKeys.transfer(orderKey), write, condition);
  }

  return {
    getIntent,

    async createIntent(orderKey, plan, now) {
      const at = now.toISOString();
      const intent: TransferIntent = {
        orderKey,
        status: 'PENDING',
        amount: plan.amount,
        customerUuid: plan.customerUuid,
        customerName: plan.customerName,
        attempts: 0,
        createdAt: at,
        updatedAt: at,
      };
      const put = await tryPut<TransferIntent>(table, {
        ...ItemKeys.transfer(orderKey),
        kind: 'transfer',
        ...inQueue(ItemKeys.openTransfers, queueSortKey(at, orderKey)),
        ...intent,
      });
      if (put.applied) return { intent, created: true };
      return { intent: mustExist(await put.current(), intentOf(orderKey)), created: false };
    },

    async transition(orderKey, from, to, patch, now) {
      const moved = await move(orderKey, from, to, patch, now);
      return moved.applied ? moved.item : undefined;
    },

    async cancelForRefund(orderKey, now) {
      const at = now.toISOString();
      const cancelled: TransferIntent = {
        orderKey,
        status: 'CANCELLED',
        amount: 0,
        attempts: 0,
        reason: 'order refunded before any transfer',
        createdAt: at,
        updatedAt: at,
      };
      const put = await tryPut<TransferIntent>(table, {
        ...ItemKeys.transfer(orderKey),
        kind: 'transfer',
        ...cancelled,
      });
      if (put.applied) return cancelled;
      const moved = await move(
        orderKey,
        StartableTransferStatuses,
        'CANCELLED',
        { reason: 'order refunded before the transfer was attempted' },
        now,
      );
      if (moved.applied) return moved.item;
      // Past the point of no return (IN_FLIGHT, UNKNOWN, APPLIED, …) or cancelled already: what stands.
      return mustExist(await moved.current(), intentOf(orderKey));
    },

    async reopenCancelled(orderKey) {
      return tryDelete(table, ItemKeys.transfer(orderKey), {
        // Only an intent that never called Yay: anything else keeps its history.
        expression: '#status = :cancelled AND (attribute_not_exists(attempts) OR attempts = :zero)',
        names: { '#status': 'status' },
        values: { ':cancelled': 'CANCELLED' satisfies TransferIntentStatus, ':zero': 0 },
      });
    },

    listUnsettled,

    async listUnresolvedFor(customerUuid) {
      const items = await queryAll(table, {
        IndexName: TableSchema.customerTransfersIndex.name,
        KeyConditionExpression: '#customer = :customer',
        ExpressionAttributeNames: { '#customer': UNRESOLVED_FOR },
        ExpressionAttributeValues: { ':customer': customerUuid },
      });
      return items.map((item) => strip<TransferIntent>(item));
    },
  };
}
