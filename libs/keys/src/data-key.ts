import { randomBytes } from 'node:crypto';

import { openEnvelope, parseEnvelope, sealEnvelope } from './envelope';
import { type Keyring, getKekBytes } from './keyring';
import { CiphertextInvalidError, type DecryptionBinding, DecryptionFailedError } from './keys.errors';
import { walletAssociatedData } from './wallet-binding';

/** Each wallet gets its own AES-256 data key. */
export const DATA_KEY_LENGTH_BYTES = 32;

type WalletScope = { orgId: string; walletId: string };

export type WrapDataKeyParams = WalletScope & { keyring: Keyring; dataKey: Uint8Array };
export type WrapDataKeyResult = { dataKeyCiphertext: Uint8Array; kekId: string };
export type UnwrapDataKeyParams = WalletScope & {
  keyring: Keyring;
  dataKeyCiphertext: Uint8Array;
  kekId: string;
};

/** Internal: a fresh random data key. The caller owns it and must zero it. */
export function createDataKey(): Buffer {
  return randomBytes(DATA_KEY_LENGTH_BYTES);
}

/** Internal: wraps a data key under the keyring's active master key. */
export function wrapDataKey(params: WrapDataKeyParams): WrapDataKeyResult {
  const associatedData = walletAssociatedData({
    purpose: 'wallet_data_key',
    orgId: params.orgId,
    walletId: params.walletId,
  });
  return wrapDataKeyBound({ keyring: params.keyring, dataKey: params.dataKey, associatedData });
}

/**
 * Internal: unwraps a data key with whichever master key `kekId` names. The caller owns the
 * returned buffer and must zero it.
 *
 * Throws `wallet_binding_invalid`, `kek_unknown`, `ciphertext_invalid` or `decryption_failed`.
 */
export function unwrapDataKey(params: UnwrapDataKeyParams): Buffer {
  const associatedData = walletAssociatedData({
    purpose: 'wallet_data_key',
    orgId: params.orgId,
    walletId: params.walletId,
  });
  return unwrapDataKeyBound({
    keyring: params.keyring,
    dataKeyCiphertext: params.dataKeyCiphertext,
    kekId: params.kekId,
    associatedData,
    binding: 'wallet',
  });
}

export type WrapDataKeyBoundParams = {
  keyring: Keyring;
  dataKey: Uint8Array;
  /** What the data key is bound to, built by `walletAssociatedData` or `secretAssociatedData`. */
  associatedData: Uint8Array;
};

/** Internal: wraps a data key under the active master key with caller-built associated data. */
export function wrapDataKeyBound(params: WrapDataKeyBoundParams): WrapDataKeyResult {
  const kekId = params.keyring.activeKekId;
  const kek = getKekBytes({ keyring: params.keyring, kekId });
  const dataKeyCiphertext = sealEnvelope({
    key: kek,
    plaintext: params.dataKey,
    associatedData: params.associatedData,
  });
  return { dataKeyCiphertext, kekId };
}

export type UnwrapDataKeyBoundParams = {
  keyring: Keyring;
  dataKeyCiphertext: Uint8Array;
  kekId: string;
  associatedData: Uint8Array;
  /** Names what failed in errors: a wallet or a sealed secret. */
  binding: DecryptionBinding;
};

/**
 * Internal: unwraps a data key with caller-built associated data. The caller owns the returned
 * buffer and must zero it.
 *
 * Throws `kek_unknown`, `ciphertext_invalid` or `decryption_failed`.
 */
export function unwrapDataKeyBound(params: UnwrapDataKeyBoundParams): Buffer {
  const kek = getKekBytes({ keyring: params.keyring, kekId: params.kekId });
  const parsed = parseEnvelope({
    envelope: params.dataKeyCiphertext,
    plaintextLengthBytes: DATA_KEY_LENGTH_BYTES,
  });
  if (!parsed.ok) throw new CiphertextInvalidError({ field: 'dataKeyCiphertext', detail: parsed.detail });
  try {
    return openEnvelope({
      key: kek,
      iv: parsed.iv,
      body: parsed.body,
      tag: parsed.tag,
      associatedData: params.associatedData,
    });
  } catch (error) {
    // Node's error says only "unable to authenticate data"; it carries no key material.
    throw new DecryptionFailedError({ field: 'dataKeyCiphertext', binding: params.binding, cause: error });
  }
}
