/**
 * Money facts and the credit they owe (docs: the design's "Money facts"). A store's payments, refunds, disputes and
 * failures are facts, each recorded once on its order by the provider's id, in exact minor units. What a buyer is
 * owed is derived from them and the catalog by {@link creditOwed}, a pure function: never from an event's kind.
 */
// Namespace import: `import { z } from 'zod'` defeats esbuild's tree shaking (see shared/workflow/input.ts).
import * as z from 'zod';
import { describeCredit, MIN_TRANSFER } from './credit';

export const MoneyFactTypes = ['payment', 'refund', 'dispute', 'failure'] as const;
export type MoneyFactType = (typeof MoneyFactTypes)[number];

/**
 * One fact about the buyer's money, as the provider reported it. `amount` is in the minor units of `currency`
 * (pence, cents; yen are their own minor unit), exactly as sent: a negative amount or another currency than the
 * order's is recorded as it came and never applied blindly (a person gets the figures).
 */
export const MoneyFactSchema = z.object({
  type: z.enum(MoneyFactTypes),
  /** The provider's id of the fact (a PaymentIntent, a refund, a dispute): recorded once per type and id. */
  id: z.string().min(1),
  /** Minor units; null when the provider's amount could not be read exactly (`text` keeps what it sent). */
  amount: z.number().int().nullable(),
  /** ISO 4217, upper case, as the provider named it. */
  currency: z.string().length(3),
  /** ISO-8601 time the provider says it happened. */
  at: z.string().min(1),
  /**
   * Refunds the provider reports as a running total of one payment (Stripe's `amount_refunded` of a charge): the
   * facts of one source are never added up; the largest is what was refunded.
   */
  runningTotalOf: z.string().min(1).optional(),
  /**
   * A refund that names what it refunds (Shopify's refunded lines and shipping): the credit the refunded credit
   * lines had bought, thousandths (0 when only other lines or shipping were refunded); null when a refunded line
   * is a credit line the catalog cannot price. Absent: a money-only refund.
   */
  namedCredit: z.number().int().nonnegative().nullable().optional(),
  /** A dispute's status as the provider gave it (`needs_response`, `under_review`, …). */
  status: z.string().optional(),
  /** The amount as the provider wrote it, when it could not be read exactly. */
  text: z.string().optional(),
});
export type MoneyFact = z.infer<typeof MoneyFactSchema>;

/** What an order costs and how it is made up, as the store described it. */
export const OrderMoneySchema = z.object({
  /** What the buyer pays for the whole order, minor units; null when the store did not say. */
  total: z.number().int().nullable(),
  /** The order's currency (ISO 4217). Every fact of the order should be in it. */
  currency: z.string().length(3),
  /**
   * The whole order is one credit line (one catalog entry, any quantity) and nothing else is charged (no other
   * item, no shipping): a refund that names no line then refunds credit in proportion to the money.
   */
  singleCreditLine: z.boolean(),
});
export type OrderMoney = z.infer<typeof OrderMoneySchema>;

/** A person's decision on the credit an order owes (`ops complete --credit`), valid for the facts it saw. */
export interface CreditDecision {
  /** Thousandths. */
  credit: number;
  /** How many facts the order had when the person decided: a later fact makes the decision stale. */
  factCount: number;
  at: string;
}

/** The key a fact is recorded under on its order: one per type and provider id. */
export function factKey(fact: Pick<MoneyFact, 'type' | 'id'>): string {
  return `${fact.type}:${fact.id}`;
}

/** ISO 4217 minor-unit digits of a currency, from the runtime's ICU data (GBP 2, JPY 0, KWD 3); 2 if unknown. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits as number;
  } catch {
    return 2;
  }
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * A decimal amount as stores write it ("10.00", "-9.00", 89.99) in exact minor units of `currency`, or null when it
 * cannot be (junk, or more decimals than the currency has, beyond trailing zeros). Never through a float's
 * arithmetic: a JSON number is read by its shortest decimal form.
 */
export function toMinorUnits(value: string | number, currency: string): number | null {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const match = DECIMAL.exec(text);
  if (!match) return null;
  const digits = currencyDigits(currency);
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) return null;
  const minor = Number(`${match[2]}${fraction.padEnd(digits, '0')}`);
  if (!Number.isSafeInteger(minor)) return null;
  return match[1] ? -minor : minor;
}

/** Minor units for people: `1000, "GBP"` → "10.00 GBP". */
export function describeMoney(minor: number | null, currency: string): string {
  if (minor === null) return `an unreadable amount in ${currency}`;
  const digits = currencyDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = digits === 0 ? text : text.slice(0, -digits);
  const fraction = digits === 0 ? '' : `.${text.slice(-digits)}`;
  return `${sign}${whole}${fraction} ${currency}`;
}

