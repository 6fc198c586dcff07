// viem clients bound to a local chain's RPC URL, for the kit's own reads, writes and anvil_* calls.
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  type PublicClient,
  type TestClient,
  type WalletClient,
} from 'viem';

// A local node answers in milliseconds; a long wait means it is gone, not slow.
const LOCAL_RPC_TIMEOUT_MS = 10_000;
// Receipts on an automining chain arrive at once; with --block-time they arrive per block.
const LOCAL_POLLING_INTERVAL_MS = 100;

/** The three clients the local chain kit uses. */
export interface LocalChainClients {
  readonly publicClient: PublicClient;
  readonly testClient: TestClient<'anvil'>;
  readonly walletClient: WalletClient;
}

export interface CreateLocalChainClientsParams {
  readonly rpcUrl: string;
}

/** Creates public, anvil test and wallet clients for `rpcUrl` (no chain object: ids come from the node). */
export function createLocalChainClients({ rpcUrl }: CreateLocalChainClientsParams): LocalChainClients {
  const transport = http(rpcUrl, { timeout: LOCAL_RPC_TIMEOUT_MS, retryCount: 0 });
  return {
    publicClient: createPublicClient({ transport, pollingInterval: LOCAL_POLLING_INTERVAL_MS }),
    testClient: createTestClient({ mode: 'anvil', transport, pollingInterval: LOCAL_POLLING_INTERVAL_MS }),
    walletClient: createWalletClient({ transport, pollingInterval: LOCAL_POLLING_INTERVAL_MS }),
  };
}
