import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeCredit,
  formatCredit,
  MIN_TRANSFER,
  parseCredit,
  parseSignedCredit,
  parseTransferAmount,
} from '../../../shared/domain/credit';
import { OrderInvalid } from '../../../shared/errors';

describe('parseCredit', () => {
  it.each([
    ['10.000', 10_000],
    ['10', 10_000],
    ['0.5', 500],
    ['0.01', 10],
    ['  7.25 ', 7_250],
    ['0010.5', 10_500],
    ['0', 0],
    [10.5, 10_500],
    [10, 10_000],
    [0.001, 1],
    [123456789.123, 123_456_789_123],
  ])('reads %j as %i thousandths', (value, expected) => {
    expect(parseCredit(value)).toBe(expected);
  });

  it.each([
    ['-1', /"-1" is negative/],
    [-5, /"-5" is negative/],
    ['-0.001', /negative/],
    [Number.NaN, /NaN is not a finite number/],
    [Number.POSITIVE_INFINITY, /Infinity is not a finite number/],
    ['10.0001', /"10\.0001" has more than three decimals/],
    [0.0005, /"0\.0005" has more than three decimals/],
    [1e-7, /"1e-7" has more than three decimals/],
    [0.1 + 0.2, /"0\.30000000000000004" has more than three decimals/],
    [1e21, /"1e\+21" is too large/],
    ['9007199254740.992', /too large/],
    ['ten', /"ten" is not a decimal number/],
    ['', /"" is not a decimal number/],
    ['1e3', /"1e3" is not a decimal number/],
    ['10.', /"10\." is not a decimal number/],
    ['+10', /"\+10" is not a decimal number/],
    ['1,000', /"1,000" is not a decimal number/],
    [null, /null is not a number or string/],
    [undefined, /undefined is not a number or string/],
    [{ amount: 1 }, /\{"amount":1\} is not a number or string/],
  ])('throws OrderInvalid naming %j', (value, message) => {
    let caught: unknown;
    try {
      parseCredit(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OrderInvalid);
    expect((caught as Error).message).toMatch(message);
  });

  it('round-trips every formatted amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (millis) => {
        expect(parseCredit(formatCredit(millis))).toBe(millis);
      }),
    );
  });
});

describe('parseTransferAmount', () => {
  it('accepts the 0.010 minimum', () => {
    expect(parseTransferAmount('0.01')).toBe(MIN_TRANSFER);
  });

  it('throws OrderInvalid naming the amount when it is below 0.010', () => {
    expect(() => parseTransferAmount('0.009')).toThrow(OrderInvalid);
    expect(() => parseTransferAmount('0.009')).toThrow(/"0\.009" is below the minimum transfer of 0\.010/);
    expect(() => parseTransferAmount(0)).toThrow(/"0\.000" is below/);
  });

  it('keeps the parse errors of parseCredit', () => {
    expect(() => parseTransferAmount('-10')).toThrow(/negative/);
  });
});

describe('formatCredit', () => {
  it.each([
    [10_000, '10.000'],
    [10_500, '10.500'],
    [1, '0.001'],
    [0, '0.000'],
    [10, '0.010'],
    [123_456_789_123, '123456789.123'],
  ])('formats %i as %s', (millis, text) => {
    expect(formatCredit(millis)).toBe(text);
  });

  it.each([[-1], [1.5], [Number.NaN], [Number.MAX_SAFE_INTEGER + 1]])(
    'throws OrderInvalid naming %d when it is not non-negative integer millis',
    (millis) => {
      expect(() => formatCredit(millis)).toThrow(OrderInvalid);
      expect(() => formatCredit(millis)).toThrow(String(millis));
    },
  );
});

describe('describeCredit', () => {
  it.each([
    [10_000, '10.000'],
    [-2_500, '-2.500'],
    [0, '0.000'],
  ])('formats the balance %i as %s for people, negatives included', (millis, text) => {
    expect(describeCredit(millis)).toBe(text);
  });
});

describe('parseSignedCredit', () => {
  it.each([
    ['-0.090', -90],
    [-0.09, -90],
    ['  -2.5 ', -2_500],
    ['-0', 0],
    ['10.000', 10_000],
    [7, 7_000],
  ])('reads the balance %s as %i thousandths, negatives included', (value, millis) => {
    expect(parseSignedCredit(value)).toBe(millis);
  });

  it.each([
    ['--1', /not a decimal/],
    ['- 1', /not a decimal/],
    ['-1.0001', /more than three decimals/],
    [-0.0001, /more than three decimals/],
    ['-', /not a decimal/],
  ])('refuses %s naming why', (value, message) => {
    expect(() => parseSignedCredit(value)).toThrow(OrderInvalid);
    expect(() => parseSignedCredit(value)).toThrow(message);
  });

  it('reads back every balance describeCredit writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (millis) => {
        expect(parseSignedCredit(describeCredit(millis))).toBe(millis);
      }),
    );
  });
});
