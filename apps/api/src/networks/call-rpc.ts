import { LocalChainError } from '@proco/evm';
import { BaseError } from 'viem';
import { RpcUnavailableError } from './networks.errors';

/**
 * Runs one call against a network's RPC. A failure of the chain side (any viem error: transport,
 * timeout, RPC or contract error; or a local-chain kit error) becomes `rpc_unavailable` with the
 * original as its cause, so it answers 503 and is logged redacted. Anything else, a bug on our
 * side, is rethrown unchanged.
 */
export async function callRpc<Result>(networkId: string, call: () => Promise<Result>): Promise<Result> {
  try {
    return await call();
  } catch (error: unknown) {
    if (error instanceof BaseError || error instanceof LocalChainError) {
      throw new RpcUnavailableError(networkId, { cause: error });
    }
    throw error;
  }
}
