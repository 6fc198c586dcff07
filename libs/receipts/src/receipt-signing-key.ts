import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

import { ReceiptError } from './receipt.errors';

/** The JWS algorithms receipts are signed with; nothing else is ever accepted when verifying. */
export const RECEIPT_ALGORITHMS = Object.freeze(['ES256', 'EdDSA'] as const);

export type ReceiptAlgorithm = (typeof RECEIPT_ALGORITHMS)[number];

/** The public members each key type may publish (RFC 7517, 7518, 8037); `d` is never among them. */
const PUBLIC_MEMBERS_BY_KEY_TYPE: Readonly<Record<string, readonly string[]>> = Object.freeze({
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
});

/** The key type and curve each algorithm must use. */
const CURVE_BY_ALGORITHM: Readonly<Record<ReceiptAlgorithm, { kty: string; crv: string }>> = Object.freeze({
  ES256: { kty: 'EC', crv: 'P-256' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
});

/** A public JWK as published in the JWKS: key members plus `kid`, `alg` and `use: 'sig'`. */
export type ReceiptPublicJwk = JWK & { kid: string; alg: ReceiptAlgorithm; use: 'sig' };

/**
 * A receipt signing key pair. `privateJwk` is plaintext key material: seal it (`@proco/keys`
 * `sealSecret`) before it goes anywhere, and never log or return it.
 */
export type ReceiptSigningKey = {
  /** RFC 7638 SHA-256 thumbprint of the public key, base64url (43 characters). */
  readonly kid: string;
  readonly algorithm: ReceiptAlgorithm;
  readonly publicJwk: ReceiptPublicJwk;
  readonly privateJwk: JWK;
};

export type GenerateReceiptSigningKeyParams = { algorithm: ReceiptAlgorithm };
export type GenerateReceiptSigningKeyResult = ReceiptSigningKey;

/**
 * Generates a receipt signing key with WebCrypto (P-256 for ES256, Ed25519 for EdDSA) and names
 * it by its RFC 7638 thumbprint, so the `kid` is derived from the key and cannot collide with
 * another key's.
 */
export async function generateReceiptSigningKey(
  params: GenerateReceiptSigningKeyParams,
): Promise<GenerateReceiptSigningKeyResult> {
  const { algorithm } = params;
  // The private key must be extractable once, to be sealed for storage; the signer that uses it
  // later imports it again as non-extractable.
  const pair = await generateKeyPair(algorithm, { extractable: true });
  const [publicExported, privateExported] = await Promise.all([
    exportJWK(pair.publicKey),
    exportJWK(pair.privateKey),
  ]);
  const kid = await calculateJwkThumbprint(publicExported, 'sha256');
  const publicJwk = toPublishedJwk({ jwk: publicExported, kid, algorithm });
  return { kid, algorithm, publicJwk, privateJwk: { ...privateExported, kid, alg: algorithm, use: 'sig' } };
}

export type ToPublishedJwkParams = { jwk: JWK; kid: string; algorithm: ReceiptAlgorithm };

/**
 * Copies only the public members of a JWK (an allow-list, so `d` or any unknown member can never
 * reach the JWKS) and labels it with `kid`, `alg` and `use: 'sig'`.
 *
 * Throws `receipt_signing_key_invalid` when the key type or curve does not fit the algorithm.
 */
export function toPublishedJwk(params: ToPublishedJwkParams): ReceiptPublicJwk {
  const { jwk, kid, algorithm } = params;
  const expected = CURVE_BY_ALGORITHM[algorithm];
  if (jwk.kty !== expected.kty || jwk.crv !== expected.crv) {
    throw new ReceiptError({
      code: 'receipt_signing_key_invalid',
      message: `Key ${kid} is not a ${expected.kty} ${expected.crv} key, as ${algorithm} requires.`,
      kid,
    });
  }
  const members = PUBLIC_MEMBERS_BY_KEY_TYPE[expected.kty] ?? [];
  const published: Record<string, unknown> = {};
  for (const member of members) {
    const value: unknown = (jwk as Record<string, unknown>)[member];
    if (typeof value !== 'string' || value === '') {
      throw new ReceiptError({
        code: 'receipt_signing_key_invalid',
        message: `Key ${kid} lacks its public member ${member}.`,
        kid,
      });
    }
    published[member] = value;
  }
  return { ...published, kid, alg: algorithm, use: 'sig' };
}

/** True when `value` names a receipt algorithm (e.g. a value read back from storage). */
export function isReceiptAlgorithm(value: unknown): value is ReceiptAlgorithm {
  return typeof value === 'string' && (RECEIPT_ALGORITHMS as readonly string[]).includes(value);
}
