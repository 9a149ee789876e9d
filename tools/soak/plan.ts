/**
 * The chaos soak's scenario generator: from a seed and a few parameters, the whole plan of a run — buyers, orders
 * and their payment paths, the money each order's events carry, every delivery of every event (copies,
 * concurrency, late and out-of-order ones), the Yay fault programme and the moments local mode is killed. Pure and
 * deterministic: the same parameters give the same plan, byte for byte (a test holds it to that), so a failing run
 * is reproduced from its seed.
 *
 * The plan is also the oracle. Each order says, before anything is sent, what its money owes — credit in
 * thousandths, a person (and why), or nothing (and how the order ends) — from a small model of the money rules
 * written here apart from the product's (`shared/domain/money.ts`), and which end states are acceptable with the
 * credit the sandbox's ledger must show for each.
 */
import { seededRandom } from '../../local/yay-sandbox/faults';
import type { SandboxFaults, SandboxRoute } from '../../local/yay-sandbox/server';
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
const MAX_ORDERS_PER_BUYER = 4;

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Radia', 'Donald', 'Frances', 'Tim'];

/**
 * Each provider's paths and their weights: mostly paid orders, then asynchronous payments, refunds (before and after
 * credit), few disputes. Shopify has no payment-failed topic; its subscriptions are ordinary repeat orders (README).
 * WooCommerce has no dispute webhook. Only Stripe sends a refund that may come before its order (a `charge.refunded`
 * naming only its PaymentIntent).
 */
const PATHS_OF: Record<SoakProvider, readonly [PaymentPath, number][]> = {
  stripe: [
    ['paid', 26],
    ['async_confirmed', 13],
    ['async_failed', 10],
    ['confirmed_late', 8],
    ['refund_after_credit', 10],
    ['refund_before_credit', 12],
    ['refund_before_order', 7],
    ['dispute_before_credit', 4],
    ['dispute_after_credit', 4],
  ],
  shopify: [
    ['paid', 30],
    ['async_confirmed', 17],
    ['confirmed_late', 8],
    ['refund_after_credit', 12],
    ['refund_before_credit', 17],
    ['dispute_before_credit', 4],
    ['dispute_after_credit', 4],
  ],
  woocommerce: [
    ['paid', 30],
    ['async_confirmed', 14],
    ['async_failed', 10],
    ['confirmed_late', 8],
    ['refund_after_credit', 12],
    ['refund_before_credit', 16],
  ],
};

const PROVIDERS: readonly [SoakProvider, number][] = [
  ['stripe', 45],
  ['shopify', 25],
  ['woocommerce', 30],
];

/** A Stripe subscriber's first invoice is a free trial's (0.00) this often. */
const FREE_TRIAL_SHARE = 0.3;

const SUBSCRIPTION_PATHS: ReadonlySet<PaymentPath> = new Set(['subscription', 'free_trial', 'renewal']);

/**
 * What an order pays besides its credit line, in pence: the published Shopify order's other four lines (324.96)
 * less its discount (20.00) plus its shipping (10.00); the published WooCommerce order 727's other line (6.00) with
 * its tax (0.45) and its shipping (10.00).
 */
export const SHOPIFY_OTHER_CHARGES = 32_496 - 2_000 + 1_000;
export const WOO_OTHER_CHARGES = 600 + 45 + 1_000;
/** The Shopify line a refund of merchandise names: `LENS-PROTECT-2YR` at 19.99. */
export const SHOPIFY_OTHER_LINE = 1_999;
/** A seeded random source with the few draws the generator needs. */
class Draw {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  float(): number {
    return this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  weighted<T>(options: readonly (readonly [T, number])[]): T {
    const total = options.reduce((sum, [, weight]) => sum + weight, 0);
    let at = this.next() * total;
    for (const [value, weight] of options) {
      at -= weight;
      if (at < 0) return value;
    }
    return (options[options.length - 1] as readonly [T, number])[0];
  }
  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)] as T;
  }
  shuffle<T>(values: T[]): T[] {
    for (let i = values.length - 1; i > 0; i -= 1) {
      const j = Math.floor(this.next() * (i + 1));
      [values[i], values[j]] = [values[j] as T, values[i] as T];
    }
    return values;
  }
  /** A token of base-36 letters and digits, for ids. */
  token(length: number): string {
    let out = '';
    for (let i = 0; i < length; i += 1) out += Math.floor(this.next() * 36).toString(36);
    return out;
  }
}

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

