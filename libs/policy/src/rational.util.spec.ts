// Goal: decimal strings become exact rationals, and USD comparisons never round.
import { describe, expect, it } from 'vitest';

import { DecimalInvalidError } from './policy.errors';
import { compareRationals, parseDecimal, usdValueOfAtomic } from './rational.util';

describe('parseDecimal', () => {
  it.each([
    { scenario: 'integer', value: '12', numerator: 12n, denominator: 1n },
    { scenario: 'zero', value: '0', numerator: 0n, denominator: 1n },
    { scenario: 'cents', value: '0.05', numerator: 5n, denominator: 100n },
    { scenario: 'trailing zeros kept', value: '0.50', numerator: 50n, denominator: 100n },
    {
      scenario: 'eighteen fraction digits',
      value: '0.000000000000000001',
      numerator: 1n,
      denominator: 10n ** 18n,
    },
  ])('parses $scenario', ({ value, numerator, denominator }) => {
    expect(parseDecimal({ value })).toEqual({ numerator, denominator });
  });

  it.each([
    { scenario: 'empty', value: '' },
    { scenario: 'negative', value: '-1' },
    { scenario: 'plus sign', value: '+1' },
    { scenario: 'exponent', value: '1e3' },
    { scenario: 'leading dot', value: '.5' },
    { scenario: 'trailing dot', value: '1.' },
    { scenario: 'leading zeros', value: '00.5' },
    { scenario: 'grouping', value: '1,000' },
    { scenario: 'whitespace', value: ' 1' },
    { scenario: 'hex', value: '0x10' },
    { scenario: 'too many fraction digits', value: '0.0000000000000000001' },
    { scenario: 'too many integer digits', value: '1000000000000000000' },
  ])('refuses $scenario', ({ value }) => {
    expect(() => parseDecimal({ value })).toThrow(DecimalInvalidError);
  });
});

describe('compareRationals', () => {
  it.each([
    { scenario: 'equal with different scales', left: '0.5', right: '0.50', expected: 0 },
    { scenario: 'below by the smallest step', left: '0.049999999999999999', right: '0.05', expected: -1 },
    { scenario: 'above by the smallest step', left: '0.050000000000000001', right: '0.05', expected: 1 },
  ] as const)('$scenario', ({ left, right, expected }) => {
    expect(
      compareRationals({ left: parseDecimal({ value: left }), right: parseDecimal({ value: right }) }),
    ).toBe(expected);
  });

  it('refuses a zero denominator', () => {
    expect(() =>
      compareRationals({
        left: { numerator: 1n, denominator: 0n },
        right: { numerator: 1n, denominator: 1n },
      }),
    ).toThrow(RangeError);
  });
});

describe('usdValueOfAtomic', () => {
  it('values 50000 atomic USDC (6 decimals) at exactly 0.05 USD', () => {
    const value = usdValueOfAtomic({
      amountAtomic: 50_000n,
      usdPerUnit: { numerator: 1n, denominator: 1n },
      decimals: 6,
    });
    expect(compareRationals({ left: value, right: parseDecimal({ value: '0.05' }) })).toBe(0);
  });

  it('keeps a one-wei excess visible for an 18-decimal token at a fractional rate', () => {
    // 0.1 + 0.2 style rounding would hide this: 3 × 10^17 wei at 1/3 USD is exactly 0.1 USD.
    const rate = { numerator: 1n, denominator: 3n };
    const exact = usdValueOfAtomic({ amountAtomic: 3n * 10n ** 17n, usdPerUnit: rate, decimals: 18 });
    const above = usdValueOfAtomic({ amountAtomic: 3n * 10n ** 17n + 1n, usdPerUnit: rate, decimals: 18 });
    const limit = parseDecimal({ value: '0.1' });
    expect(compareRationals({ left: exact, right: limit })).toBe(0);
    expect(compareRationals({ left: above, right: limit })).toBe(1);
  });
});
