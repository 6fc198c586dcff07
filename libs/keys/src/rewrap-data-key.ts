import { unwrapDataKey, wrapDataKey } from './data-key';
import type { Keyring } from './keyring';
import type { SealedWalletKey } from './sealed-wallet-key';

export type RewrapDataKeyParams = {
  /** Must contain both the master key named by `sealed.kekId` and the active one. */
  keyring: Keyring;
  sealed: Pick<SealedWalletKey, 'dataKeyCiphertext' | 'kekId'>;
  orgId: string;
  walletId: string;
};

export type RewrapDataKeyResult = Pick<SealedWalletKey, 'dataKeyCiphertext' | 'kekId'>;

/**
 * Re-encrypts a wallet's data key under the keyring's active master key, for master-key rotation
 * without downtime: readers accept any key in the keyring, so rows can be rewrapped one at a
 * time while signing continues. The wallet key ciphertext does not change. Always produces a
 * fresh ciphertext, even when the data key is already under the active key; callers select rows
 * with `kekId <> keyring.activeKekId` to skip those.
 *
 * Throws `wallet_binding_invalid`, `kek_unknown`, `kek_invalid`, `ciphertext_invalid` or
 * `decryption_failed`.
 */
export function rewrapDataKey(params: RewrapDataKeyParams): RewrapDataKeyResult {
  const { keyring, sealed, orgId, walletId } = params;
  const dataKey = unwrapDataKey({
    keyring,
    dataKeyCiphertext: sealed.dataKeyCiphertext,
    kekId: sealed.kekId,
    orgId,
    walletId,
  });
  try {
    return wrapDataKey({ keyring, dataKey, orgId, walletId });
  } finally {
    dataKey.fill(0);
  }
}
