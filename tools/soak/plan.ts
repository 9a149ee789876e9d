/**
 * The chaos soak's scenario generator: from a seed and a few parameters, the whole plan of a run — buyers, orders
 * and their payment paths, the money each order's events carry, every delivery of every event (copies,
 * concurrency, late and out-of-order ones), the Yay fault programme and the moments local mode is killed. Pure and
 * deterministic: the same parameters give the same plan, byte for byte (a test holds it to that), so a failing run
 * is reproduced from its seed.
 *
 * This file draws the buyers, the orders and each order's script. The plan is also the oracle (oracle.ts): each
 * order says, before anything is sent, what its money owes and how it may end. The rest of the plan has files of its
 * own: its types and parameters (plan-types.ts), the seeded draws (plan-draw.ts), refunds (plan-refund.ts), faults
 * and kills (plan-chaos.ts), and what a plan covers (plan-coverage.ts).
 */
import { creditOf, expectedEnds, moneyOwes, SHOPIFY_OTHER_CHARGES, WOO_OTHER_CHARGES } from './oracle';
import { planFaults, planKills } from './plan-chaos';
import { Draw } from './plan-draw';
import { planRefund } from './plan-refund';
import {
  checkParameters,
  type EventRole,
  MAX_ORDERS_PER_BUYER,
  type PaymentPath,
  type PlannedBuyer,
  type PlannedOrder,
  type SoakParameters,
  type SoakPlan,
  type SoakProvider,
  type Step,
} from './plan-types';

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Radia', 'Donald', 'Frances', 'Tim'];

/**
 * Each provider's paths and their weights: mostly paid orders, then asynchronous payments, refunds (before and after
 * credit), few disputes. Shopify has no payment-failed topic; its subscriptions are ordinary repeat orders (README).
 * WooCommerce has no dispute webhook. Only Stripe sends a refund that may come before its order (a `charge.refunded`
 * naming only its PaymentIntent).
 */
export const PATHS_OF: Record<SoakProvider, readonly [PaymentPath, number][]> = {
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
