// Goal: amounts are accepted only as canonical decimal uint256 strings, and formatting round-trips.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { formatAtomicAmount, parseAtomicAmount, UINT256_LIMIT } from './atomic-amount';
import { InvalidAmountError } from './x402.errors';

const MAX_UINT256 = UINT256_LIMIT - 1n;

describe('parseAtomicAmount', () => {
  it.each([
    ['zero', '0', 0n],
    ['one USDC cent (6 decimals)', '10000', 10_000n],
    ['one token with 18 decimals', '1000000000000000000', 10n ** 18n],
    ['the largest uint256', MAX_UINT256.toString(), MAX_UINT256],
  ])('accepts %s', (_scenario, text, expected) => {
    expect(parseAtomicAmount(text)).toBe(expected);
  });

  it.each([
    ['an exponent', '1e18'],
    ['a negative sign', '-1'],
    ['a plus sign', '+1'],
    ['hex', '0x10'],
    ['a leading space', ' 1'],
    ['a trailing newline', '1\n'],
    ['a leading zero', '01'],
    ['a decimal point', '1.0'],
    ['the empty string', ''],
    ['Arabic-Indic digits', '١٢٣'],
    ['full-width digits', '１２３'],
    ['2^256', UINT256_LIMIT.toString()],
    ['79 digits', '1'.repeat(79)],
    ['underscores', '1_000'],
    ['a JSON number', 10000],
    ['a bigint', 10000n],
    ['null', null],
    ['undefined', undefined],
  ])('rejects %s with invalid_amount', (_scenario, input) => {
    expect(() => parseAtomicAmount(input)).toThrow(InvalidAmountError);
    try {
      parseAtomicAmount(input);
    } catch (error) {
      expect((error as InvalidAmountError).code).toBe('invalid_amount');
    }
  });

  it('reports the path it was given', () => {
    expect(() => parseAtomicAmount('01', { path: '$.accepts[0].amount' })).toThrow(
      /\$\.accepts\[0\]\.amount/,
    );
  });

  it('accepts exactly the canonical decimals below 2^256 (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_UINT256 }), (value) => {
        expect(parseAtomicAmount(value.toString(10))).toBe(value);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 90 }), (text) => {
        const canonical = /^(?:0|[1-9][0-9]*)$/.test(text) && BigInt(text) < UINT256_LIMIT;
        let accepted: boolean;
        try {
          accepted = parseAtomicAmount(text) === BigInt(text);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidAmountError);
          accepted = false;
        }
        expect(accepted).toBe(canonical);
      }),
    );
  });
});

describe('formatAtomicAmount', () => {
  it('round-trips with parseAtomicAmount (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_UINT256 }), (value) => {
        expect(parseAtomicAmount(formatAtomicAmount(value))).toBe(value);
      }),
    );
  });

  it.each([-1n, UINT256_LIMIT])('rejects %s', (value) => {
    expect(() => formatAtomicAmount(value)).toThrow(InvalidAmountError);
  });
});
