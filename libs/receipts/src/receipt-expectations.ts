import type { ReceiptClaims, ReceiptPayment } from './receipt-claims';
import { ReceiptError, type ReceiptMismatchClaim } from './receipt.errors';

/**
 * What a seller requires of the payment a receipt attests, each compared only when present.
 * Without these, a valid receipt proves that Proco signed *some* payment, not that it pays this
 * seller what it asked for this resource.
 */
export type ExpectedReceiptPayment = {
  /** The seller's receiving address; compared case-insensitively (EIP-55 checksums differ in case only). */
  payTo?: string;
  /** Atomic units, as a canonical decimal string or a bigint; compared exactly, never as a float. */
  amount?: string | bigint;
  /** The token contract address; compared case-insensitively. */
  asset?: string;
  /** The CAIP-2 network, e.g. `eip155:8453`; compared exactly. */
  network?: string;
  /**
   * The origin the seller serves from, e.g. `https://api.seller.example` (a trailing `/` is allowed,
   * a path is not). The receipt's `resourceUrl` must have the same scheme, host and port; its path
   * and query are not compared.
   */
  resourceOrigin?: string;
  /** The HTTP method; compared exactly (methods are case-sensitive). */
  method?: ReceiptPayment['method'];
};

// uint256 has at most 78 decimal digits; a longer expected amount cannot match any receipt.
const EXPECTED_AMOUNT_PATTERN = /^(0|[1-9][0-9]{0,77})$/;
const EXPECTED_ADDRESS_PATTERN = /^0x[0-9a-fA-F]{40}$/;

/** The expectations in a form that compares directly; built before any cryptography runs. */
export type NormalizedExpectations = {
  readonly payTo: string | undefined;
  readonly amount: bigint | undefined;
  readonly asset: string | undefined;
  readonly network: string | undefined;
  readonly resourceOrigin: string | undefined;
  readonly method: string | undefined;
};

/**
 * Internal: checks and normalizes what the caller expects. A malformed expectation is a caller
 * bug, not a bad receipt, so it is a `RangeError` (as an out-of-range clock tolerance is), thrown
 * before the token is looked at. An absent or `undefined` member is not checked.
 */
export function normalizeExpectations(expected: ExpectedReceiptPayment | undefined): NormalizedExpectations {
  const given = expected ?? {};
  return {
    payTo: addressOf('payTo', given.payTo),
    amount: amountOf(given.amount),
    asset: addressOf('asset', given.asset),
    network: nonEmptyStringOf('network', given.network),
    resourceOrigin: originOf(given.resourceOrigin),
    method: nonEmptyStringOf('method', given.method),
  };
}

/**
 * Internal: compares verified claims with the normalized expectations, in a fixed order (payTo,
 * amount, asset, network, resource origin, method); the first mismatch decides.
 *
 * Throws `receipt_claim_mismatch` naming the claim; the message holds no claim or expected value.
 */
export function checkExpectations(params: {
  claims: ReceiptClaims;
  expected: NormalizedExpectations;
  kid: string;
}): void {
  const { claims, expected, kid } = params;
  const { payment } = claims;
  const mismatch = (claim: ReceiptMismatchClaim, what: string): ReceiptError =>
    new ReceiptError({
      code: 'receipt_claim_mismatch',
      message: `Receipt ${kid} attests a payment with another ${what} than expected (${claim}).`,
      kid,
      claim,
    });
  if (expected.payTo !== undefined && payment.payTo.toLowerCase() !== expected.payTo) {
    throw mismatch('payment.payTo', 'recipient');
  }
  // The claim passed the schema, so it is a canonical decimal string and BigInt cannot throw.
  if (expected.amount !== undefined && BigInt(payment.amount) !== expected.amount) {
    throw mismatch('payment.amount', 'amount');
  }
  if (expected.asset !== undefined && payment.asset.toLowerCase() !== expected.asset) {
    throw mismatch('payment.asset', 'asset');
  }
  if (expected.network !== undefined && payment.network !== expected.network) {
    throw mismatch('payment.network', 'network');
  }
  if (
    expected.resourceOrigin !== undefined &&
    new URL(payment.resourceUrl).origin !== expected.resourceOrigin
  ) {
    throw mismatch('payment.resourceUrl', 'resource origin');
  }
  if (expected.method !== undefined && payment.method !== expected.method) {
    throw mismatch('payment.method', 'method');
  }
}

function addressOf(name: 'payTo' | 'asset', value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !EXPECTED_ADDRESS_PATTERN.test(value)) {
    throw new RangeError(`expected.${name} must be a 0x-prefixed 20-byte address.`);
  }
  return value.toLowerCase();
}

function amountOf(value: unknown): bigint | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'bigint') {
    if (value < 0n) throw new RangeError('expected.amount must not be negative.');
    return value;
  }
  // A JS number is refused outright: money never travels as one, and above 2^53 it is inexact.
  if (typeof value !== 'string' || !EXPECTED_AMOUNT_PATTERN.test(value)) {
    throw new RangeError('expected.amount must be a bigint or a canonical decimal string of atomic units.');
  }
  return BigInt(value);
}

function nonEmptyStringOf(name: 'network' | 'method', value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new RangeError(`expected.${name} must be a non-empty string.`);
  }
  return value;
}

/** The serialized origin of an expected `http(s)` origin, refusing anything with a path or more. */
function originOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const invalid = (): RangeError =>
    new RangeError('expected.resourceOrigin must be an http(s) origin: scheme, host and optional port only.');
  if (typeof value !== 'string' || !URL.canParse(value)) throw invalid();
  const url = new URL(value);
  // A path, query or credentials would suggest they are compared; they are not, so refuse them.
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== '' ||
    !/^https?:\/\/[^/?#]+\/?$/i.test(value)
  ) {
    throw invalid();
  }
  return url.origin;
}
