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