/** What {@link creditOwed} reads of an order. */
export interface MoneyState {
  /** Credit the order bought (thousandths) per the catalog; null when unpriced. */
  credit: number | null;
  /** The order's money as its event described it; absent on an event from before money facts, or a stub. */
  money?: OrderMoney;
  /** The order's currency when `money` is absent (the credit's). */
  currency: string;
  facts: readonly MoneyFact[];
  /**
   * The order counts as paid though no payment fact is recorded: an execution started by hand with an order event
   * of kind `paid` (a hand-made input, an event from before money facts). Its amount is unknown, so any refund needs
   * a person.
   */
  paidWithoutFacts?: boolean;
  decision?: CreditDecision;
}

export interface CreditOptions {
  /** A payment of 0 (a free trial's first invoice, a 100% coupon) owes the catalog credit too. Default false. */
  creditFreeOrders?: boolean;
}

/**
 * What an order owes, derived from its facts:
 * - `unpaid`: no payment yet (nothing owed until one comes); `failed`: only failures;
 * - `unpriced`: paid, but the catalog does not price the credit (a person prices it);
 * - `owed`: this much credit (thousandths, at least the minimum transfer);
 * - `nothing`: paid, yet nothing is owed (refunded in full, a free order, or a person decided so);
 * - `person`: only a person can tell (a dispute, a refund that cannot be turned into credit exactly, figures that
 *   do not add up), with the figures in `why`.
 */
export type CreditVerdict =
  | { kind: 'unpaid'; why: string }
  | { kind: 'failed'; why: string }
  | { kind: 'unpriced'; why: string }
  | { kind: 'owed'; credit: number; why: string }
  | { kind: 'nothing'; because: 'refunded' | 'free' | 'decided' | 'no_credit'; why: string }
  | { kind: 'person'; reason: 'credit_undecided' | 'disputed'; why: string };

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** What was refunded: separate refunds add up; a running total counts once, at its largest. */
function refundedAmount(refunds: readonly MoneyFact[]): number {
  const running = new Map<string, number>();
  let separate = 0;
  for (const refund of refunds) {
    const amount = refund.amount ?? 0;
    if (refund.runningTotalOf) {
      running.set(refund.runningTotalOf, Math.max(running.get(refund.runningTotalOf) ?? 0, amount));
    } else separate += amount;
  }
  return separate + sum([...running.values()]);
}

/** The facts in words, for the person who decides: "payment pi_1 10.00 GBP; refund 726 1.00 GBP (money only)". */
export function describeFacts(facts: readonly MoneyFact[]): string {
  if (facts.length === 0) return 'no money facts';
  return facts
    .map((fact) => {
      const named =
        fact.type !== 'refund'
          ? ''
          : fact.namedCredit === undefined
            ? ' (money only)'
            : fact.namedCredit === null
              ? ' (names an unpriced credit line)'
              : ` (names lines that bought ${describeCredit(fact.namedCredit)} credit)`;
      const running = fact.runningTotalOf ? ` (running total of ${fact.runningTotalOf})` : '';
      const status = fact.status ? ` (${fact.status})` : '';
      return `${fact.type} ${fact.id} ${describeMoney(fact.amount, fact.currency)}${running}${named}${status}`;
    })
    .join('; ');
}

/**
 * The credit an order owes, from its money facts and the catalog: credit for what was paid for, less what was
 * refunded. Pure and total: every combination of facts gets a verdict, and where the credit cannot be derived
 * exactly the verdict is a person, with the figures.
 */
