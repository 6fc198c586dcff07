// Typed errors of the local development chain kit (anvil), each with a stable snake_case code.

/** Every code a `LocalChainError` can carry. */
export type LocalChainErrorCode =
  | 'anvil_binary_not_found'
  | 'local_chain_port_in_use'
  | 'local_chain_start_failed'
  | 'deterministic_deployer_missing'
  | 'local_transaction_failed';

/** A failure starting, preparing or transacting on the local chain; `cause` keeps the origin. */
export class LocalChainError extends Error {
  readonly code: LocalChainErrorCode;

  constructor({ code, message, cause }: { code: LocalChainErrorCode; message: string; cause?: unknown }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'LocalChainError';
    this.code = code;
  }
}
