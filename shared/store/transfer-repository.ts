import { TableSchema } from './schema';
import {
  DAY_PK,
  DAY_SK,
  dayOf,
  daySortKey,
  enterQueueUnlessQueued,
  getItem,
  ItemKeys,
  leaveQueue,
  mustExist,
  queryAll,
  queueItems,
  queueSortKey,
  strip,
  type Table,
  tryDelete,
  tryUpdate,
  UNRESOLVED_FOR,
  Update,
  updateItem,
  type Written,
} from './table';
import {
  type TransferIntent,
  type TransferIntentStatus,
  type TransferPatch,
  type TransferStore,
  UnresolvedTransferStatuses,
  UnsettledTransferStatuses,
} from './types';

const intentOf = (orderKey: string) => `transfer intent ${orderKey}`;

/**
 * Transfer intents (docs/design.md, "Exactly-once transfer"), one item per order beside the order item. Each status change is one
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
    plannedOn?: number,
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
    // Copied in the same write: every intent that can get here was planned with its customer (planIntent).
    else write.copy(UNRESOLVED_FOR, 'customerUuid');
    let condition = `${write.name('status')} IN (${from.map((status) => write.value(status)).join(', ')})`;
    if (plannedOn !== undefined) {
      // A refund or dispute noted after the facts the amount was derived from: derive it again first.
      const version = write.name('moneyVersion');
      condition += ` AND (attribute_not_exists(${version}) OR ${version} <= ${write.value(plannedOn)})`;
    }
    return tryUpdate<TransferIntent>(table, ItemKeys.transfer(orderKey), write, condition);
  }

  /** The defaults of an intent's first write, whichever write that is (a plan, or a refund noted first). */
  function asIntent(update: Update, orderKey: string, at: string): Update {
    return update
      .set('orderKey', orderKey)
      .set('kind', 'transfer')
      .set('updatedAt', at)
      .setDefault('status', 'PENDING' satisfies TransferIntentStatus)
      .setDefault('amount', 0)
      .setDefault('attempts', 0)
      .setDefault('createdAt', at);
  }

  return {
    getIntent,

    async planIntent(orderKey, customer, now) {
      // One upsert: a new intent, or the one standing (its customer kept). Not in the TRANSFER queue until a call
      // may be outstanding (IN_FLIGHT enters it): a PENDING intent has nothing for the sweep to reconcile.
      const plan = asIntent(new Update(), orderKey, now.toISOString())
        .setDefault('customerUuid', customer.customerUuid)
        .setDefault('customerName', customer.customerName);
      return updateItem<TransferIntent>(table, ItemKeys.transfer(orderKey), plan);
    },

    async transition(orderKey, from, to, patch, now, plannedOn) {
      const moved = await move(orderKey, from, to, patch, now, plannedOn);
      return moved.applied ? moved.item : undefined;
    },

    async noteMoneyChange(orderKey, factCount, now) {
      const note = asIntent(new Update(), orderKey, now.toISOString()).set('moneyVersion', factCount);
      const version = note.name('moneyVersion');
      // Only forwards: a slower note of an earlier fact leaves a later one standing.
      const written = await tryUpdate<TransferIntent>(
        table,
        ItemKeys.transfer(orderKey),
        note,
        `attribute_not_exists(${version}) OR ${version} < ${note.value(factCount)}`,
      );
      if (written.applied) return written.item;
      return mustExist(await written.current(), intentOf(orderKey));
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
