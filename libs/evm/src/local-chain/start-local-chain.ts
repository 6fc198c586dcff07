// Starts a private anvil chain with the test USD token and Multicall3 in place, for tests and dev.
import type { Address } from 'viem';
import { spawnAnvil } from './anvil-process';
import { deployLocalContracts } from './deploy-local-contracts';
import { LocalChainError } from './local-chain.errors';
import { resolveAnvilBinaryPath } from './resolve-anvil-binary';
import { isPortFree } from './tcp-port';

/** Base Sepolia's chain id, so x402 network tables (`eip155:84532`) stay meaningful locally. */
export const LOCAL_CHAIN_ID_DEFAULT = 84532;

// Loopback only: dev accounts are unlocked, so the node must never be reachable from the network.
const LOCAL_CHAIN_HOST = '127.0.0.1';

export interface StartLocalChainParams {
  readonly port: number;
  /** Defaults to `LOCAL_CHAIN_ID_DEFAULT` (84532). */
  readonly chainId?: number;
  /** Mine a block every N seconds instead of one per transaction. */
  readonly blockTimeSeconds?: number;
  /**
   * Interface to listen on; loopback by default. Only a container (docker-compose) should widen it,
   * and only on a private network: the dev accounts are unlocked.
   */
  readonly host?: string;
  /** Defaults to the binary from @foundry-rs/anvil for this platform. */
  readonly anvilBinaryPath?: string;
}

/** A running local chain; `stop()` must be called to free the port. */
export interface LocalChain {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly tokenAddress: Address;
  readonly multicallAddress: Address;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Spawns anvil on 127.0.0.1:`port`, waits for its RPC, deploys the test USD token (deterministic
 * address) and Multicall3 (canonical address).
 *
 * Throws `LocalChainError`: `anvil_binary_not_found`, `local_chain_port_in_use`,
 * `local_chain_start_failed`, `deterministic_deployer_missing`, `local_transaction_failed`.
 */
export async function startLocalChain({
  port,
  chainId = LOCAL_CHAIN_ID_DEFAULT,
  blockTimeSeconds,
  anvilBinaryPath,
  host = LOCAL_CHAIN_HOST,
}: StartLocalChainParams): Promise<LocalChain> {
  assertStartParams({ port, chainId, blockTimeSeconds });
  const binaryPath = anvilBinaryPath ?? resolveAnvilBinaryPath();
  // Without this check a second node on a busy port would die while the first one answered our probes.
  if (!(await isPortFree({ host, port }))) {
    throw new LocalChainError({
      code: 'local_chain_port_in_use',
      message: `port ${port} on ${host} is already in use`,
    });
  }

  const anvil = await spawnAnvil({
    binaryPath,
    host,
    port,
    chainId,
    ...(blockTimeSeconds === undefined ? {} : { blockTimeSeconds }),
  });
  try {
    const contracts = await deployLocalContracts({ rpcUrl: anvil.rpcUrl });
    return {
      rpcUrl: anvil.rpcUrl,
      chainId,
      tokenAddress: contracts.tokenAddress,
      multicallAddress: contracts.multicallAddress,
      pid: anvil.pid,
      stop: () => anvil.stop(),
    };
  } catch (error: unknown) {
    await anvil.stop();
    throw error;
  }
}

function assertStartParams({
  port,
  chainId,
  blockTimeSeconds,
}: {
  port: number;
  chainId: number;
  blockTimeSeconds: number | undefined;
}): void {
  // Checked here so a bad value fails with its name instead of an anvil usage dump.
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new RangeError(`port must be an integer in [1, 65535], got ${port}`);
  }
  if (!Number.isSafeInteger(chainId) || chainId < 1) {
    throw new RangeError(`chainId must be a positive integer, got ${chainId}`);
  }
  if (blockTimeSeconds !== undefined && !(Number.isFinite(blockTimeSeconds) && blockTimeSeconds > 0)) {
    throw new RangeError(`blockTimeSeconds must be a positive number, got ${blockTimeSeconds}`);
  }
}
