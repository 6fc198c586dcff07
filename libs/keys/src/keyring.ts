import { createHmac } from 'node:crypto';

import { KekDuplicateError, KekInvalidError, KekUnknownError } from './keys.errors';

/** AES-256 keys are 32 bytes; every master key (KEK) must be exactly that long. */
export const KEK_LENGTH_BYTES = 32;

// One active key plus a bounded history: rotation retires old keys once every data key is
// rewrapped, so a long list means rotation is not being finished.
const KEYRING_KEKS_MAX = 16;

// The id is a label, not a secret: HMAC under the key itself gives an id that only a holder of
// the key can produce, and that reveals nothing about the key.
const KEK_ID_LABEL = 'proco-kek-id-v1';
// 16 hex characters (64 bits) keep collisions between the few keys of one keyring impossible
// in practice while fitting the `kek_id VARCHAR(64)` column many times over.
const KEK_ID_LENGTH_CHARS = 16;

// A type-only brand: a hand-made `{ activeKekId, kekIds }` object does not type-check as a keyring.
declare const keyringBrand: unique symbol;

/**
 * An opaque set of master keys. Only the ids are visible: the key bytes live in a module-private
 * WeakMap, so no property, `JSON.stringify` or `util.inspect` of a keyring can reach them.
 */
export type Keyring = {
  /** The id of the key that wraps new data keys. */
  readonly activeKekId: string;
  /** Every id that can unwrap: the active one first, then the previous ones in the given order. */
  readonly kekIds: readonly string[];
  readonly [keyringBrand]: true;
};

export type CreateKeyringParams = {
  /** 32 raw bytes; wraps every new or rewrapped data key. */
  activeKey: Uint8Array;
  /** 32 raw bytes each; still accepted for unwrapping during a rotation. */
  previousKeys?: readonly Uint8Array[];
};

export type CreateKeyringResult = Keyring;

type KeyringSecrets = { keksById: ReadonlyMap<string, Buffer> };

const secretsByKeyring = new WeakMap<Keyring, KeyringSecrets>();

/**
 * Builds a keyring from master keys supplied by configuration. The bytes are copied, so the
 * caller may zero its own buffers afterwards.
 *
 * Throws `kek_invalid` (wrong length, too many keys) or `kek_duplicate` (a key given twice).
 */
export function createKeyring(params: CreateKeyringParams): CreateKeyringResult {
  const previousKeys = params.previousKeys ?? [];
  const allKeys = [params.activeKey, ...previousKeys];
  if (allKeys.length > KEYRING_KEKS_MAX) {
    throw new KekInvalidError({ reason: 'count', detail: `at most ${KEYRING_KEKS_MAX} keys are allowed` });
  }

  const keksById = new Map<string, Buffer>();
  for (const [index, key] of allKeys.entries()) {
    if (key.byteLength !== KEK_LENGTH_BYTES) {
      const position = index === 0 ? 'active key' : `previous key ${index}`;
      throw new KekInvalidError({
        reason: 'length',
        detail: `${position} is ${key.byteLength} bytes, expected ${KEK_LENGTH_BYTES}`,
      });
    }
    const kekId = deriveKekId({ key });
    if (keksById.has(kekId)) throw new KekDuplicateError({ kekId });
    keksById.set(kekId, Buffer.from(key));
  }

  const kekIds = Object.freeze([...keksById.keys()]);
  const activeKekId = kekIds[0];
  // The loop above ran at least once (the active key), so this only guards the type.
  if (activeKekId === undefined) throw new KekInvalidError({ reason: 'count', detail: 'no active key' });

  // The brand exists only in the type system, hence the one cast.
  const keyring = Object.freeze({ activeKekId, kekIds }) as Keyring;
  secretsByKeyring.set(keyring, { keksById });
  return keyring;
}

/** Derives the stable, non-secret id of a master key: the first 16 hex chars of HMAC-SHA256(key, label). */
export function deriveKekId(params: { key: Uint8Array }): string {
  return createHmac('sha256', params.key).update(KEK_ID_LABEL).digest('hex').slice(0, KEK_ID_LENGTH_CHARS);
}

/**
 * Internal: the bytes of one master key. Not exported from the package entry point.
 * Throws `kek_unknown`, or `kek_invalid` for an object that `createKeyring` did not build.
 */
export function getKekBytes(params: { keyring: Keyring; kekId: string }): Buffer {
  const secrets = secretsByKeyring.get(params.keyring);
  if (secrets === undefined) {
    throw new KekInvalidError({
      reason: 'not_a_keyring',
      detail: 'the keyring was not built by createKeyring',
    });
  }
  const kek = secrets.keksById.get(params.kekId);
  if (kek === undefined) throw new KekUnknownError({ kekId: params.kekId });
  return kek;
}
