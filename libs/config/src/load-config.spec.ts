// Goal: loadConfig turns an environment into a frozen, typed config with local defaults, creates and
// reuses a private development master key, refuses production without one, lists every bad
// setting at once, applies RPC overrides, rejects malformed or duplicated networks, and never lets
// key bytes out through JSON.stringify or util.inspect.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

import { ConfigError, type ConfigIssue } from './config.errors';
import { DEVELOPMENT_MASTER_KEY_FILE, loadConfig, type LoadConfigParams } from './load-config';

const DEFAULT_NETWORKS_FILE = 'config/networks.local.json';
const TOKEN_ADDRESS = '0x8A5E73A9e2A8B9d0D60EE4E150E9FDf030C7Bdf8';

type NetworkEntry = Record<string, unknown>;

function buildAsset(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    address: TOKEN_ADDRESS,
    symbol: 'USDC',
    decimals: 6,
    eip712: { name: 'USDC', version: '2' },
    ...overrides,
  };
}

function buildNetwork(overrides: NetworkEntry = {}): NetworkEntry {
  return {
    id: 'eip155:84532',
    name: 'Local anvil',
    rpcUrl: 'http://127.0.0.1:8545',
    confirmations: 1,
    local: true,
    assets: [buildAsset()],
    ...overrides,
  };
}

const directories: string[] = [];

/** A fresh working directory holding a networks file at the default path. */
function workingDirectory(networksFileContent: unknown = { networks: [buildNetwork()] }): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'proco-config-'));
  directories.push(directory);
  mkdirSync(path.join(directory, 'config'));
  const text =
    typeof networksFileContent === 'string' ? networksFileContent : JSON.stringify(networksFileContent);
  writeFileSync(path.join(directory, DEFAULT_NETWORKS_FILE), text);
  return directory;
}

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

const masterKey = (): string => randomBytes(32).toString('base64');

/** Runs loadConfig and returns the issues of the ConfigError it must throw. */
function issuesOf(params: LoadConfigParams): readonly ConfigIssue[] {
  try {
    loadConfig(params);
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected loadConfig to throw');
}

const variablesOf = (issues: readonly ConfigIssue[]): string[] => issues.map((issue) => issue.variable);

describe('loadConfig defaults', () => {
  it('builds the local development config from an empty environment', () => {
    const directory = workingDirectory();
    const config = loadConfig({ environment: {}, workingDirectory: directory });
    expect(config).toMatchObject({
      environment: 'development',
      api: {
        host: '127.0.0.1',
        port: 3000,
        publicUrl: 'http://127.0.0.1:3000',
        bodyLimitBytes: 64 * 1024,
        docsEnabled: true,
      },
      log: { level: 'info', file: null },
      database: { url: 'postgresql://postgres@127.0.0.1:5432/proco', poolSize: 10 },
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'proco' },
      rpc: { timeoutMs: 5_000 },
      faucet: { enabled: true },
      facilitator: { payerVerifiesPerMinute: 1_200 },
      settlement: {
        settleWaitMs: 30_000,
        batchSize: 20,
        batchWaitMs: 0,
        gasPerAuthorizationMax: 150_000,
        receiptTimeoutMs: 60_000,
      },
      webhooks: { allowPrivateHosts: false, timeoutMs: 5_000, retryBaseMs: 30_000 },
    });
    expect(config.masterKeys.source).toBe('development-file');
    expect(config.masterKeys.previous).toEqual([]);
    // The canonical Multicall3 address unless a network names another.
    expect(config.networks).toEqual([
      { ...buildNetwork(), multicall3: '0xcA11bde05977b3631167028862bE2a173976CA11' },
    ]);
  });

  it('freezes the whole config, nested objects included', () => {
    const config = loadConfig({ environment: {}, workingDirectory: workingDirectory() });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.api)).toBe(true);
    expect(Object.isFrozen(config.networks[0]?.assets[0]?.eip712)).toBe(true);
  });

  it('creates the development master key once with mode 0600 and reuses it', () => {
    const directory = workingDirectory();
    const keyFile = path.join(directory, DEVELOPMENT_MASTER_KEY_FILE);
    const first = loadConfig({ environment: {}, workingDirectory: directory });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(keyFile)).mode & 0o777).toBe(0o700);
    const stored = readFileSync(keyFile, 'utf8');
    expect(Buffer.from(stored.trim(), 'base64')).toHaveLength(32);

    const second = loadConfig({ environment: {}, workingDirectory: directory });
    expect(readFileSync(keyFile, 'utf8')).toBe(stored);
    expect(Buffer.from(second.masterKeys.active.reveal())).toEqual(
      Buffer.from(first.masterKeys.active.reveal()),
    );
    expect(Buffer.from(first.masterKeys.active.reveal()).toString('base64')).toBe(stored.trim());
  });

  it('resolves relative paths against the working directory', () => {
    const directory = workingDirectory();
    const config = loadConfig({
      environment: { PROCO_MASTER_KEY: masterKey(), PROCO_LOG_FILE: 'logs/api.log' },
      workingDirectory: directory,
    });
    expect(config.log.file).toBe(path.join(directory, 'logs/api.log'));
  });

  it.each([
    {
      scenario: 'production leaves the faucet off',
      environment: { PROCO_ENV: 'production' },
      enabled: false,
    },
    {
      scenario: 'production can turn it on explicitly',
      environment: { PROCO_ENV: 'production', PROCO_FAUCET_ENABLED: 'true' },
      enabled: true,
    },
    { scenario: 'development can turn it off', environment: { PROCO_FAUCET_ENABLED: '0' }, enabled: false },
  ])('faucet: $scenario', ({ environment, enabled }) => {
    const config = loadConfig({
      environment: { ...environment, PROCO_MASTER_KEY: masterKey() },
      workingDirectory: workingDirectory(),
    });
    expect(config.faucet.enabled).toBe(enabled);
  });
});

