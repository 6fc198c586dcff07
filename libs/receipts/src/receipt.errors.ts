/**
 * Stable codes for every failure `@proco/receipts` reports, verification codes in the order the
 * checks run (the first failing check decides). Callers branch on `code`, never on message text.
 */
export const RECEIPT_ERROR_CODES = Object.freeze([
  /** Not a compact JWS, too long, or a header without `kid` or with another `typ`. */
  'receipt_malformed',
  /** The signature does not verify, or `alg` is not ES256/EdDSA (`none` and HMAC included). */
  'receipt_signature_invalid',
  /** No published key has the receipt's `kid` (never published, or retired and withdrawn). */
  'receipt_key_unknown',
  /** The key set could not be read: an invalid JWKS, or a remote resolver that failed. */
  'receipt_keys_unavailable',
  /** `iss` is not the issuer the verifier expects. */
  'receipt_issuer_mismatch',
  /** `exp` has passed, beyond the allowed clock tolerance. */
  'receipt_expired',
  /** The claims do not match `ReceiptClaimsSchema` (e.g. a number amount, a lifetime too long). */
  'receipt_claims_invalid',
  /**
   * A valid receipt for another payment than the verifier expects: another recipient, amount,
   * asset, network, resource origin or method. `claim` names the claim that differs.
   */
  'receipt_claim_mismatch',
  /** Signing only: the private key is not an ES256/EdDSA JWK matching its `kid`. */
  'receipt_signing_key_invalid',
] as const);

export type ReceiptErrorCode = (typeof RECEIPT_ERROR_CODES)[number];

/** One schema violation, by claim path; never the offending value. */
export type ReceiptClaimIssue = { readonly path: string; readonly message: string };

/** The claim, by path, that differs from the verifier's expectation in a `receipt_claim_mismatch`. */
export type ReceiptMismatchClaim =
  | 'payment.payTo'
  | 'payment.amount'
  | 'payment.asset'
  | 'payment.network'
  | 'payment.resourceUrl'
  | 'payment.method';

export type ReceiptErrorParams = {
  code: ReceiptErrorCode;
  /** A fixed sentence plus identifiers (kid, claim names); never key material. */
  message: string;
  kid?: string;
  issues?: readonly ReceiptClaimIssue[];
  /** For `receipt_claim_mismatch`: the claim that differs. */
  claim?: ReceiptMismatchClaim;
  cause?: unknown;
};

/**
 * The one error type `@proco/receipts` throws. Messages are fixed sentences plus identifiers
 * (`kid`, claim paths) and never contain key material or token bytes, so they are safe to log
 * and to return to a client. `cause` keeps the underlying jose or zod error.
 */
export class ReceiptError extends Error {
  override readonly name = 'ReceiptError';
  readonly code: ReceiptErrorCode;
  /** The `kid` involved, when one was read. */
  readonly kid: string | undefined;
  /** The schema violations, for `receipt_claims_invalid`. */
  readonly issues: readonly ReceiptClaimIssue[];
  /** The claim that differs from what the verifier expected, for `receipt_claim_mismatch`. */
  readonly claim: ReceiptMismatchClaim | undefined;

  constructor(params: ReceiptErrorParams) {
    super(params.message, params.cause === undefined ? undefined : { cause: params.cause });
    this.code = params.code;
    this.kid = params.kid;
    this.issues = params.issues ?? [];
    this.claim = params.claim;
  }
}

/** True when `error` is a `ReceiptError`, optionally with one of `codes`. */
export function isReceiptError(error: unknown, codes?: readonly ReceiptErrorCode[]): error is ReceiptError {
  return error instanceof ReceiptError && (codes === undefined || codes.includes(error.code));
}