/** The whole plan of a run, from its parameters alone. */
export function planSoak(parameters: SoakParameters): SoakPlan {
  checkParameters(parameters);
  const draw = new Draw(parameters.seed);
  const tag = draw.token(4);
  const buyers = planBuyers(draw, parameters.buyers, tag);
  const orders = planOrders(draw, parameters, buyers, tag);
  const plannedDeliveries = orders.reduce(
    (sum, order) => sum + order.steps.reduce((n, step) => n + (step.do === 'send' ? step.copies : 0), 0),
    0,
  );
  return {
    parameters,
    buyers,
    orders,
    faultPhases: planFaults(draw).map((phase) => ({
      ...phase,
      durationMs: Math.round(phase.durationMs * (parameters.faultPhaseScale ?? 1)),
    })),
    kills: planKills(draw, parameters.kills, plannedDeliveries),
    plannedDeliveries,
  };
}

function planBuyers(draw: Draw, count: number, tag: string): PlannedBuyer[] {
  const buyers: PlannedBuyer[] = [];
  for (let index = 0; index < count; index += 1) {
    const provider = draw.weighted(PROVIDERS);
    const n = String(index).padStart(4, '0');
    // Unique, readable names and e-mails: the ledger's customers are matched to buyers by them.
    const firstName = `${draw.pick(FIRST_NAMES)}${n}`;
    const lastName = `Soak${tag}`;
    const email = `soak-${tag}-${n}@example.com`;
    const customerId =
      provider === 'stripe'
        ? `cus_soak${tag}${n}`
        : provider === 'shopify'
          ? `71531062731${String(index).padStart(8, '0')}`
          : String(1000 + index);
    buyers.push({ index, provider, firstName, lastName, email, customerId });
  }
  return buyers;
}

/** The catalog credit of order `index`: SOAK-UNIT × (1000 + index) at 0.010, i.e. ten thousandths a penny paid. */
export const creditOf = (index: number) => (10_000 + 10 * index) as Millis;

/**
 * Buyers first get one order each, then the rest go to repeat buyers (up to {@link MAX_ORDERS_PER_BUYER}).
 * Some Stripe and WooCommerce repeat buyers are subscribers: their first order is the subscription (for some Stripe
 * ones a free trial) and the rest its renewals. The order sequence is then shuffled, keeping each subscription
 * before its renewals.
 */
function planOrders(
  draw: Draw,
  parameters: SoakParameters,
  buyers: PlannedBuyer[],
  tag: string,
): PlannedOrder[] {
  const ownerOf: number[] = buyers.map((buyer) => buyer.index);
  const counts = buyers.map(() => 1);
  while (ownerOf.length < parameters.orders) {
    const buyer = draw.int(0, buyers.length - 1);
    if ((counts[buyer] ?? 0) >= MAX_ORDERS_PER_BUYER) continue;
    counts[buyer] = (counts[buyer] ?? 0) + 1;
    ownerOf.push(buyer);
  }
  draw.shuffle(ownerOf);
  const subscriber = buyers.map(
    (buyer) => buyer.provider !== 'shopify' && (counts[buyer.index] ?? 0) >= 2 && draw.chance(0.4),
  );
  // Every amount a buyer's transfers may carry (each order's catalog credit, and what a partial refund leaves of it)
  // is distinct, so each ledger transfer names its order by buyer and amount.
  const taken = buyers.map(() => new Set<number>());
  ownerOf.forEach((buyer, index) => {
    taken[buyer]?.add(creditOf(index));
  });
  const seen = buyers.map(() => 0);
  return ownerOf.map((buyerIndex, index) => {
    const buyer = buyers[buyerIndex] as PlannedBuyer;
    const nth = seen[buyerIndex] ?? 0;
    seen[buyerIndex] = nth + 1;
    const path: PaymentPath = subscriber[buyerIndex]
      ? nth > 0
        ? 'renewal'
        : buyer.provider === 'stripe' && draw.chance(FREE_TRIAL_SHARE)
          ? 'free_trial'
          : 'subscription'
      : draw.weighted(PATHS_OF[buyer.provider]);
    return planOrder(draw, buyer, index, path, tag, taken[buyerIndex] as Set<number>);
  });
}

