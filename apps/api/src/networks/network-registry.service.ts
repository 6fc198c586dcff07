import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type AssetConfig, InjectConfig, type NetworkConfig, type ProcoConfig } from '@proco/config';
import { verifyAssetDomain } from '@proco/evm';
import { Prisma, PrismaService } from '@proco/persistence';
import { chainIdOf } from '@proco/x402';
import { createPublicClient, getAddress, http, type PublicClient } from 'viem';
import { NetworkNotFoundError, NetworkVerificationError } from './networks.errors';

/** Attempts to reach each RPC at start-up before refusing to start. */
export const BOOT_RPC_ATTEMPTS_MAX = 5;
export const BOOT_RPC_RETRY_DELAY_MS = 1_000;
/** Attempts to record a network when replicas booting together race on its first insert. */
export const NETWORK_RECORD_ATTEMPTS_MAX = 3;

/** A configured network with its client; assets carry checksummed addresses. */
export interface RegisteredNetwork {
  readonly config: NetworkConfig;
  readonly chainId: number;
  readonly client: PublicClient;
  readonly assets: readonly (AssetConfig & { readonly address: `0x${string}` })[];
}

/**
 * The networks and assets Proco works with. At start-up it checks each RPC's chain id and each
 * asset's EIP-712 domain against the chain, and refuses to start on a mismatch: a wrong domain
 * name is the most common cause of failed x402 payments. Verified entries are mirrored into the
 * database for foreign keys and reporting.
 */
@Injectable()
export class NetworkRegistryService implements OnApplicationBootstrap {
  private readonly logger = new Logger(NetworkRegistryService.name);
  private readonly networks: ReadonlyMap<string, RegisteredNetwork>;

  constructor(
    @InjectConfig() config: ProcoConfig,
    private readonly prisma: PrismaService,
  ) {
    this.networks = new Map(
      config.networks.map((network) => [network.id, registerNetwork(network, config.rpc.timeoutMs)] as const),
    );
  }

  list(): readonly RegisteredNetwork[] {
    return [...this.networks.values()];
  }

  /** Errors: `network_not_found`. */
  get(networkId: string): RegisteredNetwork {
    const network = this.networks.get(networkId);
    if (network === undefined) throw new NetworkNotFoundError(networkId);
    return network;
  }

  /** A configured asset of a configured network, matched case-insensitively, or `undefined`. */
  findAsset(params: { network: string; asset: string }): RegisteredNetwork['assets'][number] | undefined {
    const wanted = params.asset.toLowerCase();
    return this.networks.get(params.network)?.assets.find((asset) => asset.address.toLowerCase() === wanted);
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const network of this.networks.values()) {
      await this.verify(network);
    }
  }

  /** Verifies one network and its assets against the chain, then records them. */
  async verify(network: RegisteredNetwork): Promise<void> {
    const chainId = await withBootRetries(`${network.config.id} eth_chainId`, () =>
      network.client.getChainId(),
    );
    if (chainId !== network.chainId) {
      throw new NetworkVerificationError(
        `${network.config.id}: the RPC at ${redactUrl(network.config.rpcUrl)} serves chain ${chainId}, expected ${network.chainId}`,
      );
    }
    for (const asset of network.assets) {
      try {
        await verifyAssetDomain({
          client: network.client,
          address: asset.address,
          expectedName: asset.eip712.name,
          expectedVersion: asset.eip712.version,
          chainId: network.chainId,
        });
      } catch (error: unknown) {
        throw new NetworkVerificationError(
          `${network.config.id} asset ${asset.symbol} (${asset.address}) failed verification`,
          {
            cause: error,
          },
        );
      }
    }
    await this.record(network);
    this.logger.log({ network: network.config.id, assets: network.assets.length }, 'network verified');
  }

  private async record(network: RegisteredNetwork): Promise<void> {
    // Replicas booting together race on the first insert (Prisma's upsert reads, then inserts);
    // the loser runs again and finds the row to update.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.recordOnce(network);
        return;
      } catch (error: unknown) {
        const raced = error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
        if (!raced || attempt >= NETWORK_RECORD_ATTEMPTS_MAX) throw error;
      }
    }
  }

  private async recordOnce(network: RegisteredNetwork): Promise<void> {
    const now = new Date();
    await this.prisma.$transaction(async (tx) => {
      await tx.network.upsert({
        where: { id: network.config.id },
        create: {
          id: network.config.id,
          chainId: network.chainId,
          name: network.config.name,
          confirmations: network.config.confirmations,
        },
        update: { name: network.config.name, confirmations: network.config.confirmations },
      });
      for (const asset of network.assets) {
        const fields = {
          symbol: asset.symbol,
          decimals: asset.decimals,
          domainName: asset.eip712.name,
          domainVersion: asset.eip712.version,
          verifiedAt: now,
        };
        await tx.asset.upsert({
          where: { networkId_address: { networkId: network.config.id, address: asset.address } },
          create: { networkId: network.config.id, address: asset.address, ...fields },
          update: fields,
        });
      }
    });
  }
}

function registerNetwork(config: NetworkConfig, timeoutMs: number): RegisteredNetwork {
  const chainId = chainIdOf(config.id);
  // A bounded timeout and a single retry: callers decide how to degrade, never hang. Calls made
  // in the same tick share one JSON-RPC batch (verify reads the payer's code and simulates at once).
  const client = createPublicClient({
    transport: http(config.rpcUrl, { timeout: timeoutMs, retryCount: 1, batch: { wait: 0 } }),
  });
  return {
    config,
    chainId,
    client,
    assets: config.assets.map((asset) => ({ ...asset, address: getAddress(asset.address) })),
  };
}

async function withBootRetries<Result>(what: string, call: () => Promise<Result>): Promise<Result> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= BOOT_RPC_ATTEMPTS_MAX; attempt += 1) {
    try {
      return await call();
    } catch (error: unknown) {
      lastError = error;
      if (attempt < BOOT_RPC_ATTEMPTS_MAX)
        await new Promise((resolve) => setTimeout(resolve, BOOT_RPC_RETRY_DELAY_MS));
    }
  }
  throw new NetworkVerificationError(`${what} failed ${BOOT_RPC_ATTEMPTS_MAX} times`, { cause: lastError });
}

/** RPC URLs often embed API keys; show only scheme and host. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(invalid url)';
  }
}
