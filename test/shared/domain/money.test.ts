import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CreditVerdict,
  creditOwed,
  currencyDigits,
  describeMoney,
  type MoneyFact,
  type MoneyState,
  toMinorUnits,
} from '../../../shared/domain/money';

const AT = '2026-12-06T10:00:00.000Z';
const pay = (amount: number | null, id = 'pi_1', currency = 'GBP'): MoneyFact => ({
  type: 'payment',
  id,
  amount,
  currency,
  at: AT,
});
const refund = (amount: number | null, id: string, extra: Partial<MoneyFact> = {}): MoneyFact => ({
  type: 'refund',
  id,
  amount,
  currency: 'GBP',
  at: AT,
  ...extra,
});

/** A £10 order of 10.000 credit, one credit line and nothing else (hand-written figures). */
function state(facts: MoneyFact[], extra: Partial<MoneyState> = {}): MoneyState {
  return {
    credit: 10_000,
    money: { total: 1_000, currency: 'GBP', singleCreditLine: true },
    currency: 'GBP',
    facts,
    ...extra,
  };
}

const kindOf = (verdict: CreditVerdict) =>
  verdict.kind === 'owed'
    ? `owed ${verdict.credit}`
    : verdict.kind === 'nothing'
      ? `nothing ${verdict.because}`
      : verdict.kind;

describe('toMinorUnits', () => {
  it('reads decimal strings and JSON numbers exactly, in the minor units of the currency', () => {
    expect(toMinorUnits('10.00', 'GBP')).toBe(1_000);
    expect(toMinorUnits('-9.00', 'USD')).toBe(-900);
    expect(toMinorUnits(89.99, 'USD')).toBe(8_999);
    expect(toMinorUnits('1000', 'JPY')).toBe(1_000);
    expect(toMinorUnits('1.250', 'KWD')).toBe(1_250);
    // More decimals than the currency has, beyond trailing zeros: not an amount, never rounded.
    expect(toMinorUnits('10.005', 'GBP')).toBeNull();
    expect(toMinorUnits('10.500', 'GBP')).toBe(1_050);
    expect(toMinorUnits('ten', 'GBP')).toBeNull();
    expect(toMinorUnits('1e3', 'GBP')).toBeNull();
  });

  it('takes each currency its digits from ICU: two for pounds, none for yen, three for dinars', () => {
    expect([currencyDigits('GBP'), currencyDigits('JPY'), currencyDigits('BHD')]).toEqual([2, 0, 3]);
    expect(describeMoney(-905, 'GBP')).toBe('-9.05 GBP');
    expect(describeMoney(1_000, 'JPY')).toBe('1000 JPY');
  });
});

