import {
  BaseError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  ExecutionRevertedError,
} from 'viem';
import { callRpc } from '../networks/call-rpc';
import { REVERT_REASON_LENGTH_CHARS_MAX } from './facilitator.limits';

/** A contract call's answer: its value, or the contract refused (reverted, or returned nothing). */
export type ContractCallOutcome<Result> =
  | { readonly status: 'success'; readonly value: Result }
  | { readonly status: 'reverted'; readonly reason: string | null };

/**
 * Runs one contract call against a network's RPC and tells the contract's answer apart from the
 * RPC's failure: a revert (or empty return data) is a value the verdict may rest on; anything else
 * from the chain side (timeout, transport, a node error) is `rpc_unavailable`, a retryable 503, so
 * an outage never reads as a refused payment.
 */
export async function callContract<Result>(
  networkId: string,
  call: () => Promise<Result>,
): Promise<ContractCallOutcome<Result>> {
  return callRpc(networkId, async () => {
    try {
      return { status: 'success', value: await call() };
    } catch (error: unknown) {
      const revert = contractRevertOf(error);
      if (revert === null) throw error;
      return { status: 'reverted', reason: revert.reason };
    }
  });
}

/**
 * The revert in a viem error's cause chain, with its reason string when the contract gave one, or
 * null when the error is not a revert. A revert is what the contract answered: revert data (JSON-RPC
 * code 3, decoded or not), a node's "execution reverted" without data, or no return data at all
 * where a value was expected. viem also files a node's bare -32603 "internal error" as a reverted
 * function; without revert data or a revert message that is the node failing, not the contract.
 */
export function contractRevertOf(error: unknown): { reason: string | null } | null {
  if (!(error instanceof BaseError)) return null;
  const found = error.walk(
    (cause) =>
      cause instanceof ContractFunctionRevertedError ||
      cause instanceof ContractFunctionZeroDataError ||
      cause instanceof ExecutionRevertedError,
  );
  if (found instanceof ContractFunctionZeroDataError) return { reason: 'returned no data' };
  if (found instanceof ExecutionRevertedError) return { reason: null };
  if (!(found instanceof ContractFunctionRevertedError)) return null;
  const reason = found.reason ?? null;
  if (found.raw === undefined && !REVERT_MESSAGE.test(reason ?? '')) return null;
  return { reason: reason === null ? null : reason.slice(0, REVERT_REASON_LENGTH_CHARS_MAX) };
}

// How nodes word a revert when they send no revert data ("execution reverted", "reverted").
const REVERT_MESSAGE = /revert/i;
