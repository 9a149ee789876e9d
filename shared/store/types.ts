import type { Provider } from '../domain/keys';
import type { CreditDecision, MoneyFact } from '../domain/money';
import type { OrderEvent } from '../domain/order-event';
import type { Attention, CaughtError, OrderState, Outcome, PaymentStatus } from '../domain/order-state';

export {
  type Attention,
  type CaughtError,
  isTerminal,
  type OrderState,
  OrderStates,
  type Outcome,
  type PaymentStatus,
} from '../domain/order-state';

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

/** An order as the ops CLI shows it: the task token replaced by whether one is stored. */
export type OrderView = Omit<OrderRecord, 'taskToken'> & { waitingForPayment: boolean };

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

/** The buyer → Yay customer mapping: a repeat buyer is topped up, never given a second account. */
export interface BuyerCustomer {
  buyerKey: string;
  customerUuid: string;
  customerName: string;
  /** The order the customer was recorded for (its first): that order's welcome replaces a receipt. */
  orderKey?: string;
  createdAt: string;
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

/**
 * A payment by the provider's id (`provider:store:<payment id>`), for refunds and disputes that name only the payment
 * (a Stripe PaymentIntent): the order that made the payment and the facts that came for it meet on this one item,
 * whichever arrives first. Each method is one conditional write and returns the item as it stands after it.
 */
export interface PaymentLinkStore {
  /** The order claims its payment (the first order to claim it keeps it) and reads the facts that came before it. */
  claimPayment(paymentKey: string, orderKey: string, now: Date): Promise<PaymentLink>;
  /** Notes a fact that names only the payment; the answer says which order (if any) has claimed it. */
  notePaymentFact(paymentKey: string, fact: MoneyFact, now: Date): Promise<PaymentLink>;
}

export interface PaymentLink {
  paymentKey: string;
  /** The order that claimed the payment, once one has. */
  orderKey?: string;
  /** Facts that came naming only the payment, each once. */
  facts: MoneyFact[];
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

/** What the console's Orders page filters on. Days are UTC `YYYY-MM-DD`, both inclusive. */
export interface OrderFilter {
  state?: OrderState;
  provider?: Provider;
  /** The store id of the order key (`provider:store:orderId`), exact. */
  store?: string;
  fromDay: string;
  toDay: string;
}

/** One page of orders, newest first; `next` is the cursor of the page after it, absent on the last. */
export interface OrderPage {
  orders: OrderView[];
  next?: string;
}

/** How the console's search finds orders: by key exactly, by the buyer's e-mail or the Yay customer name (any case). */
export type OrderSearch = { orderKey: string } | { email: string } | { customerName: string };

/** An order as the charts count it. */
export interface OrderDaySummary {
  orderKey: string;
  createdAt: string;
  state: OrderState;
}

/** Credit that moved to a customer: a transfer intent that became APPLIED, and when. */
export interface CreditMovement {
  orderKey: string;
  /** Thousandths of a pound. */
  amount: number;
  movedAt: string;
}

/** The read side of the ops CLI and the console. Tokens are never returned. */
export interface OrderQueries {
  /** One order with its transfer intent, or undefined. */
  getOrder(orderKey: string): Promise<(OrderView & { transfer?: TransferIntent }) | undefined>;
  /** Orders, optionally of one state, oldest first (a scan of the whole table: `ops list`). */
  listOrders(filter?: { state?: OrderState }): Promise<OrderView[]>;
  /**
   * One page of the orders created between two UTC days, newest first, through the ByDay index: a query per day
   * read, never a scan. `cursor` is a page's `next`; a cursor this store did not make is a RangeError.
   */
  listOrderPage(filter: OrderFilter, page: { limit: number; cursor?: string }): Promise<OrderPage>;
  /**
   * Orders found by key (one GetItem), or by buyer e-mail or Yay customer name (a keys-only index, then the
   * items), newest first, at most `limit`; `more` when there are others.
   */
  searchOrders(search: OrderSearch, limit: number): Promise<{ orders: OrderView[]; more: boolean }>;
  /** Every order created between two UTC days (key, time, state), oldest first: the console's charts. */
  ordersCreated(fromDay: string, toDay: string): Promise<OrderDaySummary[]>;
  /** Every transfer whose credit moved between two UTC days, oldest first. */
  creditMoved(fromDay: string, toDay: string): Promise<CreditMovement[]>;
}

export interface BuyerStore {
  getCustomer(buyerKey: string): Promise<BuyerCustomer | undefined>;
  /** Records the mapping if absent; returns what stands (the first customer recorded wins). */
  putCustomer(
    buyerKey: string,
    customer: { uuid: string; name: string; orderKey?: string },
    now: Date,
  ): Promise<BuyerCustomer>;
  /** Every recorded buyer → customer (daily reconciliation). */
  listCustomers(): Promise<BuyerCustomer[]>;
}

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

/** A stored lease: `holder` has `resource` until `expiresAt`, after which it counts as gone. */
export interface Lease {
  resource: string;
  holder: string;
  expiresAt: Date;
}

/** Per-customer lease: two transfers to one customer never overlap. */
export interface LeaseStore {
  /** True when taken (absent or expired); false when another holder's lease is live. */
  acquire(resource: string, holder: string, ttlSeconds: number, now: Date): Promise<boolean>;
  /** Releases only our own lease (a conditional delete); a lease already taken over is left alone. */
  release(resource: string, holder: string): Promise<void>;
  /**
   * Every lease still stored, expired ones included (DynamoDB's TTL deletes them late, dynalite never), in one
   * query: local mode releases at start what a killed process held.
   */
  listHeld(): Promise<Lease[]>;
}

/** The buyer e-mails this system sends: one welcome per Yay customer, one receipt per later paid order. */
export type EmailKind = 'welcome' | 'receipt';

/**
 * Where one e-mail stands. `SENDING`: an attempt claimed it and may be talking to SES; `SENT`: SES accepted it
 * (its answer, or its "Email Sent" event); `FAILED`: SES refused it or could not be reached, to be tried again.
 */
export type EmailStatus = 'SENDING' | 'SENT' | 'FAILED';

/** One e-mail's record: the conditional marker that makes it at most once. Never holds the message body. */
export interface EmailRecord {
  /** (`kind` is the table's own item attribute.) */
  type: EmailKind;
  /** `welcome:<customerName>` or `receipt:<orderKey>`. */
  key: string;
  orderKey: string;
  customerName: string;
  status: EmailStatus;
  /** The attempt that holds (or last held) the claim; SES tags the message with it. */
  attemptId: string;
  /** Attempts claimed so far. */
  attempts: number;
  /** SES's message id once accepted. */
  messageId?: string;
  /** Why the last attempt failed (a code and SES's message; never an address or a password). */
  reason?: string;
  claimedAt: string;
  sentAt?: string;
  createdAt: string;
  updatedAt: string;
  /** Sends a person asked for (`ops resend-welcome`) after the first. */
  resends?: number;
  /** The request id of the last resend a person asked for: a repeat of that request sends nothing more. */
  lastRequest?: string;
  /** A receipt's credit added and the balance after it, as the event gave them (`"10.000"`), for a retry. */
  amount?: string;
  balance?: string;
  /**
   * Set when the failure is definite (SES refused the message or the identity, the password no longer opens): no
   * automatic retry would change it, so the record leaves the retry queue; a person resends it.
   */
  final?: boolean;
}

/** The e-mail markers: each method is one conditional write (or a read). */
export interface EmailStore {
  get(key: string): Promise<EmailRecord | undefined>;
  /**
   * Claims the e-mail for `attemptId`: creates it `SENDING`, or takes over one `FAILED`, or one `SENDING` whose
   * claim is older than `staleBefore` (its attempt died), or, with `resend`, one `SENT` (a person's resend).
   * `claimed: false` returns the record as it stands.
   */
  claim(
    record: Pick<EmailRecord, 'type' | 'key' | 'orderKey' | 'customerName' | 'amount' | 'balance'>,
    attemptId: string,
    now: Date,
    options?: { staleBefore?: Date; resend?: boolean; requestId?: string },
  ): Promise<{ claimed: true; record: EmailRecord } | { claimed: false; record: EmailRecord }>;
  /** SES accepted the attempt's message: `SENT` (only from `SENDING` by that attempt). False when it had moved. */
  markSent(key: string, attemptId: string, messageId: string, now: Date): Promise<boolean>;
  /**
   * The attempt failed: `FAILED` with the reason (only from `SENDING` by that attempt); with `final`, out of the
   * retry queue as well.
   */
  markFailed(
    key: string,
    attemptId: string,
    reason: string,
    now: Date,
    options?: { final?: boolean },
  ): Promise<boolean>;
  /** E-mails not yet sent (`SENDING` or `FAILED`), oldest first: what the sweep retries. */
  listUnsent(): Promise<EmailRecord[]>;
  /** An order's e-mails: its receipt, and the welcome of its customer when this order created it. */
  listForOrder(orderKey: string, customerName?: string): Promise<EmailRecord[]>;
}

/** The store password of a customer, sealed (shared/yay/password-box.ts): the table never holds it in plain text. */
export interface PasswordStore {
  /**
   * Keeps `sealed` for the customer unless one is kept already, and returns the one kept: every retry of a
   * create, and the welcome, use the same password.
   */
  keep(customerName: string, sealed: string, now: Date): Promise<string>;
  get(customerName: string): Promise<string | undefined>;
}