function orderIdOf(provider: SoakProvider, path: PaymentPath, index: number, tag: string): string {
  const n = String(index).padStart(5, '0');
  if (provider === 'stripe')
    return SUBSCRIPTION_PATHS.has(path) ? `in_soak${tag}${n}` : `cs_test_soak${tag}${n}`;
  // Shopify ids are above 2^53, as real ones are: they must reach the order key exactly.
  if (provider === 'shopify') return `82098291194${String(index).padStart(8, '0')}`;
  return String(20_000 + index);
}

function copies(draw: Draw): number {
  return draw.weighted([
    [1, 45],
    [2, 30],
    [3, 15],
    [4, 10],
  ] as const);
}

function send(draw: Draw, role: EventRole, tag?: 'late' | 'out_of_order' | 'restated'): Step {
  const n = copies(draw);
  return { do: 'send', role, copies: n, concurrent: n > 1 && draw.chance(0.5), ...(tag ? { tag } : {}) };
}

function pause(draw: Draw, maxMs: number): Step {
  return { do: 'pause', ms: draw.int(0, maxMs) };
}

/** True when the order is one credit line and nothing else: a refund naming no line then refunds in proportion. */
function singleCreditLine(provider: SoakProvider, lines: PlannedOrder['lines']): boolean {
  // A Checkout Session without shipping is priced whole by `metadata.yay_credit`; a Shopify order has other lines.
  if (provider === 'stripe') return true;
  return provider === 'woocommerce' && lines === 'single';
}

/**
 * A refund for the order: its shape, amount and how it names the order. `keeps` is the credit a shape leaves of the
 * order's (undefined when none is owed or a person decides); a partial amount is chosen among plausible ones so that
 * what it leaves is not an amount another of the buyer's transfers may carry.
 */
function planRefund(
  draw: Draw,
  provider: SoakProvider,
  path: PaymentPath,
  paid: number,
  lines: PlannedOrder['lines'],
  credit: Millis,
  taken: Set<number>,
): PlannedRefund {
  const before = path !== 'refund_after_credit';
  const unique = (candidates: number[], keeps: (amount: number) => number): number => {
    const options = draw.shuffle([...candidates]);
    const free = options.find((amount) => !before || !taken.has(keeps(amount)));
    if (free !== undefined) return free;
    // None of the plausible amounts: the next penny up that leaves a distinct amount.
    let amount = options[0] as number;
    while (taken.has(keeps(amount))) amount += 1;
    return amount;
  };
  const proportional = (amount: number) => (credit * (paid - amount)) / paid;
  if (provider === 'stripe') {
    const full = draw.chance(path === 'refund_before_order' ? 0.45 : 0.4);
    const by =
      path === 'refund_before_order'
        ? draw.weighted([
            ['payment_intent', 70],
            ['session', 30],
          ] as const)
        : draw.pick(['session', 'payment_intent'] as const);
    if (full) return { shape: 'full', amount: paid, by };
    return { shape: 'partial', amount: unique([100, 200, 250, 500], proportional), by };
  }
  if (provider === 'shopify') {
    const shape = draw.weighted(
      before
        ? ([
            ['full', 30],
            ['credit_line', 30],
            ['partial', 30],
            ['other_line', 10],
          ] as const)
        : ([
            ['full', 40],
            ['credit_line', 30],
            ['partial', 30],
          ] as const),
    );
    if (shape === 'full') return { shape, amount: paid };
    if (shape === 'other_line') return { shape, amount: SHOPIFY_OTHER_LINE };
    if (shape === 'partial') return { shape, amount: draw.pick([500, 1_000, 1_999, 2_500]) };
    // A unit of credit is a penny: refunding `units` of the line gives back as many pence.
    const units = unique([100, 250, 500], (n) => credit - 10 * n);
    return { shape, amount: units, units };
  }
  if (draw.chance(0.4)) return { shape: 'full', amount: paid, listed: draw.chance(0.5) };
  return {
    shape: 'partial',
    amount: lines === 'single' ? unique([100, 250, 500], proportional) : draw.pick([600, 1_000, 500]),
  };
}

