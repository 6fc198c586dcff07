// Integration tier global setup: one anvil chain (with the test token and Multicall3) for the
// whole run, and a networks file pointing at it. Each suite creates its own database and Redis
// key prefix, so suites and concurrent runs never collide.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, startLocalChain } from '@proco/evm';
import { type TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    rpcUrl: string;
    chainId: number;
    tokenAddress: string;
    networksFile: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const chain = await startLocalChain({ port: await findFreePort() });
  const directory = mkdtempSync(join(tmpdir(), 'proco-test-'));
  const networksFile = join(directory, 'networks.json');
  writeFileSync(
    networksFile,
    JSON.stringify({
      networks: [
        {
          id: `eip155:${chain.chainId}`,
          name: 'Test anvil',
          rpcUrl: chain.rpcUrl,
          confirmations: 1,
          local: true,
          assets: [
            {
              address: chain.tokenAddress,
              symbol: 'USDC',
              decimals: 6,
              eip712: { name: 'USDC', version: '2' },
              usdRate: '1',
            },
          ],
        },
      ],
    }),
  );
  project.provide('rpcUrl', chain.rpcUrl);
  project.provide('chainId', chain.chainId);
  project.provide('tokenAddress', chain.tokenAddress);
  project.provide('networksFile', networksFile);
  return async () => {
    await chain.stop();
    rmSync(directory, { recursive: true, force: true });
  };
}
