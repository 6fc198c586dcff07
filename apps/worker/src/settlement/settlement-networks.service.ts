import { Injectable } from '@nestjs/common';
import { InjectConfig, type NetworkConfig, type ProcoConfig } from '@proco/config';
import { chainIdOf } from '@proco/x402';
import { createPublicClient, getAddress, http, type Address, type PublicClient } from 'viem';

/** A configured network as settlement uses it. */
export interface SettlementNetwork {
  readonly config: NetworkConfig;
  readonly chainId: number;
  readonly client: PublicClient;
  readonly multicall3: Address;
}

/** Thrown when an RPC serves another chain than its network's: nothing is signed or sent for it. */
export class ChainMismatchError extends Error {
  readonly code = 'chain_mismatch';
  constructor(networkId: string, served: number) {
    super(`The RPC of ${networkId} serves chain ${served}; nothing is settled on it.`);
    this.name = 'ChainMismatchError';
  }
}

/**
 * The worker's view of the configured networks: one viem client each (bounded timeout, one
 * retry), and a chain-id check before every job works on a network, so a misrouted RPC never
 * receives a transaction signed for another chain nor decides a settlement with its reads.
 */
@Injectable()
export class SettlementNetworksService {
  private readonly networks: ReadonlyMap<string, SettlementNetwork>;

  constructor(@InjectConfig() config: ProcoConfig) {
    this.networks = new Map(
      config.networks.map((network) => [
        network.id,
        {
          config: network,
          chainId: chainIdOf(network.id),
          client: createPublicClient({
            transport: http(network.rpcUrl, { timeout: config.rpc.timeoutMs, retryCount: 1 }),
          }),
          multicall3: getAddress(network.multicall3),
        },
      ]),
    );
  }

  /**
   * The network `id`, its RPC checked to serve the right chain; undefined when not configured.
   * Checked on every call (one `eth_chainId` per job): an RPC re-pointed at another chain while
   * the worker runs must not feed its reads into settlement decisions.
   */
  async checkedNetwork(id: string): Promise<SettlementNetwork | undefined> {
    const network = this.networks.get(id);
    if (network === undefined) return network;
    const served = await network.client.getChainId();
    if (served !== network.chainId) throw new ChainMismatchError(id, served);
    return network;
  }
}
