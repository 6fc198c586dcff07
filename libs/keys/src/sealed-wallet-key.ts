import type { Address } from 'viem';

/**
 * What the database stores for one wallet (the `wallets` row): the address, the private key
 * encrypted under the wallet's data key, the data key encrypted under a master key, and the id
 * of that master key. None of it is secret without a master key.
 */
export type SealedWalletKey = {
  /** EIP-55 checksummed address controlled by the sealed key. */
  readonly address: Address;
  /** v1 envelope: the 32-byte private key under the data key, bound to `{ orgId, walletId }`. */
  readonly keyCiphertext: Uint8Array;
  /** v1 envelope: the 32-byte data key under the master key `kekId`, bound to `{ orgId, walletId }`. */
  readonly dataKeyCiphertext: Uint8Array;
  /** Id of the master key that wrapped the data key (see `deriveKekId`). */
  readonly kekId: string;
};

/**
 * A sealed key as read back from storage. The address is plain text there; `openWalletSigner`
 * does not trust it but checks it against the decrypted key (case-insensitively).
 */
export type StoredWalletKey = Omit<SealedWalletKey, 'address'> & { readonly address: string };
