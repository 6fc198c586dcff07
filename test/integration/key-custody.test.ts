// Goal (canary for invariant 5): after a full operator and agent journey at trace log level, the
// canary wallet's private key, its data key and the master key appear nowhere outside libs/keys
// (HTTP responses and headers, the log file, a dump of the database, Redis, error texts), and
// credentials are stored only as digests and prefixes.
import { createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect, promisify } from 'node:util';
import { openWalletSigner, type WalletSigner } from '@proco/keys';
import { PrismaService, type Wallet } from '@proco/persistence';
import { Redis } from 'ioredis';
import pg from 'pg';
import request from 'supertest';
import { type Address, type Hex, type TypedDataDefinition, verifyTypedData } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KEYRING } from '@proco/config';
import { WalletsService } from '../../apps/api/src/wallets/wallets.service';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

const execFileAsync = promisify(execFile);

// Bounds on what the scan reads, so a runaway log or dump fails loudly instead of exhausting memory.
const DUMP_SIZE_MAX_BYTES = 64 * 1024 * 1024;
const REDIS_SCAN_COUNT = 500;
const CAUSE_CHAIN_DEPTH_MAX = 16;

/** One rendering of a secret to search for; hex is matched case-insensitively. */
interface Needle {
  readonly label: string;
  readonly text: string;
  readonly ignoreCase: boolean;
}

/** One secret: its raw bytes (for binary scans) and every text rendering of it. */
interface Secret {
  readonly label: string;
  readonly bytes: Buffer;
  readonly needles: readonly Needle[];
}

function secretOf(label: string, bytes: Buffer): Secret {
  const hex = bytes.toString('hex');
  const needles: Needle[] = [
    { label: `${label} hex`, text: hex, ignoreCase: true },
    { label: `${label} 0x-hex`, text: `0x${hex}`, ignoreCase: true },
    { label: `${label} base64`, text: bytes.toString('base64'), ignoreCase: false },
    { label: `${label} base64url`, text: bytes.toString('base64url'), ignoreCase: false },
  ];
  return { label, bytes, needles };
}

function credentialSecret(label: string, secret: string): Secret {
  return {
    label,
    bytes: Buffer.from(secret, 'utf8'),
    needles: [{ label, text: secret, ignoreCase: false }],
  };
}

/** The labels of every needle found in the haystack. */
function leaksIn(haystack: string, secrets: readonly Secret[]): string[] {
  const lowered = haystack.toLowerCase();
  return secrets
    .flatMap((secret) => secret.needles)
    .filter((needle) =>
      needle.ignoreCase ? lowered.includes(needle.text.toLowerCase()) : haystack.includes(needle.text),
    )
    .map((needle) => needle.label);
}

/**
 * Checks one source: nothing found in it, and every needle (in upper case too, for hex) would have
 * been found had it been there, so an empty or unreadable source cannot pass vacuously.
 */
function expectNoLeak(source: string, haystack: string, secrets: readonly Secret[]): void {
  expect(haystack.length, `${source} is empty`).toBeGreaterThan(0);
  expect(leaksIn(haystack, secrets), source).toEqual([]);
  const middle = Math.floor(haystack.length / 2);
  for (const secret of secrets) {
    for (const needle of secret.needles) {
      const planted = needle.ignoreCase ? needle.text.toUpperCase() : needle.text;
      const synthetic = `${haystack.slice(0, middle)}${planted}${haystack.slice(middle)}`;
      expect(leaksIn(synthetic, [secret]), `sanity: ${needle.label} in ${source}`).toContain(needle.label);
    }
  }
}

/** Decrypts a v1 envelope exactly as libs/keys/src/envelope.ts documents it, with node:crypto only. */
function openV1Envelope(params: { key: Uint8Array; envelope: Uint8Array; associatedData: string }): Buffer {
  const envelope = Buffer.from(params.envelope);
  expect(envelope[0]).toBe(1);
  const decipher = createDecipheriv('aes-256-gcm', params.key, envelope.subarray(1, 13));
  decipher.setAAD(Buffer.from(params.associatedData, 'utf8'));
  decipher.setAuthTag(envelope.subarray(envelope.length - 16));
  return Buffer.concat([decipher.update(envelope.subarray(13, envelope.length - 16)), decipher.final()]);
}

