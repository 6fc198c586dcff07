// A viem chain object for a local anvil node, so wallet clients can check the chain id they sign for.
import { defineChain, type Chain } from 'viem';
import { MULTICALL3_ADDRESS } from './local-contracts.constants';

export interface LocalChainDefinitionParams {
  readonly chainId: number;
  readonly rpcUrl: string;
}

/** A viem `Chain` for the local node (ETH as native currency, Multicall3 at its canonical address). */
export function localChainDefinition({ chainId, rpcUrl }: LocalChainDefinitionParams): Chain {
  return defineChain({
    id: chainId,
    name: `Proco local chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
    contracts: { multicall3: { address: MULTICALL3_ADDRESS } },
    testnet: true,
  });
}
