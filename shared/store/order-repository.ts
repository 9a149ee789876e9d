import type { CreditDecision, MoneyFact } from '../domain/money';
import type { OrderEvent } from '../domain/order-event';
import type { Attention, CaughtError, OrderState, Outcome, PaymentStatus } from '../domain/order-state';
import { ItemKeys } from './item-keys';
import { orderFacts } from './order-facts';
import { orderLifecycle } from './order-lifecycle';
import { getItem, type Table } from './table';

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
  /** `provider:store:<payment id>` when the event named one (`event.paymentRef`): the key of its payment item. */
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
   * The payment handshake (docs/design.md §6): stores the token only while the order is `unpaid`.
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
   * (`ops complete`), records a person's decision on the credit owed and the person's action; the attention is
   * cleared in the same write.
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

/**
 * Orders: every method is one conditional write on the order item (or a read), because dynalite has no
 * transactions and a crash may fall between any two writes: callers order their writes so that every prefix
 * of a sequence is a state the next attempt understands (see shared/workflow/transfer-credit.ts). Recording an
 * order and its money is in order-facts.ts, the rest of its life in order-lifecycle.ts.
 */
export function orderRepository(table: Table): OrderStore {
  return {
    get: (orderKey) => getItem<OrderRecord>(table, ItemKeys.order(orderKey)),
    ...orderFacts(table),
    ...orderLifecycle(table),
  };
}