/** The wallet's data key and private key, decrypted from its row (wallet-binding.ts associated data). */
function revealWalletKeys(params: { masterKey: Buffer; wallet: Wallet }) {
  const { wallet } = params;
  const associatedData = (purpose: string): string =>
    JSON.stringify(['proco-keys', '1', purpose, wallet.orgId, wallet.id]);
  const dataKey = openV1Envelope({
    key: params.masterKey,
    envelope: wallet.dataKeyCiphertext,
    associatedData: associatedData('wallet_data_key'),
  });
  const privateKey = openV1Envelope({
    key: dataKey,
    envelope: wallet.keyCiphertext,
    associatedData: associatedData('wallet_private_key'),
  });
  return { dataKey, privateKey };
}

/** Everything an error can render: message, stack, JSON and inspect, along its whole cause chain. */
function errorText(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: 20, showHidden: true })];
  let current: unknown = error;
  for (let depth = 0; depth < CAUSE_CHAIN_DEPTH_MAX && current !== undefined; depth += 1) {
    if (current instanceof Error) {
      parts.push(current.name, current.message, current.stack ?? '', JSON.stringify(current));
    } else {
      parts.push(inspect(current, { depth: 20, showHidden: true }));
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

async function thrownBy(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected the call to throw');
}

function transferTypedData(params: { from: Address; verifyingContract: Address }): TypedDataDefinition {
  return {
    domain: {
      name: 'USDC',
      version: '2',
      chainId: inject('chainId'),
      verifyingContract: params.verifyingContract,
    },
    types: {
      TransferWithAuthorization: [
        { name: 'from', type: 'address' },
        { name: 'to', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'validAfter', type: 'uint256' },
        { name: 'validBefore', type: 'uint256' },
        { name: 'nonce', type: 'bytes32' },
      ],
    },
    primaryType: 'TransferWithAuthorization',
    message: {
      from: params.from,
      to: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
      value: 10_000n,
      validAfter: 0n,
      validBefore: 4_000_000_000n,
      nonce: `0x${randomBytes(32).toString('hex')}`,
    },
  };
}

/** `pg_dump --data-only` of the test database: every row of every table, bytea as hex. */
async function dumpDatabase(databaseUrl: string): Promise<string> {
  const { stdout } = await execFileAsync('pg_dump', ['--data-only', '--no-owner', '--dbname', databaseUrl], {
    maxBuffer: DUMP_SIZE_MAX_BYTES,
  });
  return stdout;
}

/** Every value of every public table, raw: bytea columns come back as Buffers. */
async function readAllRows(databaseUrl: string): Promise<Map<string, Record<string, unknown>[]>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    const rows = new Map<string, Record<string, unknown>[]>();
    for (const { table_name: table } of tables.rows) {
      const result = await client.query<Record<string, unknown>>(`SELECT * FROM "${table}"`);
      rows.set(table, result.rows);
    }
    return rows;
  } finally {
    await client.end();
  }
}

/** Every key under the prefix with its DUMP and its value read by type, as text and raw bytes. */
async function readRedisPrefix(redisUrl: string, prefix: string): Promise<{ keys: string[]; bytes: Buffer }> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', REDIS_SCAN_COUNT);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const chunks: Buffer[] = [];
    for (const key of keys) {
      chunks.push(Buffer.from(key), (await client.dumpBuffer(key)) ?? Buffer.alloc(0));
      const type = await client.type(key);
      // DUMP may LZF-compress long strings, so the value is also read in plain form.
      if (type === 'string') chunks.push((await client.getBuffer(key)) ?? Buffer.alloc(0));
      if (type === 'hash') chunks.push(...Object.values(await client.hgetallBuffer(key)));
      if (type === 'list') chunks.push(...(await client.lrangeBuffer(key, 0, -1)));
      if (type === 'set') chunks.push(...(await client.smembersBuffer(key)));
      if (type === 'zset')
        chunks.push(Buffer.from((await client.zrange(key, 0, -1, 'WITHSCORES')).join('\n')));
      if (type === 'stream') chunks.push(Buffer.from(JSON.stringify(await client.xrange(key, '-', '+'))));
    }
    return { keys, bytes: Buffer.concat(chunks) };
  } finally {
    client.disconnect();
  }
}

let harness: ApiHarness;
let http: ReturnType<typeof request>;
let logDirectory: string;
let logFile: string;
const responses: string[] = [];
const errorTexts: string[] = [];
const credentials: Secret[] = [];

