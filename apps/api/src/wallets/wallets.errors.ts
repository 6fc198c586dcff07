import { DomainError } from '../common/api.errors';

export type WalletsErrorCode = 'wallet_not_found' | 'wallet_unavailable';

export class WalletNotFoundError extends DomainError<'wallet_not_found'> {
  readonly code = 'wallet_not_found';
  constructor(readonly agentId: string) {
    super(`Agent ${agentId} has no wallet.`);
  }
}

/** The stored key could not be opened (unknown master key, tampering); the cause says which. */
export class WalletUnavailableError extends DomainError<'wallet_unavailable'> {
  readonly code = 'wallet_unavailable';
  constructor(
    readonly walletId: string,
    options: { cause: unknown },
  ) {
    super(`The key of wallet ${walletId} cannot be opened.`, options);
  }
}

/**
 * Thrown at start-up when wallets exist but none can be opened with the configured master keys:
 * almost certainly the wrong key (or a freshly generated development key), and serving would only
 * issue wallets no other replica can open.
 */
export class KeyringMismatchError extends Error {
  readonly code = 'keyring_mismatch';
  constructor(
    readonly walletKekIds: readonly string[],
    readonly keyringKekIds: readonly string[],
  ) {
    super(
      `No wallet can be opened with the configured master keys (wallets use ${walletKekIds.join(', ')}; ` +
        `configured: ${keyringKekIds.join(', ')}). Configure the master key the wallets were created with ` +
        '(PROCO_MASTER_KEY or PROCO_PREVIOUS_MASTER_KEYS).',
    );
    this.name = 'KeyringMismatchError';
  }
}
