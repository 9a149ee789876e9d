import { paymentKey } from '../domain/keys';
import { type CreditDecision, factKey, type MoneyFact } from '../domain/money';
import type { OrderEvent } from '../domain/order-event';
import type { Attention, CaughtError, OrderState, Outcome, PaymentStatus } from '../domain/order-state';
import {
  dayOf,
  daySortKey,
  enterOwed,
  enterQueue,
  enterQueueUnlessQueued,
  inQueue,
  leaveOwed,
  leaveQueue,
  lookupKey,
  onDay,
  queueItems,
  queueSortKey,
} from './indexes';
import {
  BUYER_EMAIL,
  DAY_PK,
  DAY_SK,
  ItemKeys,
  ORDER_CUSTOMER,
  OWED_PK,
  OWED_SK,
  PK,
  strip,
} from './item-keys';
import { TableSchema } from './schema';
import { getItem, mustExist, queryAll, type Table, tryPut, tryUpdate, updateItem } from './table';
import { Update } from './update';

/** One thing a person did to an order (ops CLI or console), kept on the order item. */
export interface OrderAction {
  /** `complete`, `close`, `replay`, `resolve-transfer`, … */
  action: string;
  at: string;
  /** The reason the person typed. */
  reason: string;
  /** What changed, in words (fields supplied, decision taken). Never a secret. */
  detail?: string;
}

/** One order as stored. `taskToken` is a secret: never log it, never show it (see {@link OrderView}). */
export interface OrderRecord {
  orderKey: string;
  /** Absent on a stub written by a payment event that arrived before the order itself. */
  event?: OrderEvent;
  buyerKey?: string;
  state: OrderState;
  /** Where the payment stands, as the money facts say: `paid` from the first payment fact. */
  payment: PaymentStatus;
  /** Set by the first refund fact, for people's eyes; what is owed is derived from the facts, never from this. */
  refunded?: boolean;
  /** The money facts, each once by its provider id, in the order they were recorded (see shared/domain/money.ts). */
  facts?: MoneyFact[];
  /** `type:id` of each fact in {@link facts}: the condition that records a fact once. */
  factIds?: string[];
  /** How many facts are recorded: a derivation from the facts is valid while this has not changed. */
  factCount?: number;
  /** A person's decision on the credit owed (`ops complete --credit`), valid while no fact came since. */
  creditDecision?: CreditDecision;
  /** {@link factCount} when an attention was last put beside the order's state: a later fact is flagged again. */
  attentionFacts?: number;
  customerUuid?: string;
  customerName?: string;
  taskToken?: string;
  /** Name of the current execution (`executionName(orderKey, replays)`). */
  executionName?: string;
  executionArn?: string;
  /** Deliberate replays so far: the current execution name carries `-r<replays>` when > 0. */
  replays: number;
  createdAt: string;
  updatedAt: string;
  paidAt?: string;
  outcome?: Outcome;
  lastError?: CaughtError;
  /** Why the last replay was made (ops CLI or sweep). */
  replayReason?: string;
  /** Set while a person is needed (state `needs_attention` or `failed`, or a refund after credit). */
  attention?: Attention;
  /** What people did to the order, oldest first. */
  actions?: OrderAction[];
  /** When a refund after credit was last flagged: it is alarmed once per refund, not per delivery. */
  refundAfterCreditAt?: string;
  /** `provider:store:<payment id>` when the event named one (`event.paymentRef`): the PaymentRefs index key. */
  paymentRef?: string;
}

/** What a replay may change besides the execution (see {@link OrderStore.beginReplay}). */
export interface ReplayChange {
  /** Only from these states (late payment: `expired`; `ops complete`: `needs_attention`). */
  fromStates?: readonly OrderState[];
  /** The stored event, with what a person supplied. */
  event?: OrderEvent;
  /** A person's decision on the credit owed, for the facts the order has now. */
  decision?: CreditDecision;
  /** Appended to the order's actions. */
  action?: OrderAction;
}

