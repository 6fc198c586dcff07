// The system under test for the benchmarks: a fresh migrated database, an anvil chain with the test
// token, a networks file, and the real API server (and, when asked, the settlement worker) in child
// processes (compiled on the fly by bench/support/run-ts.mjs, so neither tsx's missing decorator
// metadata nor a stale dist/ matters). `stop()` ends all of it and deletes the run's Redis keys.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort, type LocalChain, startLocalChain } from '@proco/evm';
import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';

/** How long the server may take to answer /readyz, and to exit after SIGTERM. */
const SERVER_READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
/** The line the worker logs (at level info) once its processors run. */
const WORKER_READY_MESSAGE = '"msg":"worker started"';
/** The Redis server every bench stack uses (each under its own key prefix). */
export const REDIS_URL = 'redis://127.0.0.1:6379';
const projectRoot = path.resolve(__dirname, '..', '..');
const runTs = path.join(projectRoot, 'bench', 'support', 'run-ts.mjs');

export interface BenchStack {
  readonly baseUrl: string;
  readonly database: TestDatabase;
  readonly chain: LocalChain;
  readonly adminKey: string;
  readonly orgId: string;
  readonly serverPid: number;
  /** The settlement worker's pid, when one was asked for. */
  readonly workerPid: number | null;
  readonly databasePoolSize: number;
  /** The Redis key prefix of this stack (every key it creates starts with `<prefix>:`). */
  readonly redisPrefix: string;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  /** The API server writes a V8 CPU profile into this directory when it stops. */
  readonly profileDirectory?: string;
  /** Extra PROCO_* settings for the API server and the worker (they override the defaults). */
  readonly environment?: Readonly<Record<string, string>>;
  /** anvil mines a block every N seconds instead of one per transaction. */
  readonly blockTimeSeconds?: number;
  /** Also run the settlement worker (apps/worker/src/main.ts) in a child process. */
  readonly worker?: boolean;
}

/** Starts everything; whatever was started is stopped again if a later step fails. */
export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => console.error('[bench] cleanup failed:', error));
    }
    cleanups.length = 0;
  };
  try {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const chain = await startLocalChain({
      port: await findFreePort(),
      ...(options.blockTimeSeconds === undefined ? {} : { blockTimeSeconds: options.blockTimeSeconds }),
    });
    cleanups.push(() => chain.stop());
    const directory = mkdtempSync(path.join(tmpdir(), 'proco-bench-'));
    cleanups.push(async () => rmSync(directory, { recursive: true, force: true }));
    const networksFile = path.join(directory, 'networks.json');
    writeFileSync(networksFile, JSON.stringify(networksDocument(chain)));

    const port = await findFreePort();
    const databasePoolSize = 10;
    const redisPrefix = `proco-bench-${randomUUID().slice(0, 8)}`;
    cleanups.push(() => deleteRedisKeys(redisPrefix));
    const environment: Record<string, string> = {
      PROCO_ENV: 'development',
      PROCO_API_HOST: '127.0.0.1',
      PROCO_API_PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL,
      PROCO_REDIS_PREFIX: redisPrefix,
      PROCO_MASTER_KEY: randomBytes(32).toString('base64'),
      PROCO_NETWORKS_FILE: networksFile,
      PROCO_LOG_LEVEL: 'silent',
      PROCO_DATABASE_POOL_SIZE: String(databasePoolSize),
      PROCO_DOCS_ENABLED: 'false',
      ...options.environment,
    };
    const { orgId, adminKey } = await bootstrapOrg(environment);
    // With a profile directory the server writes a V8 CPU profile there when it stops.
    const profile =
      options.profileDirectory === undefined
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(options.profileDirectory)}`];
    const server = spawn(process.execPath, [...profile, runTs, 'apps/api/src/main.ts'], {
      cwd: projectRoot,
      env: environment,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const stderr: string[] = [];
    server.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const killOnExit = (): void => {
      server.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    cleanups.push(async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(server);
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitUntilReady(baseUrl, server, stderr);
    if (server.pid === undefined) throw new Error('The API server has no pid.');
    const workerPid = options.worker === true ? await startWorker(environment, cleanups) : null;
    return {
      baseUrl,
      database,
      chain,
      adminKey,
      orgId,
      serverPid: server.pid,
      workerPid,
      databasePoolSize,
      redisPrefix,
      stop,
    };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}

function networksDocument(chain: LocalChain): Record<string, unknown> {
  return {
    networks: [
      {
        id: `eip155:${chain.chainId}`,
        name: 'Bench anvil',
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
  };
}

/** Runs the real `proco bootstrap` CLI against the bench database and reads its JSON answer. */
async function bootstrapOrg(
  environment: Record<string, string>,
): Promise<{ orgId: string; adminKey: string }> {
  const child = spawn(process.execPath, [runTs, 'apps/api/src/cli.ts', 'bootstrap', '--org', 'bench'], {
    cwd: projectRoot,
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const errors: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), SERVER_READY_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`proco bootstrap failed (${code}): ${errors.join('')}`);
  const parsed = JSON.parse(output.join('')) as { org: { id: string }; apiKey: { secret: string } };
  return { orgId: parsed.org.id, adminKey: parsed.apiKey.secret };
}

async function waitUntilReady(baseUrl: string, server: ChildProcess, stderr: string[]): Promise<void> {
  const deadline = Date.now() + SERVER_READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`The API server exited with ${server.exitCode}: ${stderr.join('')}`);
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`);
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`The API server was not ready within ${SERVER_READY_TIMEOUT_MS} ms: ${stderr.join('')}`);
}

/**
 * Starts the settlement worker on the API's database, Redis prefix, master key and networks file,
 * and resolves once it logs that its processors run. Its stop is pushed onto `cleanups`.
 */
async function startWorker(
  apiEnvironment: Record<string, string>,
  cleanups: (() => Promise<void>)[],
): Promise<number> {
  const worker = spawn(process.execPath, [runTs, 'apps/worker/src/main.ts'], {
    cwd: projectRoot,
    // Level info only to see the ready line; the worker logs a few lines per transaction.
    env: { ...apiEnvironment, PROCO_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = (): void => {
    worker.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  cleanups.push(async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(worker);
  });
  let output = '';
  let ready = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The worker was not ready within ${SERVER_READY_TIMEOUT_MS} ms: ${output}`)),
      SERVER_READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      // Keep only a tail for error messages; both pipes must be drained for the whole run.
      output = (output + chunk.toString('utf8')).slice(-16_384);
      if (!ready && output.includes(WORKER_READY_MESSAGE)) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    };
    worker.stdout?.on('data', onData);
    worker.stderr?.on('data', onData);
    worker.once('exit', (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`The worker exited with ${code} before it was ready: ${output}`));
    });
  });
  if (worker.pid === undefined) throw new Error('The worker has no pid.');
  return worker.pid;
}

/** Deletes every Redis key under `<prefix>:` (queues, locks, counters) that the run created. */
async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** SIGTERM, then SIGKILL after a bounded wait; resolves once the child is gone. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
