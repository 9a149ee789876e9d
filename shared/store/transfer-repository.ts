import { dayOf, daySortKey, enterQueueUnlessQueued, leaveQueue, queueItems, queueSortKey } from './indexes';
import { DAY_PK, DAY_SK, ItemKeys, strip, UNRESOLVED_FOR } from './item-keys';
import { TableSchema } from './schema';
import {
  getItem,
  mustExist,
  queryAll,
  type Table,
  tryDelete,
  tryUpdate,
  updateItem,
  type Written,
} from './table';
import { Update } from './update';

/**
 * The transfer protocol's states (docs/design.md, "Exactly-once transfer"). `IN_FLIGHT` is written before the Yay
 * call: found again by a later attempt it means "a call may have happened", which is treated exactly as `UNKNOWN`.
 * `CANCELLED`: the facts owed nothing before any call (refunded in full), so no call can start afterwards.
 * `REJECTED`: Yay refused the call with the reseller's balance sufficient; a person's replay starts it again. Only
 * `APPLIED` and `CANCELLED` are final.
 */
export type TransferIntentStatus =
  | 'PENDING'
  | 'IN_FLIGHT'
  | 'APPLIED'
  | 'REJECTED'
  | 'UNKNOWN'
  | 'NOT_APPLIED'
  | 'NEEDS_REVIEW'
  | 'CANCELLED';

/** States from which a Yay call may (again) be started: none of them has a call outstanding. */
export const StartableTransferStatuses: readonly TransferIntentStatus[] = [
  'PENDING',
  'NOT_APPLIED',
  'REJECTED',
];
/**
 * States in which a call may have happened but its outcome is not decided: while a customer has such an
 * intent, no other transfer may move that customer's balance (see {@link TransferStore.listUnresolvedFor}).
 */
export const UnresolvedTransferStatuses: readonly TransferIntentStatus[] = ['IN_FLIGHT', 'UNKNOWN'];
/** States whose outcome is not yet settled (the sweep reconciles them). */
export const UnsettledTransferStatuses: readonly TransferIntentStatus[] = [
  'PENDING',
  'NOT_APPLIED',
  'IN_FLIGHT',
  'UNKNOWN',
];

/** One order's transfer: what moves to whom, and where its Yay call stands. */
export interface TransferIntent {
  orderKey: string;
  status: TransferIntentStatus;
  /**
   * Thousandths of a pound: what the current (or last) call moves, derived from the order's facts when it was
   * marked IN_FLIGHT; 0 before any call.
   */
  amount: number;
  /** The order's fact count the amount was derived from. */
  plannedFactCount?: number;
  /**
   * The order's fact count after the last refund or dispute, written here by the refund itself: an IN_FLIGHT write
   * planned on fewer facts fails (the amount is derived again), and an APPLIED one sees the refund came after.
   */
  moneyVersion?: number;
  customerUuid?: string;
  customerName?: string;
  /** Yay calls started so far. */
  attempts: number;
  /** Id of the attempt that holds (or last held) IN_FLIGHT. */
  attemptId?: string;
  /** When that attempt marked the call IN_FLIGHT: a credit in Yay's history since then may be it. */
  callStartedAt?: string;
  /** Snapshots taken just before the current attempt's call (thousandths). */
  resellerBalanceBefore?: number;
  /** Absent when the customer's balance could not be read: reconciliation is then undecidable. */
  customerBalanceBefore?: number;
  /** Human-readable reason of the last transition (error message, reconcile decision, operator). */
  reason?: string;
  createdAt: string;
  updatedAt: string;
}

/** Fields a transition may set beside the status. */
export type TransferPatch = Partial<
  Pick<
    TransferIntent,
    | 'attemptId'
    | 'resellerBalanceBefore'
    | 'customerBalanceBefore'
    | 'reason'
    | 'customerUuid'
    | 'customerName'
    | 'amount'
    | 'plannedFactCount'
    | 'callStartedAt'
  >
> & { incrementAttempts?: boolean };

/** Transfer intents, one per order: the states of the exactly-once transfer (shared/workflow/transfer-credit.ts). */
export interface TransferStore {
  getIntent(orderKey: string): Promise<TransferIntent | undefined>;
  /**
   * The order's intent, PENDING for this customer unless one exists (a customer already planned stays: a replay
   * pays the customer the first attempt planned); returns what stands. One write.
   */
  planIntent(
    orderKey: string,
    customer: { customerUuid: string; customerName: string },
    now: Date,
  ): Promise<TransferIntent>;
  /**
   * Moves the intent from one of `from` to `to` (one conditional write). Undefined when the intent was
   * not in one of `from` (someone else moved it first), or, with `plannedOn`, when a refund or dispute was noted on
   * it after that fact count (the amount must be derived again).
   */
  transition(
    orderKey: string,
    from: readonly TransferIntentStatus[],
    to: TransferIntentStatus,
    patch: TransferPatch,
    now: Date,
    plannedOn?: number,
  ): Promise<TransferIntent | undefined>;
  /**
   * A refund or dispute was recorded on the order, which now has `factCount` facts: written on the intent (created
   * PENDING when none exists yet), so that a transfer planned on fewer facts cannot start and one already started
   * sees it when it records APPLIED. Returns the intent as it stands.
   */
  noteMoneyChange(orderKey: string, factCount: number, now: Date): Promise<TransferIntent>;
  /**
   * Removes a CANCELLED intent that never called Yay (a person confirmed a payment the store had refunded), so
   * the next transfer plans afresh. False when the intent is anything else.
   */
  reopenCancelled(orderKey: string): Promise<boolean>;
  /** Intents not yet settled (PENDING, NOT_APPLIED, IN_FLIGHT, UNKNOWN), via the sparse index. */
  listUnsettled(): Promise<TransferIntent[]>;
  /**
   * One customer's intents whose call may have happened but is not yet decided (IN_FLIGHT, UNKNOWN).
   * While one exists, no other transfer to that customer may move its balance: reconciliation compares
   * balances, and a second credit in between could be mistaken for the first. One query of that
   * customer's undecided intents (an index by customer), not of every unsettled one.
   */
  listUnresolvedFor(customerUuid: string): Promise<TransferIntent[]>;
}

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