describe('loadConfig master keys', () => {
  it('refuses production without a master key, and writes no development key', () => {
    const directory = workingDirectory();
    const issues = issuesOf({ environment: { PROCO_ENV: 'production' }, workingDirectory: directory });
    expect(issues).toEqual([
      { variable: 'PROCO_MASTER_KEY', message: 'required in production (or PROCO_MASTER_KEY_FILE)' },
    ]);
    expect(() => statSync(path.join(directory, DEVELOPMENT_MASTER_KEY_FILE))).toThrow(/ENOENT/);
  });

  it('reads the active key from a file and previous keys from a list', () => {
    const directory = workingDirectory();
    const active = masterKey();
    const previous = [masterKey(), masterKey()];
    writeFileSync(path.join(directory, 'master.key'), `${active}\n`);
    const config = loadConfig({
      environment: {
        PROCO_ENV: 'production',
        PROCO_MASTER_KEY_FILE: 'master.key',
        PROCO_PREVIOUS_MASTER_KEYS: ` ${previous[0]} ,${previous[1]},`,
      },
      workingDirectory: directory,
    });
    expect(config.masterKeys.source).toBe('file');
    expect(Buffer.from(config.masterKeys.active.reveal()).toString('base64')).toBe(active);
    expect(config.masterKeys.previous.map((key) => Buffer.from(key.reveal()).toString('base64'))).toEqual(
      previous,
    );
  });

  it.each([
    {
      scenario: 'not base64',
      environment: { PROCO_MASTER_KEY: 'not base64!' },
      issue: { variable: 'PROCO_MASTER_KEY', message: 'must be base64 of 32 random bytes' },
    },
    {
      scenario: 'too short',
      environment: { PROCO_MASTER_KEY: randomBytes(16).toString('base64') },
      issue: { variable: 'PROCO_MASTER_KEY', message: 'must decode to 32 bytes (got 16)' },
    },
    {
      scenario: 'both a key and a key file',
      environment: { PROCO_MASTER_KEY: masterKey(), PROCO_MASTER_KEY_FILE: 'master.key' },
      issue: {
        variable: 'PROCO_MASTER_KEY',
        message: 'set PROCO_MASTER_KEY or PROCO_MASTER_KEY_FILE, not both',
      },
    },
    {
      scenario: 'a missing key file',
      environment: { PROCO_MASTER_KEY_FILE: 'missing.key' },
      issue: {
        variable: 'PROCO_MASTER_KEY_FILE',
        message: expect.stringMatching(/^file not found: .*missing\.key$/),
      },
    },
    {
      scenario: 'a bad previous key',
      environment: { PROCO_MASTER_KEY: masterKey(), PROCO_PREVIOUS_MASTER_KEYS: `${masterKey()},c2hvcnQ=` },
      issue: { variable: 'PROCO_PREVIOUS_MASTER_KEYS', message: 'must decode to 32 bytes (got 5)' },
    },
  ])('rejects $scenario', ({ environment, issue }) => {
    expect(issuesOf({ environment, workingDirectory: workingDirectory() })).toEqual([issue]);
  });
});

