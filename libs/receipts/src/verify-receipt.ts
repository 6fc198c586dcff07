import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  type JSONWebKeySet,
  jwtVerify,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose';

import { RECEIPT_TYPE, type ReceiptClaims, ReceiptClaimsSchema } from './receipt-claims';
import { claimIssuesOf } from './receipt-claim-issues';
import {
  checkExpectations,
  type ExpectedReceiptPayment,
  normalizeExpectations,
} from './receipt-expectations';
import { ReceiptError } from './receipt.errors';
import { RECEIPT_ALGORITHMS, type ReceiptAlgorithm } from './receipt-signing-key';

/** A receipt is a few hundred bytes; anything far longer is refused before parsing. */
export const RECEIPT_TOKEN_LENGTH_MAX_CHARS = 8_192;
/** The most clock skew a verifier may allow; the JWKS publishing margin covers it. */
export const RECEIPT_CLOCK_TOLERANCE_MAX_SECONDS = 300;

export type VerifyReceiptParams = {
  token: string;
  /** The issuer's JWKS (`GET /.well-known/jwks.json`), or a jose key resolver such as `createRemoteJWKSet`. */
  keys: JSONWebKeySet | JWTVerifyGetKey;
  /** The expected `iss`: Proco's public URL. */
  issuer: string;
  now: Date;
  /** Allowed clock skew for `exp` and `iat`, 0 to 300 seconds; 0 when absent. */
  clockToleranceSeconds?: number;
  /**
   * What the payment must be for the receipt to count: the seller's `payTo`, the `amount` it
   * asked, the `asset` and `network`, the origin it serves (`resourceOrigin`) and the `method`.
   * Each member is compared only when present; a seller should pass every one it knows, since a
   * receipt that verifies without them may attest a payment to someone else.
   */
  expected?: ExpectedReceiptPayment;
};

export type VerifyReceiptResult = {
  readonly claims: ReceiptClaims;
  readonly kid: string;
  readonly algorithm: ReceiptAlgorithm;
};

/** What `verifyReceipt` can throw. */
export type VerifyReceiptErrorType = ReceiptError;

/**
 * Verifies a receipt offline: the header (`typ`, `kid`, `alg` in ES256/EdDSA only), the signature
 * against the key set, the issuer, the expiry, the claims schema and then each `expected` value
 * given. Uses only jose and zod, so it runs wherever WebCrypto does (Node, browsers, edge
 * runtimes). Receipts carry no `aud` claim: the payment's `payTo` and resource are what bind a
 * receipt to its seller, so pass them in `expected`.
 *
 * Throws `ReceiptError` with `receipt_malformed`, `receipt_signature_invalid`,
 * `receipt_key_unknown`, `receipt_keys_unavailable`, `receipt_issuer_mismatch`,
 * `receipt_expired`, `receipt_claims_invalid` or `receipt_claim_mismatch` (with `claim`); a
 * `RangeError` for a caller error (a clock tolerance out of bounds, a malformed `expected` value).
 */
export async function verifyReceipt(params: VerifyReceiptParams): Promise<VerifyReceiptResult> {
  const { token, issuer, now } = params;
  const clockToleranceSeconds = params.clockToleranceSeconds ?? 0;
  if (
    !Number.isInteger(clockToleranceSeconds) ||
    clockToleranceSeconds < 0 ||
    clockToleranceSeconds > RECEIPT_CLOCK_TOLERANCE_MAX_SECONDS
  ) {
    // A caller bug, not a bad receipt; a RangeError keeps it out of the receipt codes.
    throw new RangeError(`clockToleranceSeconds must be 0 to ${RECEIPT_CLOCK_TOLERANCE_MAX_SECONDS}.`);
  }
  const expected = normalizeExpectations(params.expected);
  const header = readHeader(token);
  const getKey = resolverOf(params.keys);
  let payload: unknown;
  try {
    const verified = await jwtVerify(token, getKey, {
      algorithms: [...RECEIPT_ALGORITHMS],
      issuer,
      typ: RECEIPT_TYPE,
      currentDate: now,
      clockTolerance: clockToleranceSeconds,
      requiredClaims: ['iss', 'sub', 'jti', 'iat', 'exp'],
    });
    payload = verified.payload;
  } catch (error) {
    throw receiptErrorOf({ error, kid: header.kid });
  }

  const parsed = ReceiptClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    throw new ReceiptError({
      code: 'receipt_claims_invalid',
      message: `Receipt ${header.kid} has claims that do not match the receipt schema.`,
      kid: header.kid,
      issues: claimIssuesOf(parsed.error),
      cause: parsed.error,
    });
  }
  // jose checks `iat` only against a maximum age; a receipt from the future means a broken clock
  // or a forged time, and either way it must not extend the receipt's life.
  const nowSeconds = Math.floor(now.getTime() / 1_000);
  if (parsed.data.iat > nowSeconds + clockToleranceSeconds) {
    throw new ReceiptError({
      code: 'receipt_claims_invalid',
      message: `Receipt ${header.kid} was issued in the future.`,
      kid: header.kid,
      issues: [{ path: 'iat', message: 'is in the future' }],
    });
  }
  checkExpectations({ claims: parsed.data, expected, kid: header.kid });
  return { claims: parsed.data, kid: header.kid, algorithm: header.alg };
}

