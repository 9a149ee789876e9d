/**
 * The chaos soak's scenario generator: from a seed and a few parameters, the whole plan of a run — buyers, orders
 * and their payment paths, every delivery of every event (copies, concurrency, late and out-of-order ones), the
 * Yay fault programme and the moments local mode is killed. Pure and deterministic: the same parameters give the
 * same plan, byte for byte (a test holds it to that), so a failing run is reproduced from its seed.
 *
 * The plan is also the oracle: each order says, before anything is sent, whether the sandbox's ledger must show
 * its credit exactly once or never, and which end states are acceptable.
 */
import { seededRandom } from '../../infra/local/yay-sandbox/faults';
import type { SandboxFaults, SandboxRoute } from '../../infra/local/yay-sandbox/index';
import type { Millis } from '../../shared/domain/credit';
import type { AttentionReason, OrderState } from '../../shared/domain/order-state';

export type SoakProvider = 'stripe' | 'shopify' | 'woocommerce';

/**
 * How an order's payment goes:
 * - `paid`: paid at checkout (Shopify and WooCommerce sometimes announce the order first);
 * - `async_confirmed`: placed unpaid, then confirmed within the payment window;
 * - `async_failed`: placed unpaid, then the payment fails;
 * - `confirmed_late`: placed unpaid, the window closes (the order expires), then the payment is confirmed;
 * - `refund_after_credit`: paid, credited, then refunded;
 * - `refund_before_credit`: placed unpaid, refunded, then (the store contradicting itself) confirmed;
 * - `subscription`: a subscription's first payment (Stripe `invoice.paid` subscription_create, a WooCommerce
 *   Subscriptions parent order); `renewal`: each later one, for the same buyer.
 */
export type PaymentPath =
  | 'paid'
  | 'async_confirmed'
  | 'async_failed'
  | 'confirmed_late'
  | 'refund_after_credit'
  | 'refund_before_credit'
  | 'subscription'
  | 'renewal';

export const PaymentPaths: readonly PaymentPath[] = [
  'paid',
  'async_confirmed',
  'async_failed',
  'confirmed_late',
  'refund_after_credit',
  'refund_before_credit',
  'subscription',
  'renewal',
];

/** The paths whose credit the ledger must show exactly once; every other path must move none. */
export const CREDITED_PATHS: ReadonlySet<PaymentPath> = new Set([
  'paid',
  'async_confirmed',
  'confirmed_late',
  'refund_after_credit',
  'subscription',
  'renewal',
]);

/** One logical store event of an order; its deliveries are copies of the same bytes (re-signed per attempt). */
export type EventRole = 'placed' | 'paid' | 'confirmed' | 'failed' | 'refunded';

/** What an order's script waits for before its next event, read from local mode's table. */
export type Gate = 'recorded' | 'expired' | 'fulfilled' | 'refunded';

export type Step =
  | {
      do: 'send';
      role: EventRole;
      /** Deliveries of this event at this point (1–4). */
      copies: number;
      /** The copies go at once (`Promise.all`) rather than one after the other. */
      concurrent: boolean;
      /** `late`: a repeat after later events of the order; `out_of_order`: before the event it follows. */
      tag?: 'late' | 'out_of_order';
    }
  | { do: 'await'; until: Gate }
  | { do: 'pause'; ms: number };

