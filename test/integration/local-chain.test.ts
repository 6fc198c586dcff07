// Goal: the local chain kit starts a private anvil with the token at its fixed CREATE2 address and
// Multicall3 at the canonical one, funds accounts without keys, reads token domains (and refuses
// non-tokens), and stops cleanly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AssetDomainMismatchError,
  AssetDomainUnreadableError,
  AssetNotContractError,
  LOCAL_TEST_USD_ADDRESS,
  LocalChainError,
  MULTICALL3_ADDRESS,
  anvilDevAccount,
  deployLocalContracts,
  findFreePort,
  isPortFree,
  mintTestTokens,
  multicall3Abi,
  readTokenDomain,
  setNativeBalance,
  startLocalChain,
  testUsdAbi,
  verifyAssetDomain,
  type LocalChain,
} from '@proco/evm';
import {
  concat,
  createPublicClient,
  createTestClient,
  encodeFunctionData,
  decodeFunctionResult,
  http,
  parseEther,
  size,
  stringToHex,
  padHex,
  numberToHex,
  type Hex,
  type PublicClient,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const recipient = anvilDevAccount({ index: 4 }).address;
const emptyAccount = '0x000000000000000000000000000000000000dEaD' as const;

let chain: LocalChain;
let publicClient: PublicClient;

// Runtime code that answers every call with the ABI encoding of the string "USDC". It stands in for
// a token without EIP-5267: `eip712Domain()` gets data too short to decode, `name()` and `version()`
// both decode to "USDC". Layout: CODECOPY the 96 bytes after the 12-byte prologue, RETURN them.
function alwaysUsdcStringCode(): Hex {
  const encoded = concat([
    numberToHex(32, { size: 32 }),
    numberToHex(4, { size: 32 }),
    padHex(stringToHex('USDC'), { dir: 'right', size: 32 }),
  ]);
  const prologue = concat([
    '0x6060', // PUSH1 96: length
    '0x600c', // PUSH1 12: offset of the data in the code
    '0x6000', // PUSH1 0: memory destination
    '0x39', // CODECOPY
    '0x6060', // PUSH1 96
    '0x6000', // PUSH1 0
    '0xf3', // RETURN
  ]);
  expect(size(prologue)).toBe(12);
  return concat([prologue, encoded]);
}

beforeAll(async () => {
  chain = await startLocalChain({ port: await findFreePort() });
  publicClient = createPublicClient({ transport: http(chain.rpcUrl), pollingInterval: 50 });
});

afterAll(async () => {
  await chain?.stop();
});

describe('startLocalChain', () => {
  it('deploys the token at the fixed CREATE2 address and Multicall3 at the canonical address', async () => {
    expect(chain.tokenAddress).toBe(LOCAL_TEST_USD_ADDRESS);
    expect(chain.multicallAddress).toBe(MULTICALL3_ADDRESS);
    expect(chain.chainId).toBe(84532);
    expect(await publicClient.getChainId()).toBe(84532);
    expect(await publicClient.getCode({ address: chain.tokenAddress })).not.toBe(undefined);
    expect(await publicClient.getCode({ address: MULTICALL3_ADDRESS })).not.toBe(undefined);
  });

  it('is idempotent when attaching to a chain that already has the contracts', async () => {
    expect(await deployLocalContracts({ rpcUrl: chain.rpcUrl })).toEqual({
      tokenAddress: LOCAL_TEST_USD_ADDRESS,
      multicallAddress: MULTICALL3_ADDRESS,
      tokenDeployed: false,
      multicallInstalled: false,
    });
  });

  it('refuses a port that is already taken, and frees its own port on stop', async () => {
    const port = Number(new URL(chain.rpcUrl).port);
    await expect(startLocalChain({ port })).rejects.toMatchObject({ code: 'local_chain_port_in_use' });

    const second = await startLocalChain({ port: await findFreePort(), chainId: 31337, blockTimeSeconds: 1 });
    const secondPort = Number(new URL(second.rpcUrl).port);
    expect(second.tokenAddress).toBe(LOCAL_TEST_USD_ADDRESS);
    expect(await isPortFree({ host: '127.0.0.1', port: secondPort })).toBe(false);
    await second.stop();
    await second.stop();
    expect(await isPortFree({ host: '127.0.0.1', port: secondPort })).toBe(true);
    expect(() => process.kill(second.pid, 0)).toThrow();
  });

  it('reports a failed start with the output of the process', async () => {
    // A stand-in binary that fails the way anvil does when it cannot start: a message on stderr.
    const directory = mkdtempSync(path.join(tmpdir(), 'proco-anvil-'));
    const fakeAnvil = path.join(directory, 'anvil');
    writeFileSync(fakeAnvil, '#!/bin/sh\necho "error: simulated start failure" >&2\nexit 3\n', {
      mode: 0o755,
    });
    try {
      const failure = await startLocalChain({ port: await findFreePort(), anvilBinaryPath: fakeAnvil }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(LocalChainError);
      expect(failure).toMatchObject({ code: 'local_chain_start_failed' });
      expect((failure as Error).message).toContain('error: simulated start failure');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('reports a missing binary as a failed start', async () => {
    await expect(
      startLocalChain({ port: await findFreePort(), anvilBinaryPath: '/nonexistent/anvil' }),
    ).rejects.toMatchObject({ code: 'local_chain_start_failed' });
  });

  it.each([
    { scenario: 'port 0', params: { port: 0 } },
    { scenario: 'fractional chain id', params: { port: 1, chainId: 1.5 } },
    { scenario: 'negative block time', params: { port: 1, blockTimeSeconds: -1 } },
  ])('rejects $scenario before spawning', async ({ params }) => {
    await expect(startLocalChain(params)).rejects.toThrow(RangeError);
  });
});

describe('Multicall3 at the canonical address', () => {
  it('answers getBlockNumber and aggregate', async () => {
    const blockNumber = await publicClient.getBlockNumber();
    expect(
      await publicClient.readContract({
        address: MULTICALL3_ADDRESS,
        abi: multicall3Abi,
        functionName: 'getBlockNumber',
      }),
    ).toBe(blockNumber);

    // Multicall3's batch functions are payable (as upstream), so viem reaches them through simulation.
    const {
      result: [aggregateBlock, returnData],
    } = await publicClient.simulateContract({
      address: MULTICALL3_ADDRESS,
      abi: multicall3Abi,
      functionName: 'aggregate',
      args: [
        [
          {
            target: chain.tokenAddress,
            callData: encodeFunctionData({ abi: testUsdAbi, functionName: 'decimals' }),
          },
        ],
      ],
    });
    expect(aggregateBlock).toBe(blockNumber);
    expect(
      returnData.map((data) => decodeFunctionResult({ abi: testUsdAbi, functionName: 'decimals', data })),
    ).toEqual([6]);
  });

  it('reports per-call failures from tryAggregate (the facilitator diagnosis shape)', async () => {
    const { result: results } = await publicClient.simulateContract({
      address: MULTICALL3_ADDRESS,
      abi: multicall3Abi,
      functionName: 'tryAggregate',
      args: [
        false,
        [
          {
            target: chain.tokenAddress,
            callData: encodeFunctionData({ abi: testUsdAbi, functionName: 'name' }),
          },
          {
            target: chain.tokenAddress,
            callData: encodeFunctionData({ abi: testUsdAbi, functionName: 'version' }),
          },
          // `mint` from Multicall3 reverts: the minter is someone else.
          {
            target: chain.tokenAddress,
            callData: encodeFunctionData({ abi: testUsdAbi, functionName: 'mint', args: [recipient, 1n] }),
          },
        ],
      ],
    });
    expect(results.map((result) => result.success)).toEqual([true, true, false]);
    expect(
      decodeFunctionResult({ abi: testUsdAbi, functionName: 'name', data: results[0]!.returnData }),
    ).toBe('USDC');
    expect(
      decodeFunctionResult({ abi: testUsdAbi, functionName: 'version', data: results[1]!.returnData }),
    ).toBe('2');
  });

  it('serves viem multicall through aggregate3, including allowed failures', async () => {
    const results = await publicClient.multicall({
      multicallAddress: MULTICALL3_ADDRESS,
      contracts: [
        { address: chain.tokenAddress, abi: testUsdAbi, functionName: 'decimals' },
        { address: chain.tokenAddress, abi: testUsdAbi, functionName: 'mint', args: [recipient, 1n] },
      ],
    });
    expect(results[0]).toEqual({ status: 'success', result: 6 });
    expect(results[1]?.status).toBe('failure');
  });

  it('reverts aggregate3 when a call that may not fail fails', async () => {
    await expect(
      publicClient.simulateContract({
        address: MULTICALL3_ADDRESS,
        abi: multicall3Abi,
        functionName: 'aggregate3',
        args: [
          [
            {
              target: chain.tokenAddress,
              allowFailure: false,
              callData: encodeFunctionData({ abi: testUsdAbi, functionName: 'mint', args: [recipient, 1n] }),
            },
          ],
        ],
      }),
    ).rejects.toThrow('Multicall3: call failed');
  });
});

describe('faucet helpers', () => {
  it('mints test USD without any private key and returns the transaction hash', async () => {
    const before = await publicClient.readContract({
      address: chain.tokenAddress,
      abi: testUsdAbi,
      functionName: 'balanceOf',
      args: [recipient],
    });
    const hash = await mintTestTokens({
      rpcUrl: chain.rpcUrl,
      tokenAddress: chain.tokenAddress,
      to: recipient,
      amountAtomic: 1_500_000n,
    });
    expect((await publicClient.getTransactionReceipt({ hash })).status).toBe('success');
    expect(
      await publicClient.readContract({
        address: chain.tokenAddress,
        abi: testUsdAbi,
        functionName: 'balanceOf',
        args: [recipient],
      }),
    ).toBe(before + 1_500_000n);
  });

  it('sets a native balance', async () => {
    await setNativeBalance({ rpcUrl: chain.rpcUrl, address: emptyAccount, amountWei: parseEther('3') });
    expect(await publicClient.getBalance({ address: emptyAccount })).toBe(parseEther('3'));
  });
});

describe('readTokenDomain and verifyAssetDomain', () => {
  it('reads the domain through EIP-5267', async () => {
    expect(await readTokenDomain({ client: publicClient, address: chain.tokenAddress })).toEqual({
      name: 'USDC',
      version: '2',
      chainId: chain.chainId,
      verifyingContract: chain.tokenAddress,
      source: 'eip5267',
    });
  });

  it('falls back to name() and version() when eip712Domain() is unusable', async () => {
    const legacyToken = '0x00000000000000000000000000000000000a11ce' as const;
    const testClient = createTestClient({ mode: 'anvil', transport: http(chain.rpcUrl) });
    await testClient.setCode({ address: legacyToken, bytecode: alwaysUsdcStringCode() });
    expect(await readTokenDomain({ client: publicClient, address: legacyToken })).toEqual({
      name: 'USDC',
      version: 'USDC',
      source: 'name_version',
    });
  });

  it('throws asset_not_contract for an address without code', async () => {
    const failure = await readTokenDomain({ client: publicClient, address: recipient }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(AssetNotContractError);
    expect(failure).toMatchObject({ code: 'asset_not_contract', address: recipient });
  });

  it('throws asset_domain_unreadable for a contract that is not a token', async () => {
    const failure = await readTokenDomain({ client: publicClient, address: MULTICALL3_ADDRESS }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(AssetDomainUnreadableError);
    expect(failure).toMatchObject({ code: 'asset_domain_unreadable' });
    expect((failure as Error).cause).toBeDefined();
  });

  it('accepts the matching configuration', async () => {
    const { domain } = await verifyAssetDomain({
      client: publicClient,
      address: chain.tokenAddress,
      expectedName: 'USDC',
      expectedVersion: '2',
      chainId: chain.chainId,
    });
    expect(domain.name).toBe('USDC');
  });

  it('names expected and actual values on a mismatch', async () => {
    const failure = await verifyAssetDomain({
      client: publicClient,
      address: chain.tokenAddress,
      expectedName: 'USD Coin',
      expectedVersion: '2',
      chainId: 8453,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AssetDomainMismatchError);
    expect(failure).toMatchObject({
      code: 'asset_domain_mismatch',
      differences: [
        { field: 'name', expected: 'USD Coin', actual: 'USDC' },
        { field: 'chainId', expected: '8453', actual: String(chain.chainId) },
      ],
    });
    expect((failure as Error).message).toContain('name expected "USD Coin", actual "USDC"');
  });

  it('propagates asset_not_contract from verifyAssetDomain', async () => {
    await expect(
      verifyAssetDomain({
        client: publicClient,
        address: emptyAccount,
        expectedName: 'USDC',
        expectedVersion: '2',
        chainId: chain.chainId,
      }),
    ).rejects.toMatchObject({ code: 'asset_not_contract' });
  });
});