describe('loadConfig issues', () => {
  it('lists every invalid variable of the environment at once', () => {
    const issues = issuesOf({
      environment: {
        PROCO_ENV: 'staging',
        PROCO_API_PORT: 'eighty',
        PROCO_LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://localhost/proco',
        REDIS_URL: 'http://localhost:6379',
        PROCO_REDIS_PREFIX: 'has spaces',
        PROCO_DATABASE_POOL_SIZE: '0',
        PROCO_FAUCET_ENABLED: 'yes',
      },
      workingDirectory: workingDirectory(),
    });
    expect(new Set(variablesOf(issues))).toEqual(
      new Set([
        'PROCO_ENV',
        'PROCO_API_PORT',
        'PROCO_LOG_LEVEL',
        'DATABASE_URL',
        'REDIS_URL',
        'PROCO_REDIS_PREFIX',
        'PROCO_DATABASE_POOL_SIZE',
        'PROCO_FAUCET_ENABLED',
      ]),
    );
  });

  it('lists key and networks problems together', () => {
    const issues = issuesOf({
      environment: {
        PROCO_MASTER_KEY: 'c2hvcnQ=',
        PROCO_PREVIOUS_MASTER_KEYS: 'nope!',
        PROCO_NETWORKS_FILE: 'missing.json',
      },
      workingDirectory: workingDirectory(),
    });
    expect(variablesOf(issues)).toEqual([
      'PROCO_PREVIOUS_MASTER_KEYS',
      'PROCO_MASTER_KEY',
      'PROCO_NETWORKS_FILE',
    ]);
  });

  // One invalid variable must not hide the key and networks-file problems behind it.
  it('lists schema, key and networks problems in one error', () => {
    const issues = issuesOf({
      environment: {
        PROCO_API_PORT: 'eighty',
        PROCO_MASTER_KEY: 'c2hvcnQ=',
        PROCO_NETWORKS_FILE: 'missing.json',
      },
      workingDirectory: workingDirectory(),
    });
    expect(variablesOf(issues)).toEqual(['PROCO_API_PORT', 'PROCO_MASTER_KEY', 'PROCO_NETWORKS_FILE']);
  });

  it('names every problem in the error message', () => {
    const error = (() => {
      try {
        return loadConfig({
          environment: { PROCO_API_PORT: '-1', PROCO_LOG_LEVEL: 'loud' },
          workingDirectory: workingDirectory(),
        });
      } catch (thrown: unknown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('config_invalid');
    expect((error as ConfigError).message).toMatch(/^Invalid configuration \(2 problems\):/);
    expect((error as ConfigError).message).toContain('  - PROCO_API_PORT: ');
    expect((error as ConfigError).message).toContain('  - PROCO_LOG_LEVEL: ');
  });
});

describe('loadConfig failpoints', () => {
  it('reads named failpoints with their action, and none by default', () => {
    const config = loadConfig({
      environment: { PROCO_FAILPOINTS: 'settlement.afterPersist:crash,settlement.afterReceipt:error' },
      workingDirectory: workingDirectory(),
    });
    expect([...config.failpoints]).toEqual([
      ['settlement.afterPersist', 'crash'],
      ['settlement.afterReceipt', 'error'],
    ]);
    expect(loadConfig({ environment: {}, workingDirectory: workingDirectory() }).failpoints.size).toBe(0);
  });

  it.each(['settlement.afterPersist', 'a:explode', ':crash', 'a:crash,,b:error'])(
    'refuses the malformed list %j',
    (value) => {
      const issues = issuesOf({
        environment: { PROCO_FAILPOINTS: value },
        workingDirectory: workingDirectory(),
      });
      expect(variablesOf(issues)).toContain('PROCO_FAILPOINTS');
    },
  );

  it('refuses failpoints in production', () => {
    const issues = issuesOf({
      environment: { PROCO_ENV: 'production', PROCO_FAILPOINTS: 'settlement.afterPersist:crash' },
      workingDirectory: workingDirectory(),
    });
    expect(issues).toContainEqual({
      variable: 'PROCO_FAILPOINTS',
      message: 'failpoints are for tests; refused in production',
    });
  });
});

describe('loadConfig networks', () => {
  it('overrides a network RPC URL from PROCO_RPC_URL_EIP155_<id>', () => {
    const config = loadConfig({
      environment: { PROCO_MASTER_KEY: masterKey(), PROCO_RPC_URL_EIP155_84532: 'http://anvil:8545' },
      workingDirectory: workingDirectory({
        networks: [
          buildNetwork(),
          buildNetwork({ id: 'eip155:1', rpcUrl: 'https://mainnet.example', assets: [] }),
        ],
      }),
    });
    expect(config.networks.map((network) => [network.id, network.rpcUrl])).toEqual([
      ['eip155:84532', 'http://anvil:8545'],
      ['eip155:1', 'https://mainnet.example'],
    ]);
  });

  it('rejects an RPC override that is not an http(s) URL', () => {
    const issues = issuesOf({
      environment: { PROCO_MASTER_KEY: masterKey(), PROCO_RPC_URL_EIP155_84532: 'ftp://anvil' },
      workingDirectory: workingDirectory(),
    });
    expect(issues).toEqual([{ variable: 'PROCO_RPC_URL_EIP155_84532', message: 'must be an http(s) URL' }]);
  });

  it.each([
    {
      scenario: 'a file that is not JSON',
      content: '{"networks": [',
      variables: ['PROCO_NETWORKS_FILE'],
    },
    {
      scenario: 'no networks',
      content: { networks: [] },
      variables: ['PROCO_NETWORKS_FILE networks'],
    },
    {
      scenario: 'an unknown top-level field',
      content: { networks: [buildNetwork()], extra: true },
      // Root-level issues are labelled with a trailing space today; either label names the file.
      variables: [expect.stringMatching(/^PROCO_NETWORKS_FILE ?$/)],
    },
    {
      scenario: 'a network id that is not CAIP-2 eip155',
      content: { networks: [buildNetwork({ id: 'base-sepolia' })] },
      variables: ['PROCO_NETWORKS_FILE networks.0.id'],
    },
    {
      scenario: 'a malformed asset address and a missing EIP-712 version',
      content: {
        networks: [buildNetwork({ assets: [buildAsset({ address: '0x1234', eip712: { name: 'USDC' } })] })],
      },
      variables: [
        'PROCO_NETWORKS_FILE networks.0.assets.0.address',
        'PROCO_NETWORKS_FILE networks.0.assets.0.eip712.version',
      ],
    },
    {
      scenario: 'a duplicate network',
      content: { networks: [buildNetwork(), buildNetwork({ name: 'Again' })] },
      variables: ['PROCO_NETWORKS_FILE networks.1.id'],
    },
    {
      scenario: 'a duplicate asset, differing only in address case',
      content: {
        networks: [
          buildNetwork({
            assets: [buildAsset(), buildAsset({ address: TOKEN_ADDRESS.toLowerCase(), symbol: 'USDC2' })],
          }),
        ],
      },
      variables: ['PROCO_NETWORKS_FILE networks.0.assets.1.address'],
    },
  ])('rejects $scenario', ({ content, variables }) => {
    const issues = issuesOf({
      environment: { PROCO_MASTER_KEY: masterKey() },
      workingDirectory: workingDirectory(content),
    });
    expect(variablesOf(issues)).toEqual(variables);
  });

  it('says which duplicate it found', () => {
    const network = issuesOf({
      environment: { PROCO_MASTER_KEY: masterKey() },
      workingDirectory: workingDirectory({ networks: [buildNetwork(), buildNetwork()] }),
    });
    expect(network).toEqual([
      { variable: 'PROCO_NETWORKS_FILE networks.1.id', message: 'duplicate network' },
    ]);
    const asset = issuesOf({
      environment: { PROCO_MASTER_KEY: masterKey() },
      workingDirectory: workingDirectory({
        networks: [buildNetwork({ assets: [buildAsset(), buildAsset()] })],
      }),
    });
    expect(asset).toEqual([
      { variable: 'PROCO_NETWORKS_FILE networks.0.assets.1.address', message: 'duplicate asset' },
    ]);
  });

  it('refuses a networks file larger than 256 KiB', () => {
    const padding = ' '.repeat(256 * 1024);
    const issues = issuesOf({
      environment: { PROCO_MASTER_KEY: masterKey() },
      workingDirectory: workingDirectory(`${JSON.stringify({ networks: [buildNetwork()] })}${padding}`),
    });
    expect(issues).toEqual([
      { variable: 'PROCO_NETWORKS_FILE', message: expect.stringContaining('file is larger than 256 KiB') },
    ]);
  });
});

describe('loadConfig secrets', () => {
  it('never renders master key bytes through JSON.stringify or util.inspect of the config', () => {
    const active = randomBytes(32);
    const previous = randomBytes(32);
    const config = loadConfig({
      environment: {
        PROCO_MASTER_KEY: active.toString('base64'),
        PROCO_PREVIOUS_MASTER_KEYS: previous.toString('base64'),
      },
      workingDirectory: workingDirectory(),
    });
    const renderings = [
      JSON.stringify(config),
      inspect(config, { depth: Infinity, showHidden: true, getters: true }),
      String(config.masterKeys.active),
      `${config.masterKeys.previous.join(',')}`,
    ];
    for (const key of [active, previous]) {
      const needles = [key.toString('base64'), key.toString('base64url'), key.toString('hex')];
      for (const rendering of renderings) {
        for (const needle of needles) expect(rendering.toLowerCase()).not.toContain(needle.toLowerCase());
      }
      // Sanity: the search would find the key had it been rendered.
      expect(`x${key.toString('hex')}x`.toLowerCase()).toContain(key.toString('hex'));
    }
    expect(JSON.parse(JSON.stringify(config)).masterKeys).toEqual({
      active: '[redacted]',
      previous: ['[redacted]'],
      source: 'environment',
    });
    expect(renderings[1]).toContain('[redacted]');
    // The bytes are still there for the key code, through reveal() only.
    expect(Buffer.from(config.masterKeys.active.reveal())).toEqual(active);
    expect(config.masterKeys.active.length).toBe(32);
  });
});