/**
 * The oracle's model of the money rules (issue 16), kept apart from the product's: what the order's money owes.
 * Paid in full, nothing refunded → the catalog credit; refunded in full → nothing; a payment of 0 → nothing; a partial
 * refund → less the credit lines it names, else in proportion when the order is one credit line, else a person; a
 * dispute before credit → a person. Refunds and disputes after credit do not change what moved.
 */
export function moneyOwes(order: Omit<PlannedOrder, 'owed' | 'expected' | 'steps'>): Owed {
  const credit = order.amount;
  if (order.path === 'async_failed') return { kind: 'nothing', label: 'nothing: the payment failed' };
  if (order.path === 'free_trial') return { kind: 'nothing', label: 'nothing: a free trial paid 0' };
  if (order.path === 'dispute_before_credit')
    return { kind: 'person', reason: 'disputed', label: 'a person: disputed before credit' };
  const refund = order.refund;
  if (!refund || order.path === 'refund_after_credit') {
    return { kind: 'credit', credit, label: 'credit in full' };
  }
  switch (refund.shape) {
    case 'full':
      return { kind: 'nothing', label: 'nothing: refunded in full' };
    case 'credit_line':
      return {
        kind: 'credit',
        credit: (credit - 10 * (refund.units ?? 0)) as Millis,
        label: 'credit less the refunded credit line',
      };
    case 'other_line':
      return { kind: 'credit', credit, label: 'credit in full (merchandise refunded)' };
    case 'partial': {
      if (!singleCreditLine(order.provider, order.lines)) {
        return {
          kind: 'person',
          reason: 'credit_undecided',
          label: 'a person: money-only partial refund of several lines',
        };
      }
      const kept = (credit * (order.paid - refund.amount)) / order.paid;
      if (!Number.isInteger(kept))
        throw new Error(`soak plan: order ${order.index} keeps ${kept} thousandths`);
      return { kind: 'credit', credit: kept as Millis, label: 'credit in proportion to the money kept' };
    }
  }
}

/** The ends the oracle accepts for what the money owes, with the credit each must show. */
function expectedEnds(order: Omit<PlannedOrder, 'expected' | 'steps'>): ExpectedEnd[] {
  const { owed, path } = order;
  const ends: ExpectedEnd[] =
    owed.kind === 'credit'
      ? path === 'refund_after_credit' || path === 'dispute_after_credit'
        ? [{ state: 'fulfilled', attention: 'refund_after_credit', credit: owed.credit }]
        : [{ state: 'fulfilled', credit: owed.credit }]
      : owed.kind === 'person'
        ? [{ state: 'needs_attention', attention: owed.reason, credit: 0 }]
        : path === 'async_failed'
          ? [
              { state: 'payment_failed', credit: 0 },
              { state: 'expired', credit: 0 },
            ]
          : path === 'free_trial'
            ? [{ state: 'fulfilled', credit: 0 }]
            : [{ state: 'refunded', credit: 0 }];
  if (path === 'refund_before_credit') {
    if (order.provider !== 'woocommerce') {
      // The window closed before the payment came: the product asks a person about a refund with no payment, and the
      // payment that follows leaves the person asked.
      if (!(owed.kind === 'person' && owed.reason === 'credit_undecided')) {
        ends.push({
          state: 'needs_attention',
          attention: 'credit_undecided',
          credit: 0,
          when: 'window_closed',
        });
      }
    } else if (owed.kind === 'nothing') {
      // A WooCommerce refund carries its payment: refunded in full after the window closed, the order owes nothing
      // and stays expired.
      ends.push({ state: 'expired', credit: 0, when: 'window_closed' });
    }
  }
  return ends;
}

/**
 * A plain paid order outside any plan (the cost bench drives its own): path `paid`, no script, the money of its
 * provider's body, its catalog credit owed in full.
 */
