import { randomBytes } from 'node:crypto';

import { KeyGenerationFailedError } from './keys.errors';

/** secp256k1 private keys are 32-byte big-endian scalars. */
export const PRIVATE_KEY_LENGTH_BYTES = 32;

// The group order n of secp256k1 (SEC 2, section 2.4.1). Valid keys are 1 <= k < n.
const SECP256K1_ORDER_BYTES = Buffer.from(
  'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141',
  'hex',
);

// A uniform 32-byte value is out of range with probability below 2^-127, so a handful of draws
// only fails when the random source is broken, which must stop key generation, not loop forever.
const KEY_GENERATION_ATTEMPTS_MAX = 8;

/**
 * Internal: true when `bytes` is a valid secp256k1 private key (32 bytes, 1 <= k < n).
 * Compares bytes instead of building a bigint, because a bigint copy of the key could not be
 * cleared from memory afterwards.
 */
export function isValidPrivateKey(bytes: Uint8Array): boolean {
  if (bytes.byteLength !== PRIVATE_KEY_LENGTH_BYTES) return false;
  let isZero = true;
  for (const byte of bytes) {
    if (byte !== 0) {
      isZero = false;
      break;
    }
  }
  if (isZero) return false;
  return (
    Buffer.compare(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), SECP256K1_ORDER_BYTES) < 0
  );
}

/**
 * Internal: draws a private key from the operating system's CSPRNG. Uses raw bytes rather than
 * viem's `generatePrivateKey` (which returns an immutable hex string) so the caller can zero it.
 *
 * Throws `key_generation_failed` if the random source keeps producing out-of-range values.
 */
export function generatePrivateKeyBytes(): Buffer {
  for (let attempt = 1; attempt <= KEY_GENERATION_ATTEMPTS_MAX; attempt += 1) {
    const candidate = randomBytes(PRIVATE_KEY_LENGTH_BYTES);
    if (isValidPrivateKey(candidate)) return candidate;
    candidate.fill(0);
  }
  throw new KeyGenerationFailedError({ attempts: KEY_GENERATION_ATTEMPTS_MAX });
}