export function creditOwed(state: MoneyState, options: CreditOptions = {}): CreditVerdict {
  const { facts } = state;
  const currency = state.money?.currency ?? state.currency;
  const figures = () => `${describeFacts(facts)}; credit bought ${describeCreditOrNone(state.credit)}`;
  const person = (why: string): CreditVerdict => ({
    kind: 'person',
    reason: 'credit_undecided',
    why: `${why} (${figures()})`,
  });

  // A person decided with these facts in front of them: their decision stands until another fact comes.
  if (state.decision && state.decision.factCount === facts.length) {
    const credit = state.decision.credit;
    return credit > 0
      ? { kind: 'owed', credit, why: `a person decided ${describeCredit(credit)} is owed` }
      : { kind: 'nothing', because: 'decided', why: 'a person decided nothing is owed' };
  }

  // A payment of unknown amount still says "paid"; a refund or dispute of unknown amount says nothing usable.
  const strange = facts.find(
    (fact) =>
      (fact.amount === null && (fact.type === 'refund' || fact.type === 'dispute')) || (fact.amount ?? 0) < 0,
  );
  if (strange) {
    return person(`${strange.type} ${strange.id} has ${describeMoney(strange.amount, strange.currency)}`);
  }
  const foreign = facts.find((fact) => fact.currency !== currency);
  if (foreign) {
    return person(`${foreign.type} ${foreign.id} is in ${foreign.currency}, the order in ${currency}`);
  }
  const disputes = facts.filter((fact) => fact.type === 'dispute');
  if (disputes.length > 0) {
    return {
      kind: 'person',
      reason: 'disputed',
      why: `the buyer disputed the payment (${disputes.map((d) => d.id).join(', ')}); ${figures()}`,
    };
  }

  const payments = facts.filter((fact) => fact.type === 'payment');
  const refunds = facts.filter((fact) => fact.type === 'refund');
  if (payments.length === 0 && !state.paidWithoutFacts) {
    if (refunds.length > 0) return person('a refund was recorded but no payment');
    if (facts.some((fact) => fact.type === 'failure')) return { kind: 'failed', why: 'the payment failed' };
    return { kind: 'unpaid', why: 'no payment recorded yet' };
  }
  if (state.credit === null) return { kind: 'unpriced', why: 'the catalog does not price the credit' };
  const credit = state.credit;

  if (payments.length === 0 || payments.some((payment) => payment.amount === null)) {
    // Paid, for an amount nobody recorded (a hand-made input, an event from before money facts, a sample without
    // its total): the credit bought is owed, and only a person can weigh a refund against it.
    if (refunds.length > 0) return person('a refund was recorded against a payment of unknown amount');
    return owedOrNothing(credit, 'paid (no amount recorded)', 'no_credit');
  }

  const paid = sum(payments.map((payment) => payment.amount ?? 0));
  const refunded = refundedAmount(refunds);
  const total = state.money?.total;
  if (total !== undefined && total !== null && paid !== total) {
    return person(
      `payments add up to ${describeMoney(paid, currency)}, the order to ${describeMoney(total, currency)}`,
    );
  }
  if (refunded > paid) {
    return person(
      `refunds of ${describeMoney(refunded, currency)} exceed the payments of ${describeMoney(paid, currency)}`,
    );
  }
  if (paid === 0) {
    return options.creditFreeOrders
      ? owedOrNothing(credit, 'a free order, credited as configured', 'no_credit')
      : { kind: 'nothing', because: 'free', why: 'nothing was paid (a free order is not credited)' };
  }
  if (refunded === 0) return owedOrNothing(credit, `paid ${describeMoney(paid, currency)}`, 'no_credit');
  if (refunded === paid) {
    return {
      kind: 'nothing',
      because: 'refunded',
      why: `refunded in full (${describeMoney(paid, currency)})`,
    };
  }

  // A partial refund: by the lines it names, else in proportion when the order is one credit line.
  if (refunds.every((refund) => refund.namedCredit !== undefined)) {
    if (refunds.some((refund) => refund.namedCredit === null)) {
      return person('a refund names a credit line the catalog cannot price');
    }
    const named = sum(refunds.map((refund) => refund.namedCredit ?? 0));
    if (named > credit) return person('the refunded lines bought more credit than the order');
    return owedOrNothing(
      credit - named,
      `partly refunded: the refunded lines bought ${describeCredit(named)}`,
      'refunded',
      figures,
    );
  }
  if (refunds.some((refund) => refund.namedCredit !== undefined) || !state.money?.singleCreditLine) {
    return person(
      'a partial refund names no line of an order of several lines, so the credit it takes back is not known',
    );
  }
  const kept = (BigInt(credit) * BigInt(paid - refunded)) / BigInt(paid);
  if (kept * BigInt(paid) !== BigInt(credit) * BigInt(paid - refunded)) {
    return person('the credit kept in proportion to the money is not a whole number of thousandths');
  }
  return owedOrNothing(
    Number(kept),
    `partly refunded: ${describeMoney(refunded, currency)} of ${describeMoney(paid, currency)}, credit in proportion`,
    'refunded',
    figures,
  );
}

function describeCreditOrNone(credit: number | null): string {
  return credit === null ? 'unpriced' : describeCredit(credit);
}

/**
 * Credit owed, unless it is nothing (refunded away, or the order bought none) or too small for Yay to take, which only
 * a person can settle.
 */
function owedOrNothing(
  credit: number,
  why: string,
  because: 'refunded' | 'no_credit',
  figures?: () => string,
): CreditVerdict {
  if (credit === 0) return { kind: 'nothing', because, why: `${why}: no credit is owed` };
  if (credit < MIN_TRANSFER) {
    return {
      kind: 'person',
      reason: 'credit_undecided',
      why: `${why}: ${describeCredit(credit)} is owed, below Yay's smallest transfer${figures ? ` (${figures()})` : ''}`,
    };
  }
  return { kind: 'owed', credit, why };
}
