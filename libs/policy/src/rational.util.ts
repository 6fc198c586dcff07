import { DecimalInvalidError } from './policy.errors';
import { USD_FRACTION_DIGITS_MAX, USD_INTEGER_DIGITS_MAX } from './policy.limits';

/** An exact non-negative fraction; `denominator` is always positive. Used for USD values and rates. */
export interface Rational {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

// Plain decimals only: no sign, exponent, grouping, or leading zeros ("0.5" yes, ".5", "00.5",
// "1e3", "+1" no), so each value has one spelling and parsing never goes through a float.
const DECIMAL_PATTERN = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/** Parameters of `parseDecimal`. */
export interface ParseDecimalParams {
  readonly value: string;
  readonly integerDigitsMax?: number;
  readonly fractionDigitsMax?: number;
}

/**
 * Parses a plain non-negative decimal string ("0.05", "12", "1.000001") into an exact rational,
 * without floats. Bounds default to the USD limits. Throws `DecimalInvalidError` (`decimal_invalid`).
 */
export function parseDecimal({
  value,
  integerDigitsMax = USD_INTEGER_DIGITS_MAX,
  fractionDigitsMax = USD_FRACTION_DIGITS_MAX,
}: ParseDecimalParams): Rational {
  const match = DECIMAL_PATTERN.exec(value);
  if (match === null) {
    throw new DecimalInvalidError({ value, detail: 'expected digits with an optional fraction, like 0.05' });
  }
  const integerPart = match[1] ?? '';
  const fractionPart = match[2] ?? '';
  if (integerPart.length > integerDigitsMax) {
    throw new DecimalInvalidError({ value, detail: `more than ${integerDigitsMax} integer digits` });
  }
  if (fractionPart.length > fractionDigitsMax) {
    throw new DecimalInvalidError({ value, detail: `more than ${fractionDigitsMax} fraction digits` });
  }
  return { numerator: BigInt(integerPart + fractionPart), denominator: 10n ** BigInt(fractionPart.length) };
}

/** Parameters of `compareRationals`. */
export interface CompareRationalsParams {
  readonly left: Rational;
  readonly right: Rational;
}

/** -1, 0 or 1 as `left` is below, equal to or above `right`, exactly (cross-multiplication). */
export function compareRationals({ left, right }: CompareRationalsParams): -1 | 0 | 1 {
  assertPositiveDenominator(left);
  assertPositiveDenominator(right);
  const leftScaled = left.numerator * right.denominator;
  const rightScaled = right.numerator * left.denominator;
  if (leftScaled < rightScaled) return -1;
  return leftScaled > rightScaled ? 1 : 0;
}

/** Parameters of `usdValueOfAtomic`. */
export interface UsdValueOfAtomicParams {
  readonly amountAtomic: bigint;
  /** USD per whole token (10^decimals atomic units). */
  readonly usdPerUnit: Rational;
  readonly decimals: number;
}

/** The exact USD value of an atomic amount: amountAtomic × usdPerUnit / 10^decimals. */
export function usdValueOfAtomic({ amountAtomic, usdPerUnit, decimals }: UsdValueOfAtomicParams): Rational {
  assertPositiveDenominator(usdPerUnit);
  return {
    numerator: amountAtomic * usdPerUnit.numerator,
    denominator: usdPerUnit.denominator * 10n ** BigInt(decimals),
  };
}

function assertPositiveDenominator(value: Rational): void {
  // A zero or negative denominator would flip or break every comparison; it is a caller bug.
  if (value.denominator <= 0n) throw new RangeError('Rational denominator must be positive');
}
