// Pure encoding of what the relayer sends: one `transferWithAuthorization` per settlement, alone
// or batched through Multicall3's `aggregate3` with every call allowed to fail on its own.
import { eip3009Abi, multicall3Abi } from '@proco/evm';
import {
  decodeFunctionResult,
  encodeFunctionData,
  getAddress,
  hexToNumber,
  parseEventLogs,
  size,
  slice,
  type Address,
  type Hex,
  type Log,
} from 'viem';

/** The stored terms of one authorization, as the settlement row holds them. */
export interface SettlementTerms {
  readonly asset: string;
  readonly payer: string;
  readonly payTo: string;
  readonly amountAtomic: bigint;
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly nonce: string;
  readonly signature: string;
}

/** A transaction to send: its target and calldata. */
export interface RelayerCall {
  readonly to: Address;
  readonly data: Hex;
}

/**
 * The token call that uses one authorization: the `(v, r, s)` overload for a 65-byte signature,
 * exactly as sent (the token judges `v`, as USDC does), and the `bytes` overload otherwise (an
 * EIP-1271 wallet's signature).
 */
export function transferCallData(terms: SettlementTerms): Hex {
  const signature = terms.signature as Hex;
  const args = [
    getAddress(terms.payer),
    getAddress(terms.payTo),
    terms.amountAtomic,
    terms.validAfter,
    terms.validBefore,
    terms.nonce as Hex,
  ] as const;
  if (size(signature) === 65) {
    return encodeFunctionData({
      abi: eip3009Abi,
      functionName: 'transferWithAuthorization',
      args: [
        ...args,
        hexToNumber(slice(signature, 64, 65)),
        slice(signature, 0, 32),
        slice(signature, 32, 64),
      ],
    });
  }
  return encodeFunctionData({
    abi: eip3009Abi,
    functionName: 'transferWithAuthorization',
    args: [...args, signature],
  });
}

/** The `aggregate3` call of a batch: every call targets its token and may fail alone. */
export function batchCallData(terms: readonly SettlementTerms[]): Hex {
  return encodeFunctionData({
    abi: multicall3Abi,
    functionName: 'aggregate3',
    args: [
      terms.map((item) => ({
        target: getAddress(item.asset),
        allowFailure: true,
        callData: transferCallData(item),
      })),
    ],
  });
}

/**
 * What the relayer sends for `terms` (all of one asset): the token call itself for one
 * authorization, an `aggregate3` through `multicall3` for several.
 */
export function relayerCallOf(terms: readonly SettlementTerms[], multicall3: Address): RelayerCall {
  const [first] = terms;
  if (first === undefined) throw new RangeError('a relayer call needs at least one settlement');
  if (terms.length === 1) return { to: getAddress(first.asset), data: transferCallData(first) };
  return { to: getAddress(multicall3), data: batchCallData(terms) };
}

/** One call's result in a simulated batch: success, or the revert data it returned. */
export interface BatchCallResult {
  readonly success: boolean;
  readonly returnData: Hex;
}

/** Decodes the return value of a simulated `aggregate3` (an `eth_call`). */
export function decodeBatchResults(data: Hex): readonly BatchCallResult[] {
  return decodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', data });
}

/**
 * The authorizations `asset` marked used in `logs` (its `AuthorizationUsed` events), as
 * `authorizer:nonce` lowercase keys. Logs of any other contract are ignored: a token emits its own.
 */
export function usedAuthorizationsIn(logs: readonly Log[], asset: string): ReadonlySet<string> {
  const wanted = asset.toLowerCase();
  const events = parseEventLogs({
    abi: eip3009Abi,
    eventName: 'AuthorizationUsed',
    logs: logs.filter((log) => log.address.toLowerCase() === wanted),
    strict: true,
  });
  return new Set(events.map((event) => authorizationKey(event.args.authorizer, event.args.nonce)));
}

/** The key `usedAuthorizationsIn` uses for one authorization. */
export function authorizationKey(payer: string, nonce: string): string {
  return `${payer.toLowerCase()}:${nonce.toLowerCase()}`;
}
