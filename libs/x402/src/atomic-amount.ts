// Money on the x402 wire: atomic token units as canonical decimal strings, bigint in memory.
import { InvalidAmountError } from './x402.errors';
import { UINT256_DECIMAL_DIGITS_MAX } from './x402.limits';

/** 2^256: the first value that does not fit a uint256 (EIP-3009 `value` is a uint256). */
export const UINT256_LIMIT = 2n ** 256n;

// ASCII digits only: `\d` under the `u` flag would still be ASCII, but spelling the range out keeps
// Arabic-Indic or full-width digits from ever looking acceptable to a reader. No sign, no exponent,
// no leading zero (a second spelling of the same amount would break exact string comparisons that
// the reference server performs on `amount`).
const CANONICAL_DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * Parses a canonical decimal uint256 (`"0"`, `"10000"`, at most 78 digits, below 2^256) into a
 * bigint. Rejects signs, exponents, hex, whitespace, leading zeros, non-ASCII digits, values of
 * 2^256 or more and anything that is not a string (a JSON number cannot carry money exactly).
 *
 * Throws `invalid_amount`.
 */
export function parseAtomicAmount(text: unknown, options?: { path?: string }): bigint {
  const path = options?.path ?? null;
  if (typeof text !== 'string') {
    throw new InvalidAmountError({ detail: `expected a decimal string, got ${typeof text}`, path });
  }
  // Length first, so the regular expression never runs over an attacker-sized string.
  if (text.length === 0 || text.length > UINT256_DECIMAL_DIGITS_MAX) {
    throw new InvalidAmountError({
      detail: `expected 1 to ${UINT256_DECIMAL_DIGITS_MAX} digits, got ${text.length} characters`,
      path,
    });
  }
  if (!CANONICAL_DECIMAL.test(text)) {
    throw new InvalidAmountError({
      detail: 'expected a canonical decimal (digits 0-9, no leading zero)',
      path,
    });
  }
  const value = BigInt(text);
  if (value >= UINT256_LIMIT) {
    throw new InvalidAmountError({ detail: 'does not fit in a uint256', path });
  }
  return value;
}

/**
 * Formats atomic units as the canonical decimal string `parseAtomicAmount` accepts.
 *
 * Throws `invalid_amount` for negative values and values of 2^256 or more.
 */
export function formatAtomicAmount(value: bigint): string {
  if (value < 0n || value >= UINT256_LIMIT) {
    throw new InvalidAmountError({ detail: 'outside the uint256 range' });
  }
  return value.toString(10);
}
