/**
 * The soak plan's types — providers, payment paths, events, gates, script steps, what an order owes and how it may
 * end, buyers, orders, fault phases, kill points, the plan itself — and its parameters: the bench's, and their check.
 * The generator that fills them: plan.ts.
 */
import type { SandboxFaults } from '../../local/yay-sandbox/server';
import type { Millis } from '../../shared/domain/credit';
import type { AttentionReason, OrderState } from '../../shared/domain/order-state';

export type SoakProvider = 'stripe' | 'shopify' | 'woocommerce';

/**
 * How an order's payment goes:
 * - `paid`: paid at checkout (Shopify and WooCommerce sometimes announce the order first);
 * - `async_confirmed`: placed unpaid, then confirmed within the payment window;
 * - `async_failed`: placed unpaid, then the payment fails;
 * - `confirmed_late`: placed unpaid, the window closes (the order expires), then the payment is confirmed;
 * - `refund_after_credit`: paid, credited, then refunded (in full or in part; the credit stays, a person is told);
 * - `refund_before_credit`: placed unpaid, refunded (in full or in part), then the payment is confirmed (the store's
 *   delayed earlier event): what the money owes decides;
 * - `refund_before_order`: Stripe only — the `charge.refunded` comes before the checkout session it refunds;
 * - `dispute_before_credit`: placed unpaid, disputed, then the payment is confirmed: a person decides;
 * - `dispute_after_credit`: paid, credited, then disputed (the credit stays, a person is told);
 * - `subscription`: a subscription's first payment (Stripe `invoice.paid` subscription_create, a WooCommerce
 *   Subscriptions parent order); `free_trial`: Stripe only — a subscription's first invoice of 0 (no credit owed);
 *   `renewal`: each later payment, for the same buyer.
 */
export type PaymentPath =
  | 'paid'
  | 'async_confirmed'
  | 'async_failed'
  | 'confirmed_late'
  | 'refund_after_credit'
  | 'refund_before_credit'
  | 'refund_before_order'
  | 'dispute_before_credit'
  | 'dispute_after_credit'
  | 'subscription'
  | 'free_trial'
  | 'renewal';

export const PaymentPaths: readonly PaymentPath[] = [
  'paid',
  'async_confirmed',
  'async_failed',
  'confirmed_late',
  'refund_after_credit',
  'refund_before_credit',
  'refund_before_order',
  'dispute_before_credit',
  'dispute_after_credit',
  'subscription',
  'free_trial',
  'renewal',
];

/** One logical store event of an order; its deliveries are copies of the same bytes (re-signed per attempt). */
export type EventRole =
  | 'placed'
  | 'paid'
  | 'confirmed'
  | 'failed'
  | 'refunded'
  | 'disputed'
  /** Stripe `invoice_payment.paid`: the invoice's payment again, naming its PaymentIntent. */
  | 'invoice_payment';

/**
 * What an order's script waits for before its next event, read from local mode's table: the order recorded (its
 * event stored), expired, fulfilled, ended (any outcome), a refund or dispute fact on the order, or (a refund before
 * its order) the refund kept on the payment item its PaymentIntent names.
 */
export type Gate =
  | 'recorded'
  | 'expired'
  | 'fulfilled'
  | 'ended'
  | 'refund_on_order'
  | 'dispute_on_order'
  | 'refund_on_payment';

export type Step =
  | {
      do: 'send';
      role: EventRole;
      /** Deliveries of this event at this point (1–4). */
      copies: number;
      /** The copies go at once (`Promise.all`) rather than one after the other. */
      concurrent: boolean;
      /**
       * `late`: a repeat after later events of the order; `out_of_order`: before the event it follows; `restated`:
       * a refund the credit already took into account, delivered again after the credit moved.
       */
      tag?: 'late' | 'out_of_order' | 'restated';
    }
  | { do: 'await'; until: Gate }
  | { do: 'pause'; ms: number };

/**
 * What an order's money owes, from the model below: credit (thousandths), a person (and why), or nothing (and the
 * order's end). `label` says it for the report ("credit in full", "the rest after a partial refund", …).
 */
export type Owed =
  | { kind: 'credit'; credit: Millis; label: string }
  | { kind: 'person'; reason: 'credit_undecided' | 'disputed'; label: string }
  | { kind: 'nothing'; label: string };

/**
 * An end state the oracle accepts, with the attention reason it must carry (if any) and the credit the ledger must
 * show for the order when it ends so. `when: 'window_closed'`: acceptable only if the order's payment window closed
 * before its payment came (the order carries the wait's `States.Timeout`): the product then asks a person about a
 * refund it saw with no payment, and the payment that follows leaves the person asked.
 */
export interface ExpectedEnd {
  state: OrderState;
  attention?: AttentionReason;
  credit: number;
  when?: 'window_closed';
}

/**
 * A refund the plan sends, as the store describes it:
 * - `full`: all of the payment;
 * - `partial`: money only, naming no line (Stripe: `amount_refunded` below `amount`; Shopify: a refund transaction
 *   and no `refund_line_items`; WooCommerce: a `refunds[]` entry on a processing order);
 * - `credit_line`: Shopify — `units` of the credit line named in `refund_line_items`, their money refunded;
 * - `other_line`: Shopify — a line the catalog does not price (merchandise), its money refunded.
 */
