// Goal: the API refuses to start when a configured network or asset does not match the chain
// (wrong EIP-712 name, wrong version, an EOA as asset, a chain id the RPC does not serve), with a
// NetworkVerificationError whose cause chain names the mismatch, records nothing, and leaves no
// database session open; a correct file boots and mirrors its networks and assets into the database.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '@proco/config';
import { anvilDevAccount } from '@proco/evm';
import { PrismaService } from '@proco/persistence';
import pg from 'pg';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NetworkVerificationError } from '../../apps/api/src/networks/networks.errors';
import { createApiApplication } from '../../apps/api/src/setup-application';
import { createTestDatabase, type TestDatabase } from '../support/database';

const CAUSE_CHAIN_DEPTH_MAX = 16;

interface AssetEntry {
  address: string;
  symbol: string;
  decimals: number;
  eip712: { name: string; version: string };
}

let directory: string;
let database: TestDatabase;

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'proco-networks-'));
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

function goodAsset(): AssetEntry {
  return {
    address: inject('tokenAddress'),
    symbol: 'USDC',
    decimals: 6,
    eip712: { name: 'USDC', version: '2' },
  };
}

/** Writes a one-network file pointing at the run's anvil chain and returns its path. */
function writeNetworksFile(params: { id?: string; name?: string; asset?: AssetEntry }): string {
  const file = path.join(directory, `networks-${randomUUID()}.json`);
  const network = {
    id: params.id ?? `eip155:${inject('chainId')}`,
    name: params.name ?? 'Registry test anvil',
    rpcUrl: inject('rpcUrl'),
    confirmations: 1,
    local: true,
    assets: [params.asset ?? goodAsset()],
  };
  writeFileSync(file, JSON.stringify({ networks: [network] }));
  return file;
}

function configFor(networksFile: string) {
  return loadConfig({
    environment: {
      PROCO_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      PROCO_REDIS_PREFIX: `proco-test-${randomUUID().slice(0, 8)}`,
      PROCO_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      PROCO_NETWORKS_FILE: networksFile,
      PROCO_LOG_LEVEL: 'silent',
      PROCO_DATABASE_POOL_SIZE: '2',
    },
  });
}

/** Boots the API on the file; returns the boot error (the app is closed either way). */
async function bootError(networksFile: string): Promise<unknown> {
  const app = await createApiApplication(configFor(networksFile));
  try {
    await app.init();
    return undefined;
  } catch (error: unknown) {
    return error;
  } finally {
    await app.close();
  }
}

/** The errors of a cause chain, outermost first. */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < CAUSE_CHAIN_DEPTH_MAX && current !== undefined; depth += 1) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

function codesOf(error: unknown): unknown[] {
  return causeChain(error).map((link) =>
    typeof link === 'object' && link !== null && 'code' in link ? link.code : undefined,
  );
}

async function sessionsOnDatabase(): Promise<number> {
  const client = new pg.Client({ connectionString: database.url.replace(/\/[^/]+$/, '/postgres') });
  await client.connect();
  try {
    const result = await client.query<{ count: string }>(
      'SELECT count(*) AS count FROM pg_stat_activity WHERE datname = $1',
      [database.name],
    );
    return Number(result.rows[0]?.count ?? 0);
  } finally {
    await client.end();
  }
}

async function recordedRows() {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const networks = await client.query('SELECT id, chain_id, name, confirmations FROM networks ORDER BY id');
    const assets = await client.query(
      'SELECT network_id, address, symbol, decimals, domain_name, domain_version, verified_at FROM assets',
    );
    return { networks: networks.rows, assets: assets.rows };
  } finally {
    await client.end();
  }
}

describe('network verification at boot', () => {
  const tokenAddress = () => getAddress(inject('tokenAddress'));
  const cases = [
    {
      name: 'a wrong EIP-712 name',
      file: () =>
        writeNetworksFile({ asset: { ...goodAsset(), eip712: { name: 'USD Coin', version: '2' } } }),
      codes: ['network_verification_failed', 'asset_domain_mismatch'],
      differences: [{ field: 'name', expected: 'USD Coin', actual: 'USDC' }],
    },
    {
      name: 'a wrong EIP-712 version',
      file: () => writeNetworksFile({ asset: { ...goodAsset(), eip712: { name: 'USDC', version: '1' } } }),
      codes: ['network_verification_failed', 'asset_domain_mismatch'],
      differences: [{ field: 'version', expected: '1', actual: '2' }],
    },
    {
      name: 'an EOA as asset',
      file: () =>
        writeNetworksFile({ asset: { ...goodAsset(), address: anvilDevAccount({ index: 9 }).address } }),
      codes: ['network_verification_failed', 'asset_not_contract'],
      differences: undefined,
    },
  ];

  for (const testCase of cases) {
    it(`refuses to start with ${testCase.name}`, async () => {
      const error = await bootError(testCase.file());
      expect(error).toBeInstanceOf(NetworkVerificationError);
      expect(codesOf(error)).toEqual(testCase.codes);
      const [, cause] = causeChain(error);
      if (testCase.differences !== undefined) {
        expect(cause).toMatchObject({ address: tokenAddress(), differences: testCase.differences });
      } else {
        expect(cause).toMatchObject({ address: anvilDevAccount({ index: 9 }).address });
      }
      expect((error as Error).message).toContain(`eip155:${inject('chainId')} asset USDC`);
    });
  }

  it('refuses to start when the RPC serves another chain than the network id names', async () => {
    const error = await bootError(writeNetworksFile({ id: 'eip155:1' }));
    expect(error).toBeInstanceOf(NetworkVerificationError);
    expect(codesOf(error)).toEqual(['network_verification_failed']);
    expect((error as Error).message).toContain(`eip155:1: the RPC at `);
    expect((error as Error).message).toContain(`serves chain ${inject('chainId')}, expected 1`);
    // The RPC URL is shown without path or query, where providers put API keys.
    expect((error as Error).message).toContain(new URL(inject('rpcUrl')).host);
  });

  it('records nothing and leaves no database session open after the failed boots', async () => {
    expect(await recordedRows()).toEqual({ networks: [], assets: [] });
    expect(await sessionsOnDatabase()).toBe(0);
  });

  it('records the networks and assets of a correct file, updating them on the next boot', async () => {
    const chainId = inject('chainId');
    for (const name of ['Registry test anvil', 'Renamed anvil']) {
      const app: NestExpressApplication = await createApiApplication(configFor(writeNetworksFile({ name })));
      try {
        await app.init();
        expect(await app.get(PrismaService).network.count()).toBe(1);
        // Sanity for the session checks: a running app does hold sessions on the database.
        expect(await sessionsOnDatabase()).toBeGreaterThan(0);
      } finally {
        await app.close();
      }
    }
    const rows = await recordedRows();
    expect(rows.networks).toEqual([
      { id: `eip155:${chainId}`, chain_id: chainId, name: 'Renamed anvil', confirmations: 1 },
    ]);
    expect(rows.assets).toEqual([
      {
        network_id: `eip155:${chainId}`,
        address: tokenAddress(),
        symbol: 'USDC',
        decimals: 6,
        domain_name: 'USDC',
        domain_version: '2',
        verified_at: expect.any(Date),
      },
    ]);
    expect(Date.now() - (rows.assets[0]?.verified_at as Date).getTime()).toBeLessThan(60_000);
    expect(await sessionsOnDatabase()).toBe(0);
  });
});