/** An end state the oracle accepts, with the attention reason it must carry (if any). */
export interface ExpectedEnd {
  state: OrderState;
  attention?: AttentionReason;
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
  /** Stripe: the PaymentIntent the session (or invoice) recorded. */
  paymentIntent?: string;
  /** Unique per order, so each ledger transfer names the order it belongs to. */
  amount: Millis;
  /** How a refund names the order: Stripe by session id in metadata or by PaymentIntent only; WooCommerce full or partial. */
  refundBy?: 'session' | 'payment_intent' | 'full' | 'partial';
  steps: Step[];
  /** The oracle: the ledger shows this order's amount to its buyer exactly once (true) or never (false). */
  credited: boolean;
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

const PATHS_OF: Record<SoakProvider, readonly [PaymentPath, number][]> = {
  stripe: [
    ['paid', 30],
    ['async_confirmed', 15],
    ['async_failed', 12],
    ['confirmed_late', 10],
    ['refund_after_credit', 12],
    ['refund_before_credit', 12],
  ],
  // Shopify has no payment-failed topic; its subscriptions are ordinary repeat orders (README).
  shopify: [
    ['paid', 35],
    ['async_confirmed', 20],
    ['confirmed_late', 10],
    ['refund_after_credit', 15],
    ['refund_before_credit', 15],
  ],
  woocommerce: [
    ['paid', 30],
    ['async_confirmed', 15],
    ['async_failed', 12],
    ['confirmed_late', 10],
    ['refund_after_credit', 12],
    ['refund_before_credit', 12],
  ],
};

const PROVIDERS: readonly [SoakProvider, number][] = [
  ['stripe', 45],
  ['shopify', 25],
  ['woocommerce', 30],
];

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

/**
 * Buyers first get one order each, then the rest go to repeat buyers (up to {@link MAX_ORDERS_PER_BUYER}).
 * Some Stripe and WooCommerce repeat buyers are subscribers: their first order is the subscription and the rest
 * its renewals. The order sequence is then shuffled, keeping each subscription before its renewals.
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
  const seen = buyers.map(() => 0);
  return ownerOf.map((buyerIndex, index) => {
    const buyer = buyers[buyerIndex] as PlannedBuyer;
    const nth = seen[buyerIndex] ?? 0;
    seen[buyerIndex] = nth + 1;
    const path: PaymentPath = subscriber[buyerIndex]
      ? nth === 0
        ? 'subscription'
        : 'renewal'
      : draw.weighted(PATHS_OF[buyer.provider]);
    return planOrder(draw, buyer, index, path, tag);
  });
}

function orderIdOf(provider: SoakProvider, path: PaymentPath, index: number, tag: string): string {
  const n = String(index).padStart(5, '0');
  if (provider === 'stripe')
    return path === 'subscription' || path === 'renewal' ? `in_soak${tag}${n}` : `cs_test_soak${tag}${n}`;
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

function send(draw: Draw, role: EventRole, tag?: 'late' | 'out_of_order'): Step {
  const n = copies(draw);
  return { do: 'send', role, copies: n, concurrent: n > 1 && draw.chance(0.5), ...(tag ? { tag } : {}) };
}

function pause(draw: Draw, maxMs: number): Step {
  return { do: 'pause', ms: draw.int(0, maxMs) };
}

function planOrder(
  draw: Draw,
  buyer: PlannedBuyer,
  index: number,
  path: PaymentPath,
  tag: string,
): PlannedOrder {
  const provider = buyer.provider;
  const steps: Step[] = [];
  // Shopify and WooCommerce often announce an order before its payment; sometimes the payment wins the race.
  const announced =
    provider !== 'stripe' && path !== 'subscription' && path !== 'renewal' && draw.chance(0.5);
  const outOfOrder = draw.chance(0.3);
  const unpaidThen = (second: EventRole) => {
    if (outOfOrder) steps.push(send(draw, second, 'out_of_order'), pause(draw, 400), send(draw, 'placed'));
    else steps.push(send(draw, 'placed'), pause(draw, 800), send(draw, second));
  };
  switch (path) {
    case 'paid':
    case 'subscription':
    case 'renewal':
      if (announced && outOfOrder)
        steps.push(send(draw, 'paid', 'out_of_order'), pause(draw, 300), send(draw, 'placed'));
      else if (announced) steps.push(send(draw, 'placed'), pause(draw, 300), send(draw, 'paid'));
      else steps.push(send(draw, 'paid'));
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
      if (announced) steps.push(send(draw, 'placed'), pause(draw, 300));
      steps.push(
        send(draw, 'paid'),
        { do: 'await', until: 'fulfilled' },
        pause(draw, 500),
        send(draw, 'refunded'),
      );
      break;
    case 'refund_before_credit':
      steps.push(
        send(draw, 'placed'),
        { do: 'await', until: 'recorded' },
        send(draw, 'refunded'),
        { do: 'await', until: 'refunded' },
        send(draw, 'confirmed'),
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
  const credited = CREDITED_PATHS.has(path);
  const expected: ExpectedEnd[] =
    path === 'async_failed'
      ? [{ state: 'payment_failed' }, { state: 'expired' }]
      : path === 'refund_before_credit'
        ? [{ state: 'refunded' }, { state: 'needs_attention', attention: 'credit_undecided' }]
        : path === 'refund_after_credit'
          ? [{ state: 'fulfilled', attention: 'refund_after_credit' }]
          : [{ state: 'fulfilled' }];
  const orderId = orderIdOf(provider, path, index, tag);
  const refundBy =
    path === 'refund_after_credit' || path === 'refund_before_credit'
      ? provider === 'stripe'
        ? draw.pick(['session', 'payment_intent'] as const)
        : provider === 'woocommerce'
          ? path === 'refund_after_credit'
            ? draw.pick(['full', 'partial'] as const)
            : 'full'
          : undefined
      : undefined;
  return {
    index,
    provider,
    path,
    buyer: buyer.index,
    orderId,
    ...(provider === 'stripe' && path !== 'subscription' && path !== 'renewal'
      ? { paymentIntent: `pi_soak${tag}${String(index).padStart(5, '0')}` }
      : {}),
    // 10.000 plus a hundredth per order: a SKU priced 0.010 bought 1000 + index times.
    amount: (10_000 + 10 * index) as Millis,
    ...(refundBy ? { refundBy } : {}),
    steps,
    credited,
    expected,
  };
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
 * provider offers, out-of-order, late and concurrent deliveries, one to four copies, repeat buyers, each refund
 * shape, kills. The short run in `npm test` asserts its plan covers all of it.
 */
export function planCoverage(plan: SoakPlan): string[] {
  const seen = new Set<string>();
  for (const order of plan.orders) {
    seen.add(`${order.provider} ${order.path}`);
    if (order.refundBy) seen.add(`${order.provider} refund by ${order.refundBy}`);
    for (const step of order.steps) {
      if (step.do !== 'send') continue;
      seen.add(`${step.copies} copies`);
      if (step.concurrent) seen.add('concurrent copies');
      if (step.tag) seen.add(step.tag);
    }
  }
  const wanted: string[] = [];
  for (const provider of ['stripe', 'shopify', 'woocommerce'] as const) {
    for (const [path] of PATHS_OF[provider]) wanted.push(`${provider} ${path}`);
    if (provider !== 'shopify') wanted.push(`${provider} subscription`, `${provider} renewal`);
  }
  wanted.push('stripe refund by session', 'stripe refund by payment_intent', 'woocommerce refund by full');
  wanted.push('woocommerce refund by partial', '1 copies', '2 copies', '3 copies', '4 copies');
  wanted.push('concurrent copies', 'late', 'out_of_order');
  const missing = wanted.filter((label) => !seen.has(label));
  const perBuyer = new Map<number, number>();
  for (const order of plan.orders) perBuyer.set(order.buyer, (perBuyer.get(order.buyer) ?? 0) + 1);
  if (![...perBuyer.values()].some((n) => n > 1)) missing.push('repeat buyers');
  if (plan.kills.length === 0) missing.push('kills');
  return missing;
}
