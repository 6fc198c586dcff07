import { calculateJwkThumbprint, type CryptoKey, importJWK, type JWK, SignJWT } from 'jose';

import {
  RECEIPT_LIFETIME_DEFAULT_SECONDS,
  RECEIPT_LIFETIME_MAX_SECONDS,
  RECEIPT_TYPE,
  type ReceiptClaims,
  ReceiptClaimsSchema,
  type UnsignedReceiptClaims,
} from './receipt-claims';
import { ReceiptError } from './receipt.errors';
import { isReceiptAlgorithm, type ReceiptAlgorithm, type ReceiptSigningKey } from './receipt-signing-key';
import { claimIssuesOf } from './receipt-claim-issues';

export type SignReceiptClaimsParams = {
  claims: UnsignedReceiptClaims;
  /** The signing time; `iat` is its whole second, `exp` is `iat + lifetimeSeconds`. */
  now: Date;
  /** 1 to `RECEIPT_LIFETIME_MAX_SECONDS`; `RECEIPT_LIFETIME_DEFAULT_SECONDS` when absent. */
  lifetimeSeconds?: number;
};

/**
 * A signing capability for one receipt key: the private key lives in a non-extractable
 * CryptoKey inside a closure. `JSON.stringify`, `util.inspect` and `String()` render the kid only.
 */
export type ReceiptSigner = {
  readonly kid: string;
  readonly algorithm: ReceiptAlgorithm;
  /** Signs the claims; throws `receipt_claims_invalid` when they fail the schema. */
  sign(params: SignReceiptClaimsParams): Promise<string>;
};

export type CreateReceiptSignerParams = Pick<ReceiptSigningKey, 'kid' | 'algorithm' | 'privateJwk'>;
export type CreateReceiptSignerResult = ReceiptSigner;

const INSPECT_CUSTOM = Symbol.for('nodejs.util.inspect.custom');

/**
 * Imports a private JWK as a non-extractable signing key, after checking that `kid` is the
 * thumbprint of its public part (a row whose key and kid disagree would sign receipts no JWKS
 * entry verifies).
 *
 * Throws `receipt_signing_key_invalid`.
 */
export async function createReceiptSigner(
  params: CreateReceiptSignerParams,
): Promise<CreateReceiptSignerResult> {
  const { kid, algorithm, privateJwk } = params;
  if (!isReceiptAlgorithm(algorithm)) {
    throw new ReceiptError({
      code: 'receipt_signing_key_invalid',
      message: `Key ${kid} names an algorithm receipts do not use.`,
      kid,
    });
  }
  const privateKey = await importPrivateKey({ kid, algorithm, privateJwk });
  const describe = (): string => `ReceiptSigner(${kid})`;
  const signer: ReceiptSigner = {
    kid,
    algorithm,
    sign: (signParams) => signWith({ privateKey, kid, algorithm, ...signParams }),
  };
  // Non-enumerable, so a copy of the signer does not carry them; frozen, so no caller can swap
  // `sign` for one that records what it signs.
  Object.defineProperties(signer, {
    toJSON: { value: () => ({ type: 'receipt_signer', kid, algorithm }), enumerable: false },
    toString: { value: describe, enumerable: false },
    [INSPECT_CUSTOM]: { value: describe, enumerable: false },
  });
  return Object.freeze(signer);
}

export type SignReceiptParams = SignReceiptClaimsParams & {
  key: Pick<ReceiptSigningKey, 'kid' | 'algorithm' | 'privateJwk'>;
};

export type SignReceiptResult = string;

/**
 * Signs a receipt: a compact JWS with headers `alg`, `kid` and `typ: 'proco-receipt+jwt'`.
 * Imports the key on every call; a long-lived caller should keep a `createReceiptSigner` instead.
 *
 * Throws `receipt_claims_invalid` or `receipt_signing_key_invalid`.
 */
export async function signReceipt(params: SignReceiptParams): Promise<SignReceiptResult> {
  const { key, ...signParams } = params;
  const signer = await createReceiptSigner(key);
  return signer.sign(signParams);
}

async function importPrivateKey(params: {
  kid: string;
  algorithm: ReceiptAlgorithm;
  privateJwk: JWK;
}): Promise<CryptoKey> {
  const { kid, algorithm, privateJwk } = params;
  const invalid = (detail: string, cause?: unknown): ReceiptError =>
    new ReceiptError({
      code: 'receipt_signing_key_invalid',
      // The message names the kid only: the JWK and jose's error may describe the key itself.
      message: `Key ${kid} cannot sign receipts: ${detail}.`,
      kid,
      ...(cause === undefined ? {} : { cause }),
    });
  if (typeof privateJwk.d !== 'string') throw invalid('it has no private part');
  let thumbprint: string;
  try {
    thumbprint = await calculateJwkThumbprint(privateJwk, 'sha256');
  } catch {
    throw invalid('it is not a valid JWK');
  }
  if (thumbprint !== kid) throw invalid('its public part does not match the kid');
  try {
    const imported = await importJWK(privateJwk, algorithm, { extractable: false });
    // A JWK with `d` always imports as a CryptoKey; a Uint8Array would mean a symmetric key.
    if (imported instanceof Uint8Array) throw invalid('it is not an asymmetric key');
    return imported;
  } catch (error) {
    if (error instanceof ReceiptError) throw error;
    // jose's import errors describe the JWK's shape, not its bytes, but drop them anyway: the
    // cause chain of a key error is the one place key material could slip into a log.
    throw invalid(`it does not import as ${algorithm}`);
  }
}

async function signWith(
  params: SignReceiptClaimsParams & { privateKey: CryptoKey; kid: string; algorithm: ReceiptAlgorithm },
): Promise<string> {
  const { privateKey, kid, algorithm, claims, now } = params;
  const lifetimeSeconds = params.lifetimeSeconds ?? RECEIPT_LIFETIME_DEFAULT_SECONDS;
  if (
    !Number.isInteger(lifetimeSeconds) ||
    lifetimeSeconds < 1 ||
    lifetimeSeconds > RECEIPT_LIFETIME_MAX_SECONDS
  ) {
    throw new ReceiptError({
      code: 'receipt_claims_invalid',
      message: `The lifetime must be a whole number of seconds from 1 to ${RECEIPT_LIFETIME_MAX_SECONDS}.`,
      issues: [{ path: 'exp', message: 'lifetime out of bounds' }],
    });
  }
  const iat = Math.floor(now.getTime() / 1_000);
  const parsed = ReceiptClaimsSchema.safeParse({ ...claims, iat, exp: iat + lifetimeSeconds });
  if (!parsed.success) {
    throw new ReceiptError({
      code: 'receipt_claims_invalid',
      message: 'The receipt claims do not match the receipt schema.',
      issues: claimIssuesOf(parsed.error),
      cause: parsed.error,
    });
  }
  // Only what the schema accepted is signed, so a verifier reads back exactly these claims.
  const signed: ReceiptClaims = parsed.data;
  return new SignJWT(signed).setProtectedHeader({ alg: algorithm, kid, typ: RECEIPT_TYPE }).sign(privateKey);
}