export function paidOrder(
  fields: Pick<PlannedOrder, 'index' | 'provider' | 'buyer' | 'orderId' | 'paymentIntent'>,
): PlannedOrder {
  const amount = creditOf(fields.index);
  const pence = 1_000 + fields.index;
  const base = {
    ...fields,
    path: 'paid' as const,
    amount,
    paid: fields.provider === 'shopify' ? pence + SHOPIFY_OTHER_CHARGES : pence,
    ...(fields.provider === 'woocommerce' ? { lines: 'single' as const } : {}),
  };
  const owed = moneyOwes(base);
  return { ...base, steps: [], owed, expected: expectedEnds({ ...base, owed }) };
}

function planOrder(
  draw: Draw,
  buyer: PlannedBuyer,
  index: number,
  path: PaymentPath,
  tag: string,
  taken: Set<number>,
): PlannedOrder {
  const provider = buyer.provider;
  const amount = creditOf(index);
  const pence = 1_000 + index;
  const lines: PlannedOrder['lines'] =
    provider !== 'woocommerce'
      ? undefined
      : SUBSCRIPTION_PATHS.has(path) || draw.chance(0.4)
        ? 'single'
        : 'multi';
  const paid =
    path === 'free_trial'
      ? 0
      : provider === 'shopify'
        ? pence + SHOPIFY_OTHER_CHARGES
        : lines === 'multi'
          ? pence + WOO_OTHER_CHARGES
          : pence;
  const refunds =
    path === 'refund_after_credit' || path === 'refund_before_credit' || path === 'refund_before_order';
  const refund = refunds ? planRefund(draw, provider, path, paid, lines, amount, taken) : undefined;
  const orderId = orderIdOf(provider, path, index, tag);
  const base = {
    index,
    provider,
    path,
    buyer: buyer.index,
    orderId,
    ...(provider === 'stripe' && path !== 'free_trial'
      ? { paymentIntent: `pi_soak${tag}${String(index).padStart(5, '0')}` }
      : {}),
    amount,
    paid,
    ...(lines ? { lines } : {}),
    ...(refund ? { refund } : {}),
  };
  const owed = moneyOwes(base);
  if (owed.kind === 'credit') taken.add(owed.credit);

  const steps: Step[] = [];
  // Shopify and WooCommerce often announce an order before its payment; sometimes the payment wins the race.
  const announced = provider !== 'stripe' && !SUBSCRIPTION_PATHS.has(path) && draw.chance(0.5);
  const outOfOrder = draw.chance(0.3);
  const unpaidThen = (second: EventRole) => {
    if (outOfOrder) steps.push(send(draw, second, 'out_of_order'), pause(draw, 400), send(draw, 'placed'));
    else steps.push(send(draw, 'placed'), pause(draw, 800), send(draw, second));
  };
  switch (path) {
    case 'paid':
    case 'subscription':
    case 'free_trial':
    case 'renewal':
      if (announced && outOfOrder)
        steps.push(send(draw, 'paid', 'out_of_order'), pause(draw, 300), send(draw, 'placed'));
      else if (announced) steps.push(send(draw, 'placed'), pause(draw, 300), send(draw, 'paid'));
      else steps.push(send(draw, 'paid'));
      // Stripe's `invoice_payment.paid` reports a paid invoice's payment again, with its PaymentIntent: after the
      // invoice, or before it.
      if (provider === 'stripe' && (path === 'subscription' || path === 'renewal') && draw.chance(0.4)) {
        if (draw.chance(0.3)) steps.unshift(send(draw, 'invoice_payment', 'out_of_order'), pause(draw, 300));
        else steps.push(pause(draw, 300), send(draw, 'invoice_payment'));
      }
      break;
    case 'async_confirmed':
      unpaidThen('confirmed');
      break;
    case 'async_failed':
      unpaidThen('failed');
      break;
    case 'confirmed_late':
      steps.push(send(draw, 'placed'), { do: 'await', until: 'expired' }, send(draw, 'confirmed'));
      break;
    case 'refund_after_credit':
    case 'dispute_after_credit':
      if (announced) steps.push(send(draw, 'placed'), pause(draw, 300));
      steps.push(
        send(draw, 'paid'),
        { do: 'await', until: 'fulfilled' },
        pause(draw, 500),
        send(draw, path === 'refund_after_credit' ? 'refunded' : 'disputed'),
      );
      break;
    case 'refund_before_credit':
    case 'dispute_before_credit': {
      const refunded = path === 'refund_before_credit';
      steps.push(
        send(draw, 'placed'),
        { do: 'await', until: 'recorded' },
        send(draw, refunded ? 'refunded' : 'disputed'),
        { do: 'await', until: refunded ? 'refund_on_order' : 'dispute_on_order' },
        send(draw, 'confirmed'),
      );
      // The refund again once the rest of the credit moved: a store retrying it, or (WooCommerce) any later update of
      // the order, which lists its refunds again. The credit already took it into account.
      if (refunded && owed.kind === 'credit' && draw.chance(0.3)) {
        steps.push({ do: 'await', until: 'ended' }, pause(draw, 300), send(draw, 'refunded', 'restated'));
      }
      break;
    }
    case 'refund_before_order':
      steps.push(
        send(draw, 'refunded'),
        { do: 'await', until: refund?.by === 'session' ? 'refund_on_order' : 'refund_on_payment' },
        send(draw, 'paid'),
      );
      break;
  }
  // A late repeat of the order's first event, after everything else (a store retrying what it thought failed).
  const first = steps.find((step) => step.do === 'send');
  if (first && first.do === 'send' && draw.chance(0.25)) {
    const n = draw.int(1, 2);
    steps.push(pause(draw, 1_000), {
      do: 'send',
      role: first.role,
      copies: n,
      concurrent: n > 1,
      tag: 'late',
    });
  }
  const planned = { ...base, owed };
  return { ...planned, steps, expected: expectedEnds(planned) };
}

