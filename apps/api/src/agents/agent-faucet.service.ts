import { Injectable } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import { mintTestTokens, setNativeBalance } from '@proco/evm';
import { AuditLogRepository, PrismaService } from '@proco/persistence';
import { type Address, getAddress, parseEther } from 'viem';
import { type OperatorPrincipal } from '../auth/principal';
import { ValidationFailedError } from '../common/api.errors';
import { FaucetUnavailableError } from '../networks/networks.errors';
import { callRpc } from '../networks/call-rpc';
import { NetworkRegistryService, type RegisteredNetwork } from '../networks/network-registry.service';
import { type FaucetRequest } from './agents.dto';
import { AgentsService } from './agents.service';

/** Default grant: 100 tokens of a 6-decimal asset, and a native balance of at least 1 ETH for gas. */
export const FAUCET_DEFAULT_AMOUNT_ATOMIC = 100_000_000n;
export const FAUCET_NATIVE_AMOUNT_WEI = parseEther('1');
/** Largest single grant, so a typo cannot mint absurd balances even on a dev chain. */
export const FAUCET_AMOUNT_MAX_ATOMIC = 10n ** 15n;

export interface FaucetResult {
  readonly network: string;
  readonly address: string;
  readonly grants: readonly {
    readonly asset: string;
    readonly symbol: string;
    readonly amount: string;
    readonly transaction: string;
  }[];
}

/**
 * Dev-only faucet: mints test tokens to an agent's wallet on a local chain. It refuses unless the
 * network is marked local in configuration and the node says it is anvil.
 */
@Injectable()
export class AgentFaucetService {
  constructor(
    @InjectConfig() private readonly config: ProcoConfig,
    private readonly agents: AgentsService,
    private readonly registry: NetworkRegistryService,
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
  ) {}

  /**
   * Errors: `faucet_unavailable`, `agent_not_found`, `network_not_found`, `validation_failed`,
   * `rpc_unavailable`.
   */
  async fund(
    operator: OperatorPrincipal,
    agentId: string,
    input: FaucetRequest,
    requestId?: string,
  ): Promise<FaucetResult> {
    if (!this.config.faucet.enabled)
      throw new FaucetUnavailableError('The faucet is disabled in this deployment.');
    const agent = await this.agents.find(operator.orgId, agentId);
    const network =
      input.network === undefined
        ? this.registry.list().find((item) => item.config.local)
        : this.registry.get(input.network);
    if (network === undefined || !network.config.local) {
      throw new FaucetUnavailableError('No local network is configured.');
    }
    const networkId = network.config.id;
    const clientVersion = await callRpc(networkId, () =>
      network.client.request({ method: 'web3_clientVersion' }),
    );
    if (!String(clientVersion).toLowerCase().startsWith('anvil')) {
      throw new FaucetUnavailableError(`${networkId} is not an anvil chain.`);
    }
    const amount = input.amount === undefined ? FAUCET_DEFAULT_AMOUNT_ATOMIC : BigInt(input.amount);
    if (amount > FAUCET_AMOUNT_MAX_ATOMIC) {
      throw new ValidationFailedError([
        { field: 'amount', message: `at most ${FAUCET_AMOUNT_MAX_ATOMIC} per grant` },
      ]);
    }
    const address = getAddress(agent.wallet?.address ?? '');
    const grants = await grantFunds({ network, address, amountAtomic: amount });
    await this.prisma.$transaction((tx) =>
      this.audit.append(tx, {
        orgId: operator.orgId,
        actor: { type: 'operator', id: operator.apiKeyId },
        action: 'agent.funded',
        subject: { type: 'agent', id: agentId },
        data: { network: networkId, grants },
        requestId,
      }),
    );
    return { network: networkId, address, grants };
  }
}

/**
 * Tops the native balance up to the faucet amount and mints the token grant of every asset. The
 * native balance is only ever raised: `anvil_setBalance` overwrites, and an agent that already
 * holds more (from an earlier grant or a transfer) must not lose it to the faucet.
 */
async function grantFunds(params: {
  network: RegisteredNetwork;
  address: Address;
  amountAtomic: bigint;
}): Promise<FaucetResult['grants'][number][]> {
  const { network, address, amountAtomic } = params;
  const networkId = network.config.id;
  const rpcUrl = network.config.rpcUrl;
  const nativeWei = await callRpc(networkId, () => network.client.getBalance({ address }));
  if (nativeWei < FAUCET_NATIVE_AMOUNT_WEI) {
    await callRpc(networkId, () =>
      setNativeBalance({ rpcUrl, address, amountWei: FAUCET_NATIVE_AMOUNT_WEI }),
    );
  }
  const grants: FaucetResult['grants'][number][] = [];
  for (const asset of network.assets) {
    const transaction = await callRpc(networkId, () =>
      mintTestTokens({ rpcUrl, tokenAddress: asset.address, to: address, amountAtomic }),
    );
    grants.push({ asset: asset.address, symbol: asset.symbol, amount: amountAtomic.toString(), transaction });
  }
  return grants;
}