/** Sends a request and keeps its status line, headers and body text for the scan. */
async function call(test: request.Test): Promise<request.Response> {
  const response = await test;
  responses.push(`${response.status}\n${JSON.stringify(response.headers)}\n${response.text}`);
  return response;
}

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

beforeAll(async () => {
  logDirectory = mkdtempSync(path.join(tmpdir(), 'proco-key-custody-'));
  logFile = path.join(logDirectory, 'api.log');
  harness = await startApiHarness({ environment: { PROCO_LOG_FILE: logFile, PROCO_LOG_LEVEL: 'trace' } });
  http = request(harness.app.getHttpServer());
});

afterAll(async () => {
  await harness?.close();
  if (logDirectory !== undefined) rmSync(logDirectory, { recursive: true, force: true });
});

describe('key custody canary', () => {
  let orgId: string;
  let adminKey: string;
  let agent: { id: string; wallet: { address: Address } };
  let signer: WalletSigner;

  it('runs the operator and agent journey, recording every response', async () => {
    ({ orgId, adminKey } = await harness.bootstrapOrg('Canary org'));
    credentials.push(credentialSecret('bootstrap admin key', adminKey));

    const created = await call(http.post('/v1/agents').set(bearer(adminKey)).send({ name: 'canary' }));
    expect(created.status).toBe(201);
    agent = created.body;

    const readKey = await call(
      http.post('/v1/api-keys').set(bearer(adminKey)).send({ name: 'reader', scope: 'read' }),
    );
    expect(readKey.status).toBe(201);
    credentials.push(credentialSecret('read API key', readKey.body.secret));

    for (const name of ['laptop', 'server']) {
      const token = await call(
        http.post(`/v1/agents/${agent.id}/tokens`).set(bearer(adminKey)).send({ name }),
      );
      expect(token.status).toBe(201);
      credentials.push(credentialSecret(`agent token ${name}`, token.body.secret));
    }
    const agentToken = credentials[2]?.bytes.toString('utf8') ?? '';

    const funded = await call(
      http.post(`/v1/agents/${agent.id}/faucet`).set(bearer(adminKey)).send({ amount: '1000000' }),
    );
    expect(funded.status).toBe(200);

    const reads = [
      http.get(`/v1/agents/${agent.id}/balances`).set(bearer(adminKey)),
      http.get('/v1/agents').set(bearer(adminKey)),
      http.get(`/v1/agents/${agent.id}`).set(bearer(adminKey)),
      http.get(`/v1/agents/${agent.id}/tokens`).set(bearer(adminKey)),
      http.get('/v1/api-keys').set(bearer(adminKey)),
      http.get('/v1/org').set(bearer(adminKey)),
      http.get('/v1/networks').set(bearer(adminKey)),
      http.get('/v1/audit?limit=100').set(bearer(adminKey)),
      http.get('/v1/audit/verification').set(bearer(adminKey)),
      http.get('/v1/agent/me').set(bearer(agentToken)),
      http.get('/healthz'),
      http.get('/readyz'),
    ];
    for (const read of reads) expect((await call(read)).status).toBe(200);

    for (const status of ['frozen', 'active']) {
      const patched = await call(http.patch(`/v1/agents/${agent.id}`).set(bearer(adminKey)).send({ status }));
      expect(patched.body.status).toBe(status);
    }

    const failures: [request.Test, number][] = [
      [http.post('/v1/agents').set(bearer(adminKey)).send({ name: 42 }), 400],
      [
        http.post('/v1/agents').set(bearer(adminKey)).set('Content-Type', 'application/json').send('{"a":'),
        400,
      ],
      [http.get('/v1/agents/not-a-uuid').set(bearer(adminKey)), 400],
      [http.post(`/v1/agents/${agent.id}/faucet`).set(bearer(adminKey)).send({ amount: '-1' }), 400],
      [http.get(`/v1/agents/${randomUUID()}`).set(bearer(adminKey)), 404],
      [http.get(`/v1/agents/${randomUUID()}/balances`).set(bearer(adminKey)), 404],
      [http.get('/v1/nothing-here').set(bearer(adminKey)), 404],
      [http.get('/v1/agents'), 401],
      [http.get('/v1/agents').set(bearer(`proco_op_${'A'.repeat(43)}`)), 401],
      [http.get('/v1/agent/me').set(bearer(`proco_ag_${'B'.repeat(43)}`)), 401],
      [http.get('/v1/agents').set(bearer(agentToken)), 403],
    ];
    for (const [failure, status] of failures) {
      const response = await call(failure);
      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('opens the canary signer, signs an EIP-3009 authorization, and records failing signatures', async () => {
    const wallets = harness.app.get(WalletsService);
    signer = await wallets.openSigner({ orgId, agentId: agent.id });
    expect(signer.address).toBe(agent.wallet.address);
    errorTexts.push(
      JSON.stringify(signer),
      inspect(signer, { showHidden: true, depth: 20 }),
      // The signer defines a non-enumerable toString that its type does not declare.
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      String(signer),
    );

    const typedData = transferTypedData({
      from: signer.address,
      verifyingContract: inject('tokenAddress') as Address,
    });
    const signature: Hex = await signer.signTypedData(typedData);
    expect(await verifyTypedData({ ...typedData, address: signer.address, signature })).toBe(true);

    const invalidContract = await thrownBy(() =>
      signer.signTypedData({
        ...typedData,
        domain: { ...typedData.domain, verifyingContract: '0xnot-an-address' },
      }),
    );
    expect(invalidContract).toMatchObject({ code: 'signing_failed' });
    const invalidValue = await thrownBy(() =>
      signer.signTypedData({ ...typedData, message: { ...typedData.message, value: -1n } }),
    );
    expect(invalidValue).toMatchObject({ code: 'signing_failed' });
    errorTexts.push(errorText(invalidContract), errorText(invalidValue));
  });

  it('records the errors of refused and broken opens', async () => {
    const wallets = harness.app.get(WalletsService);
    await call(http.patch(`/v1/agents/${agent.id}`).set(bearer(adminKey)).send({ status: 'frozen' }));
    const frozen = await thrownBy(() => wallets.openSigner({ orgId, agentId: agent.id }));
    expect(frozen).toMatchObject({ code: 'agent_frozen' });
    await call(http.patch(`/v1/agents/${agent.id}`).set(bearer(adminKey)).send({ status: 'active' }));

    // Broken rows, opened straight through @proco/keys with the app's keyring: each decrypts the
    // real canary ciphertext as far as it can before failing.
    const keyring = harness.app.get(KEYRING);
    const wallet = await harness.app
      .get(PrismaService)
      .wallet.findUniqueOrThrow({ where: { agentId: agent.id } });
    const sealed = {
      address: wallet.address,
      keyCiphertext: Uint8Array.from(wallet.keyCiphertext),
      dataKeyCiphertext: Uint8Array.from(wallet.dataKeyCiphertext),
      kekId: wallet.kekId,
    };
    const tampered = Uint8Array.from(sealed.keyCiphertext);
    tampered[20] = (tampered[20] ?? 0) ^ 0x01;
    const attempts: [() => unknown, string][] = [
      [
        () =>
          openWalletSigner({
            keyring,
            sealed: { ...sealed, address: '0x000000000000000000000000000000000000dEaD' },
            orgId,
            walletId: wallet.id,
          }),
        'wallet_key_mismatch',
      ],
      [
        () =>
          openWalletSigner({
            keyring,
            sealed: { ...sealed, keyCiphertext: tampered },
            orgId,
            walletId: wallet.id,
          }),
        'decryption_failed',
      ],
      [
        () => openWalletSigner({ keyring, sealed, orgId: randomUUID(), walletId: wallet.id }),
        'decryption_failed',
      ],
    ];
    for (const [attempt, code] of attempts) {
      const error = await thrownBy(async () => attempt());
      expect(error).toMatchObject({ code });
      errorTexts.push(errorText(error));
    }
    errorTexts.push(errorText(frozen));
  });

  it('finds neither the wallet key, its data key nor the master key anywhere', async () => {
    const prisma = harness.app.get(PrismaService);
    const wallet = await prisma.wallet.findUniqueOrThrow({ where: { agentId: agent.id } });
    const masterKey = Buffer.from(harness.masterKeyBase64, 'base64');
    const { dataKey, privateKey } = revealWalletKeys({ masterKey, wallet });
    expect(privateKeyToAccount(`0x${privateKey.toString('hex')}`).address).toBe(agent.wallet.address);
    const secrets = [
      secretOf('private key', privateKey),
      secretOf('data key', dataKey),
      secretOf('master key', masterKey),
    ];

    const prefix = harness.config.redis.prefix;
    const redisUrl = harness.config.redis.url;
    const sentinel = `${prefix}:key-custody-sentinel`;
    const writer = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    await writer.set(sentinel, 'sentinel');
    const redis = await readRedisPrefix(redisUrl, prefix);
    await writer.del(sentinel);
    writer.disconnect();
    // The scan reads the prefix the app uses, so a key written there is seen.
    expect(redis.keys).toContain(sentinel);

    const dump = await dumpDatabase(harness.database.url);
    const sources: Record<string, string> = {
      'HTTP responses': responses.join('\n'),
      'log file': readFileSync(logFile, 'utf8'),
      'database dump': dump,
      redis: redis.bytes.toString('latin1'),
      'error texts': errorTexts.join('\n'),
    };
    for (const [source, haystack] of Object.entries(sources)) expectNoLeak(source, haystack, secrets);
    for (const secret of secrets)
      expect(redis.bytes.includes(secret.bytes), `${secret.label} in redis`).toBe(false);

    // The dump really holds the canary row: its address and both ciphertexts, as bytea hex.
    expect(dump).toContain(wallet.address);
    expect(dump).toContain(`\\x${Buffer.from(wallet.keyCiphertext).toString('hex')}`);
    expect(dump).toContain(`\\x${Buffer.from(wallet.dataKeyCiphertext).toString('hex')}`);
    // The log really holds the journey, at trace level.
    expect(sources['log file']).toContain(`/v1/agents/${agent.id}/faucet`);
  });

  it('stores only ciphertext in the wallets table and no raw secret bytes in any column', async () => {
    const wallet = await harness.app
      .get(PrismaService)
      .wallet.findUniqueOrThrow({ where: { agentId: agent.id } });
    const masterKey = Buffer.from(harness.masterKeyBase64, 'base64');
    const { dataKey, privateKey } = revealWalletKeys({ masterKey, wallet });
    const rows = await readAllRows(harness.database.url);
    const walletRows = rows.get('wallets') ?? [];
    expect(walletRows.length).toBeGreaterThan(0);

    const binaryColumns: string[] = [];
    for (const [table, tableRows] of rows) {
      for (const row of tableRows) {
        for (const [column, value] of Object.entries(row)) {
          if (!Buffer.isBuffer(value)) continue;
          binaryColumns.push(`${table}.${column}`);
          for (const secret of [privateKey, dataKey, masterKey]) expect(value.includes(secret)).toBe(false);
        }
      }
    }
    // A v1 envelope of a 32-byte secret is 1 + 12 + 32 + 16 bytes: ciphertext, never the raw value.
    const canary = walletRows.find((row) => row['id'] === wallet.id);
    expect((canary?.['key_ciphertext'] as Buffer).length).toBe(61);
    expect((canary?.['data_key_ciphertext'] as Buffer).length).toBe(61);
    expect(binaryColumns).toEqual(
      expect.arrayContaining(['wallets.key_ciphertext', 'wallets.data_key_ciphertext']),
    );
    // Sanity: the byte comparison finds a secret where it is.
    expect(Buffer.concat([randomBytes(7), privateKey, randomBytes(9)]).includes(privateKey)).toBe(true);
  });

  it('keeps API keys and agent tokens out of the database and logs, storing digests and prefixes', async () => {
    expect(credentials).toHaveLength(4);
    const dump = await dumpDatabase(harness.database.url);
    const redis = await readRedisPrefix(harness.config.redis.url, harness.config.redis.prefix);
    const log = readFileSync(logFile, 'utf8');
    for (const [source, haystack] of Object.entries({ 'database dump': dump, 'log file': log })) {
      expectNoLeak(source, haystack, credentials);
    }
    expect(leaksIn(redis.bytes.toString('latin1'), credentials)).toEqual([]);
    for (const credential of credentials) {
      const secret = credential.bytes.toString('utf8');
      const digest = createHash('sha256').update(secret, 'utf8').digest('hex');
      expect(dump).toContain(`\\x${digest}`);
      expect(dump).toContain(secret.slice(0, 16));
    }
    // The authorization header is redacted from request logs.
    expect(log).not.toMatch(/bearer proco_/i);
  });
});