/**
 * One cycle of fault phases, each kind at least once, shuffled, a calm phase between any two so the retries a
 * phase causes (capped by LOCAL_MAX_WAIT_SECONDS) never run out before Yay recovers. Interrupt phases
 * (drop, truncate, 500 after apply) end once their interruptions have fired, or after their duration.
 */
function planFaults(draw: Draw): FaultPhase[] {
  const route = (): SandboxRoute => draw.pick(['create', 'transfer'] as const);
  const interrupt = (field: 'dropNext' | 'truncateNext' | 'errorAfterApplyNext', on: SandboxRoute) => ({
    [field]: { route: on, count: draw.int(1, 3) },
  });
  const faulty: FaultPhase[] = [
    {
      label: 'latency spike',
      faults: { latencyMs: draw.int(300, 1_200) },
      durationMs: draw.int(2_000, 5_000),
      kinds: ['delayed'],
    },
    {
      label: '5xx before applying',
      faults: { errorRate: 0.1 + draw.float() * 0.2, errorSeed: draw.int(1, 1_000_000) },
      durationMs: draw.int(3_000, 5_000),
      kinds: ['injected-error'],
    },
    {
      label: '5xx after applying a transfer',
      faults: interrupt('errorAfterApplyNext', 'transfer'),
      durationMs: 6_000,
      kinds: ['error-after-apply'],
    },
    {
      label: '5xx after applying a create',
      faults: interrupt('errorAfterApplyNext', 'create'),
      durationMs: 6_000,
      kinds: ['error-after-apply'],
    },
    {
      label: 'answer dropped after a create',
      faults: interrupt('dropNext', 'create'),
      durationMs: 6_000,
      kinds: ['dropped'],
    },
    {
      label: 'answer dropped after a transfer',
      faults: interrupt('dropNext', 'transfer'),
      durationMs: 6_000,
      kinds: ['dropped'],
    },
    {
      label: 'answer cut short',
      faults: interrupt('truncateNext', route()),
      durationMs: 6_000,
      kinds: ['truncated'],
    },
    {
      label: '429 burst',
      faults: { maxConcurrent: draw.int(1, 3) },
      durationMs: draw.int(2_000, 4_000),
      kinds: ['rate-limited'],
    },
    {
      label: 'latency and 429',
      faults: { latencyMs: draw.int(200, 600), maxConcurrent: draw.int(2, 4) },
      durationMs: draw.int(2_000, 3_000),
      kinds: ['delayed', 'rate-limited'],
    },
    {
      label: 'customer balance unavailable',
      faults: { balanceUnavailableForMs: draw.int(2_000, 5_000) },
      durationMs: 5_000,
      kinds: ['balance-unavailable'],
    },
  ];
  const phases: FaultPhase[] = [];
  for (const phase of draw.shuffle(faulty)) {
    phases.push(phase, { label: 'calm', faults: {}, durationMs: draw.int(1_500, 4_000), kinds: [] });
  }
  return phases;
}