describe('creditOwed', () => {
  const cases: {
    name: string;
    state: MoneyState;
    verdict: string;
    options?: { creditFreeOrders: boolean };
  }[] = [
    { name: 'nothing paid yet', state: state([]), verdict: 'unpaid' },
    { name: 'paid in full', state: state([pay(1_000)]), verdict: 'owed 10000' },
    {
      name: 'refunded in full',
      state: state([pay(1_000), refund(1_000, 're_1')]),
      verdict: 'nothing refunded',
    },
    {
      name: 'refunded in full in two parts',
      state: state([pay(1_000), refund(400, 're_1'), refund(600, 're_2')]),
      verdict: 'nothing refunded',
    },
    {
      name: 'a £1 refund of a £10 one-line order keeps the credit in proportion',
      state: state([pay(1_000), refund(100, '726')]),
      verdict: 'owed 9000',
    },
    {
      name: 'a running refund total counts once, at its largest (Stripe amount_refunded)',
      state: state([
        pay(1_000),
        refund(100, 'ch_1@100', { runningTotalOf: 'ch_1' }),
        refund(300, 'ch_1@300', { runningTotalOf: 'ch_1' }),
      ]),
      verdict: 'owed 7000',
    },
    {
      name: 'a money-only partial refund of an order of several lines',
      state: state([pay(1_000), refund(100, 're_1')], {
        money: { total: 1_000, currency: 'GBP', singleCreditLine: false },
      }),
      verdict: 'person',
    },
    {
      name: 'a refund of the shipping line only (names no credit line)',
      state: state([pay(1_200), refund(200, 're_ship', { namedCredit: 0 })], {
        money: { total: 1_200, currency: 'GBP', singleCreditLine: false },
      }),
      verdict: 'owed 10000',
    },
    {
      name: 'a refund naming the credit lines it takes back',
      state: state([pay(1_000), refund(500, 're_1', { namedCredit: 4_000 })], {
        money: { total: 1_000, currency: 'GBP', singleCreditLine: false },
      }),
      verdict: 'owed 6000',
    },
    {
      name: 'a refund naming a credit line the catalog cannot price',
      state: state([pay(1_000), refund(500, 're_1', { namedCredit: null })]),
      verdict: 'person',
    },
    {
      name: 'a $0 payment, free orders not credited',
      state: state([pay(0)], { money: { total: 0, currency: 'GBP', singleCreditLine: true } }),
      verdict: 'nothing free',
    },
    {
      name: 'a $0 payment, free orders credited',
      state: state([pay(0)], { money: { total: 0, currency: 'GBP', singleCreditLine: true } }),
      verdict: 'owed 10000',
      options: { creditFreeOrders: true },
    },
    {
      name: 'a refund larger than the payment',
      state: state([pay(1_000), refund(1_500, 're_1')]),
      verdict: 'person',
    },
    {
      name: 'a refund in another currency',
      state: state([pay(1_000), { ...refund(100, 're_1'), currency: 'USD' }]),
      verdict: 'person',
    },
    { name: 'a negative refund', state: state([pay(1_000), refund(-100, 're_1')]), verdict: 'person' },
    {
      name: 'a refund of unreadable amount',
      state: state([pay(1_000), refund(null, 're_1')]),
      verdict: 'person',
    },
    {
      name: 'a dispute before credit',
      state: state([pay(1_000), { type: 'dispute', id: 'dp_1', amount: 1_000, currency: 'GBP', at: AT }]),
      verdict: 'person',
    },
    { name: 'payments that do not add up to the total', state: state([pay(500)]), verdict: 'person' },
    { name: 'only a failure', state: state([{ ...pay(1_000), type: 'failure' }]), verdict: 'failed' },
    {
      name: 'a failure, then another payment that stands',
      state: state([{ ...pay(1_000, 'pi_0'), type: 'failure' }, pay(1_000)]),
      verdict: 'owed 10000',
    },
    { name: 'a refund and no payment yet', state: state([refund(1_000, 're_1')]), verdict: 'person' },
    {
      name: 'paid, but the catalog prices nothing',
      state: state([pay(1_000)], { credit: null }),
      verdict: 'unpriced',
    },
    {
      name: 'paid for an amount nobody recorded (an input made by hand)',
      state: state([pay(null)]),
      verdict: 'owed 10000',
    },
    {
      name: 'a refund against a payment of unknown amount',
      state: state([pay(null), refund(100, 're_1')]),
      verdict: 'person',
    },
    {
      name: 'a proportion that is not a whole number of thousandths',
      state: state([pay(300), refund(100, 're_1')], {
        credit: 10_000,
        money: { total: 300, currency: 'GBP', singleCreditLine: true },
      }),
      verdict: 'person',
    },
    {
      name: "a person's decision on the facts in front of them",
      state: state([pay(1_000), refund(100, 're_1')], {
        money: { total: 1_000, currency: 'GBP', singleCreditLine: false },
        decision: { credit: 8_500, factCount: 2, at: AT },
      }),
      verdict: 'owed 8500',
    },
    {
      name: 'a decision made stale by a later refund',
      state: state([pay(1_000), refund(100, 're_1'), refund(100, 're_2')], {
        money: { total: 1_000, currency: 'GBP', singleCreditLine: false },
        decision: { credit: 8_500, factCount: 2, at: AT },
      }),
      verdict: 'person',
    },
  ];
  for (const { name, state: money, verdict, options } of cases) {
    it(`says ${verdict} for ${name}`, () => {
      expect(kindOf(creditOwed(money, options))).toBe(verdict);
    });
  }

  it('names the figures a person decides from', () => {
    const verdict = creditOwed(
      state([pay(1_000), refund(100, '726')], {
        money: { total: 1_000, currency: 'GBP', singleCreditLine: false },
      }),
    );
    expect(verdict.kind).toBe('person');
    expect(verdict.kind === 'person' && verdict.why).toContain(
      'payment pi_1 10.00 GBP; refund 726 1.00 GBP (money only)',
    );
  });

  const facts = fc.array(
    fc.record({
      kind: fc.constantFrom('payment', 'refund', 'dispute', 'failure'),
      id: fc.constantFrom('a', 'b', 'c', 'd'),
      amount: fc.option(fc.integer({ min: -100, max: 2_000 }), { nil: null }),
    }),
    { maxLength: 6 },
  );
  const toFacts = (drawn: { kind: string; id: string; amount: number | null }[]): MoneyFact[] =>
    drawn.map(({ kind, id, amount }) => ({
      type: kind as MoneyFact['type'],
      id,
      amount,
      currency: 'GBP',
      at: AT,
    }));

  it('never owes more than the credit bought, nor less than nothing, whatever the facts', () => {
    fc.assert(
      fc.property(facts, fc.boolean(), (drawn, single) => {
        const verdict = creditOwed(
          state(toFacts(drawn), { money: { total: null, currency: 'GBP', singleCreditLine: single } }),
        );
        if (verdict.kind === 'owed') {
          expect(verdict.credit).toBeGreaterThan(0);
          expect(verdict.credit).toBeLessThanOrEqual(10_000);
        }
      }),
    );
  });

  it('gives the same verdict whatever order the facts came in', () => {
    fc.assert(
      fc.property(facts, fc.boolean(), (drawn, single) => {
        const money = { total: null, currency: 'GBP', singleCreditLine: single };
        const forwards = creditOwed(state(toFacts(drawn), { money }));
        const backwards = creditOwed(state(toFacts([...drawn].reverse()), { money }));
        expect(kindOf(backwards)).toBe(kindOf(forwards));
      }),
    );
  });
});