/** Orders: every write is one conditional write on the order item (dynalite has no transactions). */
export interface OrderStore {
  /** Strongly consistent read, token included (internal use only). */
  get(orderKey: string): Promise<OrderRecord | undefined>;
  /**
   * Records an order from a placed/paid event, with the money facts given (the event's, and refunds that came
   * before it). Creates it (`created: true`, in one write with its facts), fills in a stub left by an early
   * payment event (then each fact is recorded as {@link recordFact} does), or returns the existing order.
   */
  record(
    event: OrderEvent,
    executionName: string,
    now: Date,
    /** The execution's ARN, known from its name: recorded with the order, so starting it writes nothing more. */
    executionArn?: string,
    facts?: readonly MoneyFact[],
  ): Promise<{ order: OrderRecord; created: boolean }>;
  /**
   * Records one money fact on the order, once per type and id, in one conditional write (a stub is created for an
   * order not yet seen). A payment marks the order `paid` and puts it on the OwedCredit index; a failure marks it
   * `failed` unless it is paid; a refund marks it `refunded` (for people's eyes). `added: false` when the fact was
   * recorded before; the order comes back as it stands either way.
   */
  recordFact(orderKey: string, fact: MoneyFact, now: Date): Promise<{ added: boolean; order: OrderRecord }>;
  /**
   * Takes the order off the OwedCredit index when its facts are still the `factCount` a caller derived "nothing
   * owed" (or "credit moved") from. False when a fact came since (the caller derives again).
   */
  leaveOwed(orderKey: string, factCount: number, now: Date): Promise<boolean>;
  /** Every order on the OwedCredit index, oldest first: what the sweep walks so nothing owed is forgotten. */
  listOwed(): Promise<OrderRecord[]>;
  /**
   * The payment handshake (DESIGN.md §6): stores the token only while the order is `unpaid`.
   * `stored: false` returns the order as it stands (paid/failed/missing) so the caller resumes at once.
   */
  storeTaskToken(
    orderKey: string,
    taskToken: string,
    now: Date,
  ): Promise<{ stored: true } | { stored: false; order: OrderRecord | undefined }>;
  /** Writes the customer against the order, creating the order from the execution input if unknown. */
  recordCustomer(
    event: OrderEvent,
    customer: { uuid: string; name: string },
    now: Date,
  ): Promise<OrderRecord>;
  /**
   * Writes the outcome, leaves the open index, drops the token; sets (or clears) the order's attention. Never
   * downgrades a `fulfilled` order. An outcome that gives no credit and asks no person (`expired`, `payment_failed`,
   * `refunded`) is never written on an order that may owe credit (on the OwedCredit index), unless `settledAt`
   * says its facts were found to owe nothing at exactly that fact count: a payment that arrived meanwhile wins, the
   * outcome is not written and the order is reopened for the sweep to credit (`reopened: true`). `fulfilled` with
   * `settledAt` (nothing was owed) is guarded the same way. `fulfilled` and an attention take the order off the
   * OwedCredit index.
   */
  recordOutcome(
    orderKey: string,
    outcome: Outcome,
    error: CaughtError | undefined,
    now: Date,
    options?: {
      attention?: Attention;
      /** The fact count at which the caller derived that nothing is owed. */
      settledAt?: number;
    },
  ): Promise<{ applied: boolean; order: OrderRecord; reopened?: boolean }>;
  /**
   * Puts an order in front of a person without running anything: state `needs_attention` (unless it is
   * fulfilled, whose credit stands), the attention, the ATTENTION queue; once per reason. With `beside`, the order
   * keeps its state (a fulfilled order's credit stands) and the attention is put beside it once per money fact: a
   * repeated delivery finds it flagged, a later refund or dispute flags it again (a transfer under review keeps its
   * own attention). Returns whether this call applied it.
   */
  flagAttention(
    orderKey: string,
    attention: Attention,
    now: Date,
    options?: { beside?: boolean },
  ): Promise<{ applied: boolean; order: OrderRecord }>;
  /** Records the execution now running the order. */
  setExecution(orderKey: string, executionName: string, executionArn: string, now: Date): Promise<void>;
  /**
   * Claims replay number `expectedReplays + 1` (conditional on the count, so two concurrent replays
   * cannot both start) and re-opens the order. Returns false when someone else replayed first, or when
   * `fromStates` is given and the order is no longer in one of them. `change` replaces the stored event
   * (`ops complete`), confirms the payment, clears a refund, and records the person's action; the attention
   * is cleared in the same write.
   */
  beginReplay(
    orderKey: string,
    expectedReplays: number,
    executionName: string,
    reason: string,
    now: Date,
    change?: ReplayChange,
  ): Promise<boolean>;
  /**
   * A person closes an order's attention without provisioning more (`ops close`): the attention goes, the
   * action is recorded, and a `needs_attention` order becomes `closed`. False when the order has no attention.
   */
  closeAttention(orderKey: string, action: OrderAction, now: Date): Promise<boolean>;
  /** Appends a person's action to the order (resolve-transfer and others that write elsewhere). */
  recordAction(orderKey: string, action: OrderAction): Promise<void>;
  /** Every order in the sparse open-orders index (non-terminal, started). */
  listOpen(): Promise<OrderRecord[]>;
  /** Every order waiting for a person (the ATTENTION queue), oldest first. */
  listAttention(): Promise<OrderRecord[]>;
}

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
      const current = mustExist(await written.current(), order(orderKey));
      if ((current.factIds ?? []).includes(key) || fact.type !== 'failure') {
        return { added: false, order: current };
      }
      // A failure reported for an order already paid: recorded, the payment stands.
    }
    throw new Error(`fact ${key} of ${orderKey} could not be recorded`);
  }

  return {
    get,

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
      const existing = mustExist(await put.current(), order(event.orderKey));
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
      let current = filled.applied ? filled.item : mustExist(await filled.current(), order(event.orderKey));
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

      const current = mustExist(await written.current(), order(orderKey));
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
        return { applied: false, order: mustExist(await reopened.current(), order(orderKey)) };
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
