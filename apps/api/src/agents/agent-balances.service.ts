import { Injectable, Logger } from '@nestjs/common';
import { MULTICALL3_ADDRESS } from '@proco/evm';
import { erc20Abi, getAddress } from 'viem';
import { type OperatorPrincipal } from '../auth/principal';
import { NetworkRegistryService, type RegisteredNetwork } from '../networks/network-registry.service';
import { AgentsService } from './agents.service';

/** One balance: the asset (or `native`) and network always travel with the amount. */
export interface BalanceView {
  readonly network: string;
  readonly asset: 'native' | `0x${string}`;
  readonly symbol: string;
  readonly decimals: number;
  /** Atomic units, as a decimal string. */
  readonly amount: string;
}

export interface AgentBalancesView {
  readonly agentId: string;
  readonly address: string;
  readonly balances: readonly BalanceView[];
  /** Networks whose RPC did not answer; their balances are missing rather than guessed. */
  readonly unavailable: readonly { readonly network: string; readonly code: 'rpc_unavailable' }[];
}

const NATIVE_DECIMALS = 18;
const NATIVE_SYMBOL = 'ETH';

/** Reads an agent's balances on every configured network, in parallel, each call time-bounded. */
@Injectable()
export class AgentBalancesService {
  private readonly logger = new Logger(AgentBalancesService.name);

  constructor(
    private readonly agents: AgentsService,
    private readonly registry: NetworkRegistryService,
  ) {}

  async balances(operator: OperatorPrincipal, agentId: string): Promise<AgentBalancesView> {
    const agent = await this.agents.find(operator.orgId, agentId);
    if (agent.wallet === null) throw new Error(`agent ${agent.id} has no wallet`);
    const address = getAddress(agent.wallet.address);
    const networks = this.registry.list();
    const results = await Promise.allSettled(networks.map((network) => readNetwork(network, address)));
    const balances: BalanceView[] = [];
    const unavailable: AgentBalancesView['unavailable'][number][] = [];
    networks.forEach((network, index) => {
      const result = results[index];
      if (result?.status === 'fulfilled') {
        balances.push(...result.value);
      } else {
        // Only the error's name: viem messages quote the RPC URL, which often embeds an API key.
        const reason: unknown = result?.reason;
        const error = reason instanceof Error ? reason.name : 'unknown';
        this.logger.warn({ network: network.config.id, error }, 'balance read failed');
        unavailable.push({ network: network.config.id, code: 'rpc_unavailable' });
      }
    });
    return { agentId: agent.id, address, balances, unavailable };
  }
}

/**
 * Two RPC calls per network whatever the number of assets: the native balance, and every token
 * balance in one Multicall3 call. `allowFailure: false` fails the whole network on any failed
 * read, which the caller reports as unavailable rather than showing a partial, guessed list.
 */
async function readNetwork(network: RegisteredNetwork, address: `0x${string}`): Promise<BalanceView[]> {
  const contracts = network.assets.map(
    (asset) =>
      ({ address: asset.address, abi: erc20Abi, functionName: 'balanceOf', args: [address] }) as const,
  );
  const [native, tokens] = await Promise.all([
    network.client.getBalance({ address }),
    contracts.length === 0
      ? Promise.resolve([])
      : network.client.multicall({ contracts, allowFailure: false, multicallAddress: MULTICALL3_ADDRESS }),
  ]);
  return [
    {
      network: network.config.id,
      asset: 'native',
      symbol: NATIVE_SYMBOL,
      decimals: NATIVE_DECIMALS,
      amount: native.toString(),
    },
    ...network.assets.map((asset, index) => ({
      network: network.config.id,
      asset: asset.address,
      symbol: asset.symbol,
      decimals: asset.decimals,
      amount: (tokens[index] ?? 0n).toString(),
    })),
  ];
}
