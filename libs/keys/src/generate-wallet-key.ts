import { bytesToHex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';

import { createDataKey, wrapDataKey } from './data-key';
import { sealEnvelope } from './envelope';
import type { Keyring } from './keyring';
import type { SealedWalletKey } from './sealed-wallet-key';
import { generatePrivateKeyBytes } from './secp256k1-private-key';
import { walletAssociatedData } from './wallet-binding';

/**
 * The org id that keys belonging to the deployment rather than to a tenant (the settlement
 * relayer) are bound to. Tenant org ids are UUIDs, so it never collides with one.
 */
export const SYSTEM_KEY_ORG_ID = 'system';

export type GenerateWalletKeyParams = {
  keyring: Keyring;
  orgId: string;
  walletId: string;
};

export type GenerateWalletKeyResult = SealedWalletKey;

/**
 * Generates a new secp256k1 wallet key and returns it sealed: the key encrypted under a fresh
 * per-wallet data key, and that data key encrypted under the keyring's active master key, both
 * bound to `{ orgId, walletId }`. The plaintext key never leaves this function.
 *
 * Throws `wallet_binding_invalid` (empty or oversized id) or `key_generation_failed`.
 */
export function generateWalletKey(params: GenerateWalletKeyParams): GenerateWalletKeyResult {
  const { keyring, orgId, walletId } = params;
  // Build the associated data first so a bad id fails before any key exists.
  const keyAssociatedData = walletAssociatedData({ purpose: 'wallet_private_key', orgId, walletId });
  const privateKey = generatePrivateKeyBytes();
  const dataKey = createDataKey();
  try {
    // viem derives addresses from hex strings; that string cannot be zeroed and lives until the
    // garbage collector reclaims it, which is the best JavaScript allows for this step.
    const address = privateKeyToAddress(bytesToHex(privateKey));
    const keyCiphertext = sealEnvelope({
      key: dataKey,
      plaintext: privateKey,
      associatedData: keyAssociatedData,
    });
    const { dataKeyCiphertext, kekId } = wrapDataKey({ keyring, dataKey, orgId, walletId });
    return { address, keyCiphertext, dataKeyCiphertext, kekId };
  } finally {
    privateKey.fill(0);
    dataKey.fill(0);
  }
}