/** Kills spread over the deliveries: one in each of `count` equal stretches of the middle 80%. */
function planKills(draw: Draw, count: number, deliveries: number): KillPoint[] {
  const kills: KillPoint[] = [];
  const from = deliveries * 0.1;
  const span = (deliveries * 0.8) / Math.max(1, count);
  for (let i = 0; i < count; i += 1) {
    kills.push({
      afterDeliveries: Math.max(1, Math.floor(from + span * i + draw.float() * span)),
      delayMs: draw.int(0, 1_500),
      downMs: draw.int(0, 2_000),
    });
  }
  return kills;
}

/**
 * What a plan does not exercise, as readable labels (empty when it covers everything): each payment path every
 * provider offers, each refund shape before credit and how refunds name their order, what the money may owe (credit
 * in part, a person for each reason, nothing), out-of-order, late, restated and concurrent deliveries, one to four
 * copies, repeat buyers, kills. The short run in `npm test` asserts its plan covers all of it.
 */
export function planCoverage(plan: SoakPlan): string[] {
  const seen = new Set<string>();
  for (const order of plan.orders) {
    seen.add(`${order.provider} ${order.path}`);
    const refund = order.refund;
    if (refund) {
      if (order.path !== 'refund_after_credit')
        seen.add(`${order.provider} ${refund.shape} refund before credit`);
      if (refund.by) seen.add(`${order.provider} refund by ${refund.by}`);
      if (refund.listed) seen.add(`${order.provider} refund listed`);
    }
    if (order.lines) seen.add(`${order.provider} ${order.lines} line order`);
    if (order.owed.kind === 'credit' && order.owed.credit < order.amount)
      seen.add('owed: part of the credit');
    if (order.owed.kind === 'person') seen.add(`owed: a person (${order.owed.reason})`);
    if (order.owed.kind === 'nothing') seen.add(`owed: ${order.owed.label}`);
    for (const step of order.steps) {
      if (step.do !== 'send') continue;
      seen.add(`${step.copies} copies`);
      if (step.concurrent) seen.add('concurrent copies');
      if (step.tag) seen.add(step.tag);
      if (step.role === 'invoice_payment') seen.add('stripe invoice_payment');
    }
  }
  const wanted: string[] = [];
  for (const provider of ['stripe', 'shopify', 'woocommerce'] as const) {
    for (const [path] of PATHS_OF[provider]) wanted.push(`${provider} ${path}`);
    if (provider !== 'shopify') wanted.push(`${provider} subscription`, `${provider} renewal`);
  }
  wanted.push('stripe free_trial', 'stripe invoice_payment');
  wanted.push('stripe full refund before credit', 'stripe partial refund before credit');
  wanted.push('stripe refund by session', 'stripe refund by payment_intent');
  for (const shape of ['full', 'partial', 'credit_line', 'other_line'])
    wanted.push(`shopify ${shape} refund before credit`);
  wanted.push('woocommerce full refund before credit', 'woocommerce partial refund before credit');
  wanted.push('woocommerce refund listed', 'woocommerce single line order', 'woocommerce multi line order');
  wanted.push('owed: part of the credit', 'owed: a person (credit_undecided)', 'owed: a person (disputed)');
  wanted.push('owed: nothing: refunded in full', 'owed: nothing: a free trial paid 0');
  wanted.push('owed: nothing: the payment failed');
  wanted.push('1 copies', '2 copies', '3 copies', '4 copies');
  wanted.push('concurrent copies', 'late', 'out_of_order', 'restated');
  const missing = wanted.filter((label) => !seen.has(label));
  const perBuyer = new Map<number, number>();
  for (const order of plan.orders) perBuyer.set(order.buyer, (perBuyer.get(order.buyer) ?? 0) + 1);
  if (![...perBuyer.values()].some((n) => n > 1)) missing.push('repeat buyers');
  if (plan.kills.length === 0) missing.push('kills');
  return missing;
}