export interface PlannedRefund {
  shape: 'full' | 'partial' | 'credit_line' | 'other_line';
  /** Minor units (pence) the buyer gets back. */
  amount: number;
  /** `credit_line`: SOAK-UNIT units refunded. */
  units?: number;
  /** Stripe: the charge names the session in its metadata, or only its PaymentIntent. */
  by?: 'session' | 'payment_intent';
  /** WooCommerce `full`: the refund also listed in `refunds[]` (else the status `refunded` alone says it). */
  listed?: boolean;
}

export interface PlannedBuyer {
  index: number;
  provider: SoakProvider;
  firstName: string;
  lastName: string;
  email: string;
  /** The provider's customer id: Stripe `cus_…`, a Shopify customer id, a WooCommerce customer id. */
  customerId: string;
}

export interface PlannedOrder {
  index: number;
  provider: SoakProvider;
  path: PaymentPath;
  buyer: number;
  /** The provider's order id: a Checkout Session or invoice id, a Shopify or WooCommerce order id. */
  orderId: string;
  /** Stripe: the PaymentIntent the session (or the invoice's payment) names. */
  paymentIntent?: string;
  /** The credit the order buys at the catalog price: SOAK-UNIT × (1000 + index) at 0.010. Unique per order. */
  amount: Millis;
  /**
   * What the buyer pays for the whole order, minor units (pence): the credit line's 1000 + index pence, plus on a
   * Shopify order its other lines, discount and shipping, on a WooCommerce order of `lines: 'multi'` its other line,
   * tax and shipping; 0 for a free trial.
   */
  paid: number;
  /** WooCommerce: the published order's lines and shipping (`multi`), or its credit line alone (`single`). */
  lines?: 'single' | 'multi';
  refund?: PlannedRefund;
  steps: Step[];
  /** The oracle: what the order's money owes. */
  owed: Owed;
  /** Acceptable ends, each with the credit the ledger must show; the first is what the money says. */
  expected: ExpectedEnd[];
}
/** One phase of the Yay fault programme; the programme cycles while deliveries are being sent. */
export interface FaultPhase {
  label: string;
  faults: SandboxFaults;
  durationMs: number;
  /** The fault kinds this phase is there to inject (as the sandbox counts them). */
  kinds: string[];
}

/** A SIGKILL of local mode: once this many deliveries have been answered, after `delayMs`; down for `downMs`. */
export interface KillPoint {
  afterDeliveries: number;
  delayMs: number;
  downMs: number;
}

export interface SoakParameters {
  seed: number;
  orders: number;
  buyers: number;
  kills: number;
  /** The whole run, settling and checking included, stops by itself within this. */
  timeBoundMs: number;
  /** Order scripts running at once. */
  concurrency: number;
  /** LOCAL_MAX_WAIT_SECONDS: the payment window and the cap of every retry interval. */
  maxWaitSeconds: number;
  /**
   * Multiplies every fault phase's duration (default 1): a short run takes shorter phases, so one cycle of the
   * programme — every fault kind — fits in its sending time.
   */
  faultPhaseScale?: number;
}

/**
 * `npm run bench -- soak`'s run: what the issue asks (at least 500 orders from a few hundred buyers, at least five
 * kills, bounded in time) with room to spare, so each fault phase and each kill meets many orders.
 */
export const BENCH_SOAK_PARAMETERS: Readonly<SoakParameters> = Object.freeze({
  seed: 20_261_127,
  orders: 1_000,
  buyers: 450,
  kills: 10,
  timeBoundMs: 12 * 60_000,
  concurrency: 16,
  maxWaitSeconds: 5,
});

export interface SoakPlan {
  parameters: SoakParameters;
  buyers: PlannedBuyer[];
  orders: PlannedOrder[];
  faultPhases: FaultPhase[];
  kills: KillPoint[];
  /** Σ copies over every send step. */
  plannedDeliveries: number;
}

/** Orders one buyer may have; more would only queue on the buyer's transfer lease. */
export const MAX_ORDERS_PER_BUYER = 4;

/** Validates the parameters, naming the first that is wrong. */
export function checkParameters(p: SoakParameters): void {
  const integer = (
    name: 'seed' | 'orders' | 'buyers' | 'kills' | 'timeBoundMs' | 'concurrency',
    min: number,
  ) => {
    const value = p[name];
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`soak parameter ${name} must be an integer ≥ ${min}, got ${value}`);
    }
  };
  integer('seed', 0);
  integer('orders', 1);
  integer('buyers', 1);
  integer('kills', 0);
  integer('timeBoundMs', 10_000);
  integer('concurrency', 1);
  if (p.buyers > p.orders) throw new RangeError('soak parameter buyers must not exceed orders');
  if (p.orders > p.buyers * MAX_ORDERS_PER_BUYER) {
    throw new RangeError(`soak parameter orders must be at most ${MAX_ORDERS_PER_BUYER} × buyers`);
  }
  if (p.faultPhaseScale !== undefined && !(p.faultPhaseScale > 0 && p.faultPhaseScale <= 10)) {
    throw new RangeError(
      `soak parameter faultPhaseScale must be above 0 and at most 10, got ${p.faultPhaseScale}`,
    );
  }
  if (!(p.maxWaitSeconds >= 1 && p.maxWaitSeconds <= 60)) {
    throw new RangeError(`soak parameter maxWaitSeconds must be between 1 and 60, got ${p.maxWaitSeconds}`);
  }
}
