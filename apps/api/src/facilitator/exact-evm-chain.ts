// What verify asks the chain, each call through the network's own client (bounded by the RPC
// timeout) and each failure of the RPC a retryable `rpc_unavailable`. `authorizationState` and
// balances are read fresh on every verify: a cached answer could pass a nonce used a block ago.
import { eip3009Abi, ERC1271_MAGIC_VALUE, erc1271Abi } from '@proco/evm';
import { type SimulationRevertReadings, type ContractReading, type TransferAuthorization } from '@proco/x402';
import { getAddress, hexToNumber, size, slice, type Address, type Hex } from 'viem';
import { callRpc } from '../networks/call-rpc';
import { type RegisteredNetwork } from '../networks/network-registry.service';
import { callContract, type ContractCallOutcome } from './contract-call.util';

/** Whether `address` holds code (a contract wallet, or an EIP-7702 account). */
export async function readHasCode(network: RegisteredNetwork, address: Address): Promise<boolean> {
  const code = await callRpc(network.config.id, () =>
    network.client.getCode({ address: getAddress(address) }),
  );
  return code !== undefined && code !== '0x';
}

/**
 * Strict EIP-1271: the wallet's `isValidSignature(digest, signature)` must return the magic value;
 * a revert or any other answer is a refusal, with no ECDSA fallback (the token has none either).
 */
export async function readErc1271Verdict(
  network: RegisteredNetwork,
  params: { wallet: Address; digest: Hex; signature: Hex },
): Promise<boolean> {
  const outcome = await callContract(network.config.id, () =>
    network.client.readContract({
      address: getAddress(params.wallet),
      abi: erc1271Abi,
      functionName: 'isValidSignature',
      args: [params.digest, params.signature],
    }),
  );
  return outcome.status === 'success' && outcome.value.toLowerCase() === ERC1271_MAGIC_VALUE;
}

/**
 * Simulates `transferWithAuthorization` with `eth_call`, as the reference facilitator does: the
 * `(v, r, s)` overload for a 65-byte signature (the bytes as sent, so the token judges `v` itself),
 * the `bytes` overload otherwise. Nothing is sent; the caller's address plays no part in EIP-3009.
 * `gas` bounds the call at what settlement would spend on one authorization, so a payer whose
 * wallet burns more (an EIP-1271 check that loops) is refused here, before any gas is paid.
 */
export async function simulateTransfer(
  network: RegisteredNetwork,
  params: { asset: Address; authorization: TransferAuthorization; signature: Hex; gas: bigint },
): Promise<ContractCallOutcome<unknown>> {
  const { asset, authorization, signature, gas } = params;
  const terms = [
    getAddress(authorization.from),
    getAddress(authorization.to),
    BigInt(authorization.value),
    BigInt(authorization.validAfter),
    BigInt(authorization.validBefore),
    authorization.nonce,
  ] as const;
  return callContract(network.config.id, async () => {
    if (size(signature) === 65) {
      const v = hexToNumber(slice(signature, 64, 65));
      const call = { address: asset, abi: eip3009Abi, functionName: 'transferWithAuthorization' } as const;
      return network.client.simulateContract({
        ...call,
        args: [...terms, v, slice(signature, 0, 32), slice(signature, 32, 64)],
        gas,
      });
    }
    return network.client.simulateContract({
      address: asset,
      abi: eip3009Abi,
      functionName: 'transferWithAuthorization',
      args: [...terms, signature],
      gas,
    });
  });
}

/**
 * The four token reads that explain a reverted simulation, in parallel: `authorizationState`,
 * `name`, `version` and the payer's balance. A read the token refuses is a `failure`; an RPC failure
 * fails the whole verify (503), so a missing answer never becomes a wrong reason.
 */
export async function readRevertDiagnosis(
  network: RegisteredNetwork,
  params: { asset: Address; from: Address; nonce: Hex },
): Promise<SimulationRevertReadings> {
  const token = { address: params.asset, abi: eip3009Abi } as const;
  const from = getAddress(params.from);
  const networkId = network.config.id;
  const [authorizationState, name, version, balance] = await Promise.all([
    callContract(networkId, () =>
      network.client.readContract({
        ...token,
        functionName: 'authorizationState',
        args: [from, params.nonce],
      }),
    ),
    callContract(networkId, () => network.client.readContract({ ...token, functionName: 'name' })),
    callContract(networkId, () => network.client.readContract({ ...token, functionName: 'version' })),
    callContract(networkId, () =>
      network.client.readContract({ ...token, functionName: 'balanceOf', args: [from] }),
    ),
  ]);
  return {
    authorizationState: readingOf(authorizationState),
    name: readingOf(name),
    version: readingOf(version),
    balance: readingOf(balance),
  };
}

function readingOf<Value>(outcome: ContractCallOutcome<Value>): ContractReading<Value> {
  return outcome.status === 'success' ? { status: 'success', value: outcome.value } : { status: 'failure' };
}