/** The header checks that need no key: size, shape, `typ`, `kid` and an allowed `alg`. */
function readHeader(token: unknown): { kid: string; alg: ReceiptAlgorithm } {
  const malformed = (detail: string, cause?: unknown): ReceiptError =>
    new ReceiptError({
      code: 'receipt_malformed',
      message: `The receipt is malformed: ${detail}.`,
      ...(cause === undefined ? {} : { cause }),
    });
  if (typeof token !== 'string' || token.length === 0) throw malformed('it is not a non-empty string');
  if (token.length > RECEIPT_TOKEN_LENGTH_MAX_CHARS) {
    throw malformed(`it is longer than ${RECEIPT_TOKEN_LENGTH_MAX_CHARS} characters`);
  }
  if (token.split('.').length !== 3) throw malformed('it is not a compact JWS');
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch (error) {
    throw malformed('its header is not base64url JSON', error);
  }
  if (header.typ !== RECEIPT_TYPE) throw malformed(`its typ is not ${RECEIPT_TYPE}`);
  const kid = header.kid;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128) throw malformed('it has no valid kid');
  const alg = header.alg;
  if (!(RECEIPT_ALGORITHMS as readonly unknown[]).includes(alg)) {
    throw new ReceiptError({
      code: 'receipt_signature_invalid',
      message: `Receipt ${kid} is not signed with ${RECEIPT_ALGORITHMS.join(' or ')}.`,
      kid,
    });
  }
  return { kid, alg: alg as ReceiptAlgorithm };
}

function resolverOf(keys: JSONWebKeySet | JWTVerifyGetKey): JWTVerifyGetKey {
  if (typeof keys === 'function') return keys;
  try {
    return createLocalJWKSet(keys);
  } catch (error) {
    throw new ReceiptError({
      code: 'receipt_keys_unavailable',
      message: 'The key set is not a valid JWKS.',
      cause: error,
    });
  }
}

/** Maps jose's failures onto receipt codes; anything unrecognised comes from the key resolver. */
function receiptErrorOf(params: { error: unknown; kid: string }): ReceiptError {
  const { error, kid } = params;
  const fail = (code: ReceiptError['code'], message: string): ReceiptError =>
    new ReceiptError({ code, message, kid, cause: error });
  if (error instanceof ReceiptError) return error;
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed) {
    return fail('receipt_signature_invalid', `The signature of receipt ${kid} does not verify.`);
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return fail('receipt_key_unknown', `No single published key matches kid ${kid}.`);
  }
  if (error instanceof errors.JWTExpired) return fail('receipt_expired', `Receipt ${kid} has expired.`);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss')
      return fail('receipt_issuer_mismatch', `Receipt ${kid} is from another issuer.`);
    if (error.claim === 'typ') return fail('receipt_malformed', `Receipt ${kid} has the wrong typ.`);
    return new ReceiptError({
      code: 'receipt_claims_invalid',
      message: `Receipt ${kid} has an invalid ${error.claim} claim.`,
      kid,
      issues: [{ path: error.claim, message: error.reason }],
      cause: error,
    });
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return fail('receipt_malformed', `Receipt ${kid} is not a valid JWT.`);
  }
  return fail('receipt_keys_unavailable', `The key for receipt ${kid} could not be resolved.`);
}
