import { createDataKey, unwrapDataKeyBound, wrapDataKeyBound } from './data-key';
import {
  ENVELOPE_IV_LENGTH_BYTES,
  ENVELOPE_TAG_LENGTH_BYTES,
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
} from './envelope';
import type { Keyring } from './keyring';
import { CiphertextInvalidError, DecryptionFailedError, SecretBindingInvalidError } from './keys.errors';
import { type SecretPurpose, type SecretScope, secretAssociatedData } from './secret-binding';

/**
 * The largest secret `sealSecret` accepts. A private JWK is a few hundred bytes; the bound keeps
 * a caller from sealing (and the database from storing) something that is not a key.
 */
export const SECRET_LENGTH_MAX_BYTES = 4_096;

// The version byte, IV and tag around the ciphertext body (see envelope.ts).
const ENVELOPE_OVERHEAD_BYTES = 1 + ENVELOPE_IV_LENGTH_BYTES + ENVELOPE_TAG_LENGTH_BYTES;

/** A secret as stored: its ciphertext under a fresh data key, that data key under a master key. */
export type SealedSecret = {
  /** v1 envelope of the secret under the data key, bound to `{ purpose, orgId, id }`. */
  readonly ciphertext: Uint8Array;
  /** v1 envelope of the data key under the master key `kekId`, bound to the same scope. */
  readonly dataKeyCiphertext: Uint8Array;
  /** Id of the master key that wrapped the data key (see `deriveKekId`). */
  readonly kekId: string;
};

export type SealSecretParams = {
  keyring: Keyring;
  purpose: SecretPurpose;
  scope: SecretScope;
  /** 1 to 4,096 bytes; the caller keeps ownership and should zero it afterwards. */
  plaintext: Uint8Array;
};

export type SealSecretResult = SealedSecret;

/**
 * Seals a secret the way wallet keys are sealed: encrypted under a fresh per-secret data key,
 * that data key wrapped by the keyring's active master key, both bound by associated data to
 * `{ purpose, orgId, id }`, so a ciphertext copied to another row, org or purpose fails to open.
 *
 * Throws `secret_binding_invalid` (unknown purpose, empty or oversized id or secret).
 */
export function sealSecret(params: SealSecretParams): SealSecretResult {
  const { keyring, purpose, scope, plaintext } = params;
  // Both associated data first, so a bad binding fails before any key material exists.
  const secretAssociated = secretAssociatedData({ purpose, scope, layer: 'secret' });
  const dataKeyAssociated = secretAssociatedData({ purpose, scope, layer: 'data_key' });
  assertSecretLength(plaintext.byteLength);
  const dataKey = createDataKey();
  try {
    const ciphertext = sealEnvelope({ key: dataKey, plaintext, associatedData: secretAssociated });
    const wrapped = wrapDataKeyBound({ keyring, dataKey, associatedData: dataKeyAssociated });
    return { ciphertext, dataKeyCiphertext: wrapped.dataKeyCiphertext, kekId: wrapped.kekId };
  } finally {
    dataKey.fill(0);
  }
}

export type OpenSecretParams = {
  /** Must contain the master key named by `sealed.kekId` (active or previous). */
  keyring: Keyring;
  purpose: SecretPurpose;
  scope: SecretScope;
  sealed: SealedSecret;
};

/** The plaintext; the caller owns the buffer and must zero it once done. */
export type OpenSecretResult = Buffer;

/**
 * Opens a secret sealed by `sealSecret` with the same purpose and scope.
 *
 * Throws `secret_binding_invalid`, `kek_unknown`, `kek_invalid`, `ciphertext_invalid` or
 * `decryption_failed`.
 */
export function openSecret(params: OpenSecretParams): OpenSecretResult {
  const { keyring, purpose, scope, sealed } = params;
  const secretAssociated = secretAssociatedData({ purpose, scope, layer: 'secret' });
  const dataKeyAssociated = secretAssociatedData({ purpose, scope, layer: 'data_key' });
  const plaintextLengthBytes = sealed.ciphertext.byteLength - ENVELOPE_OVERHEAD_BYTES;
  if (plaintextLengthBytes < 1 || plaintextLengthBytes > SECRET_LENGTH_MAX_BYTES) {
    throw new CiphertextInvalidError({
      field: 'secretCiphertext',
      detail: `length is ${sealed.ciphertext.byteLength} bytes, outside the sealed-secret bounds`,
    });
  }
  const parsed = parseEnvelope({ envelope: sealed.ciphertext, plaintextLengthBytes });
  if (!parsed.ok) throw new CiphertextInvalidError({ field: 'secretCiphertext', detail: parsed.detail });

  const dataKey = unwrapDataKeyBound({
    keyring,
    dataKeyCiphertext: sealed.dataKeyCiphertext,
    kekId: sealed.kekId,
    associatedData: dataKeyAssociated,
    binding: 'secret',
  });
  try {
    return openEnvelope({
      key: dataKey,
      iv: parsed.iv,
      body: parsed.body,
      tag: parsed.tag,
      associatedData: secretAssociated,
    });
  } catch (error) {
    throw new DecryptionFailedError({ field: 'secretCiphertext', binding: 'secret', cause: error });
  } finally {
    dataKey.fill(0);
  }
}

export type RewrapSecretParams = {
  /** Must contain both the master key named by `sealed.kekId` and the active one. */
  keyring: Keyring;
  purpose: SecretPurpose;
  scope: SecretScope;
  sealed: Pick<SealedSecret, 'dataKeyCiphertext' | 'kekId'>;
};

export type RewrapSecretResult = Pick<SealedSecret, 'dataKeyCiphertext' | 'kekId'>;

/**
 * Re-encrypts a sealed secret's data key under the keyring's active master key (master-key
 * rotation); the secret's own ciphertext does not change. Like `rewrapDataKey`, it always
 * produces a fresh ciphertext.
 *
 * Throws `secret_binding_invalid`, `kek_unknown`, `kek_invalid`, `ciphertext_invalid` or
 * `decryption_failed`.
 */
export function rewrapSecret(params: RewrapSecretParams): RewrapSecretResult {
  const { keyring, purpose, scope, sealed } = params;
  const associatedData = secretAssociatedData({ purpose, scope, layer: 'data_key' });
  const dataKey = unwrapDataKeyBound({
    keyring,
    dataKeyCiphertext: sealed.dataKeyCiphertext,
    kekId: sealed.kekId,
    associatedData,
    binding: 'secret',
  });
  try {
    return wrapDataKeyBound({ keyring, dataKey, associatedData });
  } finally {
    dataKey.fill(0);
  }
}

function assertSecretLength(lengthBytes: number): void {
  if (lengthBytes < 1 || lengthBytes > SECRET_LENGTH_MAX_BYTES) {
    throw new SecretBindingInvalidError({
      field: 'plaintext',
      detail: `it is ${lengthBytes} bytes, expected 1 to ${SECRET_LENGTH_MAX_BYTES}`,
    });
  }
}
