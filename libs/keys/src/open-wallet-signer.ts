import { bytesToHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

import { unwrapDataKey } from './data-key';
import { openEnvelope, parseEnvelope } from './envelope';
import type { Keyring } from './keyring';
import {
  CiphertextInvalidError,
  DecryptionFailedError,
  WalletKeyInvalidError,
  WalletKeyMismatchError,
} from './keys.errors';
import type { StoredWalletKey } from './sealed-wallet-key';
import { PRIVATE_KEY_LENGTH_BYTES, isValidPrivateKey } from './secp256k1-private-key';
import { walletAssociatedData } from './wallet-binding';
import { type WalletSigner, createWalletSigner } from './wallet-signer';

export type OpenWalletSignerParams = {
  /** Must contain the master key named by `sealed.kekId` (active or previous). */
  keyring: Keyring;
  sealed: StoredWalletKey;
  orgId: string;
  walletId: string;
};

export type OpenWalletSignerResult = WalletSigner;

/**
 * Decrypts a sealed wallet key and returns a signer for it. Checks that the key controls the
 * recorded address, so a row whose ciphertexts were swapped with another wallet's (and somehow
 * authenticated) can never sign as the wrong address.
 *
 * Throws `wallet_binding_invalid`, `kek_unknown`, `kek_invalid`, `ciphertext_invalid`,
 * `decryption_failed`, `wallet_key_invalid` or `wallet_key_mismatch`.
 */
export function openWalletSigner(params: OpenWalletSignerParams): OpenWalletSignerResult {
  const { keyring, sealed, orgId, walletId } = params;
  const associatedData = walletAssociatedData({ purpose: 'wallet_private_key', orgId, walletId });
  const parsed = parseEnvelope({
    envelope: sealed.keyCiphertext,
    plaintextLengthBytes: PRIVATE_KEY_LENGTH_BYTES,
  });
  if (!parsed.ok) throw new CiphertextInvalidError({ field: 'keyCiphertext', detail: parsed.detail });

  const dataKey = unwrapDataKey({
    keyring,
    dataKeyCiphertext: sealed.dataKeyCiphertext,
    kekId: sealed.kekId,
    orgId,
    walletId,
  });
  let privateKey: Buffer;
  try {
    privateKey = openEnvelope({
      key: dataKey,
      iv: parsed.iv,
      body: parsed.body,
      tag: parsed.tag,
      associatedData,
    });
  } catch (error) {
    throw new DecryptionFailedError({ field: 'keyCiphertext', cause: error });
  } finally {
    dataKey.fill(0);
  }

  try {
    // Checked here rather than left to viem: the curve library's range errors print the
    // rejected scalar, and this error must not carry the key.
    if (!isValidPrivateKey(privateKey)) throw new WalletKeyInvalidError();
    // viem signs from a hex string, which cannot be zeroed; it lives as long as the signer.
    const privateKeyHex = bytesToHex(privateKey);
    const account = privateKeyToAccount(privateKeyHex);
    if (account.address.toLowerCase() !== sealed.address.toLowerCase()) {
      throw new WalletKeyMismatchError({ walletId });
    }
    return createWalletSigner({ account, privateKeyHex });
  } finally {
    privateKey.fill(0);
  }
}
