import { DomainError } from '../common/api.errors';

export type NetworksErrorCode = 'network_not_found' | 'faucet_unavailable' | 'rpc_unavailable';

export class NetworkNotFoundError extends DomainError<'network_not_found'> {
  readonly code = 'network_not_found';
  constructor(readonly networkId: string) {
    super(`Network ${networkId} is not configured.`);
  }
}

export class FaucetUnavailableError extends DomainError<'faucet_unavailable'> {
  readonly code = 'faucet_unavailable';
  constructor(reason: string) {
    super(reason);
  }
}

export class RpcUnavailableError extends DomainError<'rpc_unavailable'> {
  readonly code = 'rpc_unavailable';
  constructor(
    readonly networkId: string,
    options: { cause: unknown },
  ) {
    super(`The RPC of ${networkId} did not answer in time.`, options);
  }
}

/** Thrown at start-up when a configured network or asset does not match the chain. */
export class NetworkVerificationError extends Error {
  readonly code = 'network_verification_failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkVerificationError';
  }
}
