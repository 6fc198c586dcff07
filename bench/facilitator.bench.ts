// `npm run bench:facilitator` (issue 4): `/facilitator/verify` throughput and latency side by side
// with the reference facilitator (@x402/core + @x402/evm in a bare express app) on the same anvil
// chain and the same pool of signed payments, interleaved per run, medians of the runs; then
// settlement throughput from a backlog, one authorization per transaction against batched, with
// anvil mining a block a second. Writes bench/results/facilitator-<timestamp>.json and its section of
// BENCHMARKS.md. Not part of `npm test`.
//
// Options: --runs N (3) --duration S (20) --warmup S (5) --latency-duration S (5) --connections N (16)
//          --payers N (16) --settlement-runs N (3) --settle-authorizations N (200)
//          --settle-concurrency N (16) --batch-size N (50) --batch-wait-ms MS (500)
//          --settle-deadline S (90) --parts verify,settlement --max-load L (0.5) --strict-load
//          --wait-load L (1.5) --wait-load-seconds S (600) --no-record (print only)
//          --profile DIR (during the verify part, Proco's API server and the reference facilitator
//          write V8 CPU profiles into DIR/proco and DIR/reference when they stop)
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { findFreePort } from '@proco/evm';
import { writeBenchmarksSection, writeFormatted } from './support/benchmarks-file';
import {
  type FacilitatorResults,
  type Measured,
  OWN_PROCESS,
  renderFacilitatorMarkdown,
  type SettlementRun,
  summariseFacilitator,
  type VerifyRun,
  type VerifyTarget,
  type VerifyTargetRun,
} from './support/facilitator-report';
import { fundedPayers, PAYMENT_AMOUNT_ATOMIC, signedPaymentBodies } from './support/facilitator-payloads';
import { cpuBetween, type CpuGroups, databaseBackendPids, pidByName, sampleCpu } from './support/process-cpu';
import { type ReferenceFacilitator, startReferenceFacilitator } from './support/reference-facilitator';
import { runSettlementLoad, type SettlementLoadResult } from './support/settlement-load';
import { type BenchStack, REDIS_URL, startBenchStack } from './support/stack';
import { loadVerify, PayloadCursor, type VerifyLoadResult } from './support/verify-load';
import { packageVersion, postgresVersion, redisVersion } from './support/versions';

const projectRoot = path.resolve(__dirname, '..');
/** The targets. */
const VERIFY_THROUGHPUT_RATIO_MIN = 1.5;
const BATCHED_SETTLEMENT_RATIO_MIN = 10;
/** The reference facilitator reads with anvil dev account 8 (it sends nothing during verify). */
const REFERENCE_ACCOUNT_INDEX = 8;
/** Seconds a benchmark payment stays valid: under Proco's one-hour horizon, longer than any run. */
const PAYMENT_VALIDITY_SECONDS = 3_000;
/** Test USD each payer gets: far more than every payment of a run together. */
const PAYER_FUNDS_ATOMIC = PAYMENT_AMOUNT_ATOMIC * 10_000_000n;
/**
 * Payments signed before the first verify phase; later phases top the pool up from what they used.
 * Enough for about 1,300 verifies per second over a run's phases: a pool that wraps around hands
 * Proco a payment twice, which its in-flight lock refuses, and the run then measures refusals.
 */
const INITIAL_POOL_SIZE = 40_000;
const BLOCK_TIME_SECONDS = 1;
/** Payers of the settlement part, each minted test USD on the block-time chain. */
const SETTLEMENT_PAYERS = 4;
/** Settlements confirmed before the clock starts: the worker creates its relayer on first use. */
const SETTLEMENT_WARMUP = 2;
const LOAD_POLL_INTERVAL_MS = 30_000;

const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    'latency-duration': { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    payers: { type: 'string', default: '16' },
    'settlement-runs': { type: 'string', default: '3' },
    'settle-authorizations': { type: 'string', default: '200' },
    'settle-concurrency': { type: 'string', default: '16' },
    'batch-size': { type: 'string', default: '50' },
    'batch-wait-ms': { type: 'string', default: '500' },
    'settle-deadline': { type: 'string', default: '90' },
    parts: { type: 'string', default: 'verify,settlement' },
    'max-load': { type: 'string', default: '0.5' },
    'strict-load': { type: 'boolean', default: false },
    'wait-load': { type: 'string', default: '1.5' },
    'wait-load-seconds': { type: 'string', default: '600' },
    'no-record': { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
  strict: true,
});
const parts = new Set(options.parts.split(',').map((part) => part.trim()));
const settings = {
  runs: Number(options.runs),
  durationSeconds: Number(options.duration),
  warmupSeconds: Number(options.warmup),
  latencyDurationSeconds: Number(options['latency-duration']),
  connections: Number(options.connections),
  payers: Number(options.payers),
  settlementRuns: Number(options['settlement-runs']),
  settlementPayers: SETTLEMENT_PAYERS,
  settleAuthorizations: Number(options['settle-authorizations']),
  settleConcurrency: Number(options['settle-concurrency']),
  batchSize: Number(options['batch-size']),
  batchWaitMs: Number(options['batch-wait-ms']),
  settleDeadlineSeconds: Number(options['settle-deadline']),
  blockTimeSeconds: BLOCK_TIME_SECONDS,
  parts: [...parts],
  maxLoadAverage: Number(options['max-load']),
  strictLoad: options['strict-load'],
  waitLoadAverage: Number(options['wait-load']),
  waitLoadSeconds: Number(options['wait-load-seconds']),
};
for (const [name, value] of Object.entries(settings)) {
  if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) {
    throw new Error(`--${name} must be a non-negative number, got ${value}`);
  }
}

const loadRecords: { step: string; loadAverage1m: number; aboveThreshold: boolean }[] = [];

const loadAverage = (): number => os.loadavg()[0] ?? Number.NaN;

/** Records the 1-minute load average before a measurement; refuses only with --strict-load. */
function recordLoad(step: string): number {
  const loadAverage1m = loadAverage();
  const aboveThreshold = loadAverage1m > settings.maxLoadAverage;
  loadRecords.push({ step, loadAverage1m, aboveThreshold });
  const flag = aboveThreshold ? ` (above ${settings.maxLoadAverage}: flagged)` : '';
  console.info(`[bench] ${step}: load average ${loadAverage1m.toFixed(2)}${flag}`);
  if (aboveThreshold && settings.strictLoad) {
    throw new Error(`Load average ${loadAverage1m} > ${settings.maxLoadAverage} before ${step}; refusing.`);
  }
  return loadAverage1m;
}

/** Waits (bounded) until the 1-minute load average is at most --wait-load: the box is shared. */
async function waitForQuietMachine(): Promise<FacilitatorResults['loadWait']> {
  const startedAtMs = Date.now();
  const loadAverage1mAtStart = loadAverage();
  const deadline = startedAtMs + settings.waitLoadSeconds * 1_000;
  while (loadAverage() > settings.waitLoadAverage && Date.now() + LOAD_POLL_INTERVAL_MS <= deadline) {
    console.info(
      `[bench] load average ${loadAverage().toFixed(2)} > ${settings.waitLoadAverage}; waiting (at most ` +
        `${Math.round((deadline - Date.now()) / 1_000)} s more)`,
    );
    await sleep(LOAD_POLL_INTERVAL_MS);
  }
  return {
    waitedSeconds: (Date.now() - startedAtMs) / 1_000,
    loadAverage1mAtStart,
    threshold: settings.waitLoadAverage,
  };
}

async function api(stack: BenchStack, route: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.baseUrl}${route}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${stack.adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`POST ${route} answered ${response.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** One verify call outside the load generator, to fail fast when a facilitator refuses the pool. */
async function verifyOnce(url: string, headers: Record<string, string>, body: string): Promise<void> {
  const send = (): Promise<Response> =>
    fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body });
  // A kept-alive connection the server closed while the pool was being signed fails once; retry.
  const response = await send().catch(() => send());
  const text = await response.text();
  if (response.status !== 200 || !(JSON.parse(text) as { isValid?: unknown }).isValid) {
    throw new Error(`${url} did not accept a pool payment (${response.status}): ${text}`);
  }
}

async function verifyPart(): Promise<{ runs: VerifyRun[]; versions: Record<string, string> }> {
  const stack = await startBenchStack({
    environment: { PROCO_FACILITATOR_PAYER_VERIFIES_PER_MINUTE: '1000000' },
    ...(options.profile === undefined ? {} : { profileDirectory: path.join(options.profile, 'proco') }),
  });
  let reference: ReferenceFacilitator | undefined;
  try {
    console.info(
      `[bench] verify stack: API pid ${stack.serverPid} at ${stack.baseUrl}, anvil ${stack.chain.rpcUrl}`,
    );
    const readKey = (await api(stack, '/v1/api-keys', { name: 'bench-seller', scope: 'read' }))['secret'];
    if (typeof readKey !== 'string') throw new Error('POST /v1/api-keys returned no secret.');
    reference = await startReferenceFacilitator({
      port: await findFreePort(),
      rpcUrl: stack.chain.rpcUrl,
      chainId: stack.chain.chainId,
      accountIndex: REFERENCE_ACCOUNT_INDEX,
      nodeFlags:
        options.profile === undefined
          ? []
          : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(options.profile, 'reference')}`],
    });
    const referencePid = reference.pid;
    const payers = await fundedPayers(stack.chain, settings.payers, PAYER_FUNDS_ATOMIC);
    const pool: string[] = [];
    const topUp = async (needed: number): Promise<void> => {
      if (pool.length >= needed) return;
      const startedAtMs = Date.now();
      const count = needed - pool.length;
      pool.push(
        ...(await signedPaymentBodies({
          chain: stack.chain,
          payers,
          count,
          validForSeconds: PAYMENT_VALIDITY_SECONDS,
        })),
      );
      console.info(
        `[bench] signed ${count} payments in ${Date.now() - startedAtMs} ms (pool ${pool.length})`,
      );
    };
    await topUp(INITIAL_POOL_SIZE);

    // The same headers for both: the reference ignores Authorization.
    const headers = { authorization: `Bearer ${readKey}` };
    const targets: Record<VerifyTarget, { url: string; path: string }> = {
      proco: { url: stack.baseUrl, path: '/facilitator/verify' },
      reference: { url: reference.url, path: '/verify' },
    };
    // Pool position: Proco must never see a payment twice; the reference reads from the same offset.
    let offset = 0;
    for (const target of ['proco', 'reference'] as const) {
      const body = pool[offset];
      if (body === undefined) throw new Error('The pool is empty.');
      await verifyOnce(`${targets[target].url}${targets[target].path}`, headers, body);
    }
    offset += 1;

    // Whose CPU time each measured phase reads: the facilitator, and what it calls.
    const redisPid = pidByName('redis-server');
    const shared: CpuGroups = {
      anvil: async () => [stack.chain.pid],
      postgres: () => databaseBackendPids(stack.database.url, stack.database.name),
      redis: async () => (redisPid === null ? [] : [redisPid]),
    };
    const cpuGroups: Record<VerifyTarget, CpuGroups> = {
      proco: { [OWN_PROCESS]: async () => [stack.serverPid], ...shared },
      reference: { [OWN_PROCESS]: async () => [referencePid], ...shared },
    };
    const runs: VerifyRun[] = [];
    // The most payments one facilitator took in a run so far.
    let usedPerRun = 0;
    for (let run = 1; run <= settings.runs; run += 1) {
      const order: VerifyTarget[] = run % 2 === 1 ? ['proco', 'reference'] : ['reference', 'proco'];
      // Enough fresh payments for the next run, judged by the runs so far (plus half again).
      await topUp(offset + Math.max(INITIAL_POOL_SIZE, Math.ceil(usedPerRun * 1.5)));
      let procoUsed = 0;
      const measured: Partial<Record<VerifyTarget, VerifyTargetRun>> = {};
      for (const target of order) {
        const cursor = new PayloadCursor(pool, offset);
        const phase = (connections: number, durationSeconds: number): Promise<VerifyLoadResult> =>
          loadVerify({ ...targets[target], headers, cursor, connections, durationSeconds });
        const warm = await phase(settings.connections, settings.warmupSeconds);
        const loadedLoad = recordLoad(`run ${run} ${target} verify c=${settings.connections}`);
        const cpuBefore = await sampleCpu(cpuGroups[target]);
        const loaded = await phase(settings.connections, settings.durationSeconds);
        const cpuSeconds = cpuBetween(cpuBefore, await sampleCpu(cpuGroups[target]));
        const unloadedLoad = recordLoad(`run ${run} ${target} verify c=1`);
        const unloaded = await phase(1, settings.latencyDurationSeconds);
        console.info(
          `[bench] run ${run} ${target}: c=${settings.connections} ${loaded.throughputPerSecond.toFixed(0)}/s ` +
            `p50 ${loaded.p50Ms} ms p99 ${loaded.p99Ms} ms; c=1 p50 ${unloaded.p50Ms} ms; ` +
            `refused ${warm.invalid + loaded.invalid + unloaded.invalid} non-200 ` +
            `${warm.non2xx + loaded.non2xx + unloaded.non2xx} (pool ${cursor.start}+${cursor.used})`,
        );
        measured[target] = {
          loaded: { loadAverage1m: loadedLoad, result: loaded },
          cpuSeconds,
          unloaded: { loadAverage1m: unloadedLoad, result: unloaded },
        };
        usedPerRun = Math.max(usedPerRun, cursor.used);
        if (target === 'proco') procoUsed = cursor.used;
      }
      if (measured.proco === undefined || measured.reference === undefined) {
        throw new Error('A verify phase did not run.');
      }
      runs.push({ run, order, proco: measured.proco, reference: measured.reference });
      offset += procoUsed;
    }
    return {
      runs,
      versions: {
        postgres: await postgresVersion(stack.database.url),
        redis: await redisVersion(REDIS_URL),
      },
    };
  } finally {
    await reference?.stop();
    await stack.stop();
  }
}

/** One settlement scenario on its own fresh stack (anvil mining a block every BLOCK_TIME_SECONDS). */
async function settlementScenario(
  name: string,
  batch: { size: number; waitMs: number },
): Promise<Measured<SettlementLoadResult>> {
  const stack = await startBenchStack({
    blockTimeSeconds: BLOCK_TIME_SECONDS,
    worker: true,
    environment: {
      PROCO_FACILITATOR_PAYER_VERIFIES_PER_MINUTE: '1000000',
      PROCO_SETTLEMENT_BATCH_SIZE: String(batch.size),
      PROCO_SETTLEMENT_BATCH_WAIT_MS: String(batch.waitMs),
      PROCO_SETTLE_WAIT_MS: '0',
    },
  });
  try {
    console.info(`[bench] ${name}: API pid ${stack.serverPid}, worker pid ${stack.workerPid}`);
    // Minting waits a block per payer here, so fewer payers (they sign 50 payments each).
    const payers = await fundedPayers(stack.chain, SETTLEMENT_PAYERS, PAYER_FUNDS_ATOMIC);
    const [first, second, ...bodies] = await signedPaymentBodies({
      chain: stack.chain,
      payers,
      count: SETTLEMENT_WARMUP + settings.settleAuthorizations,
      validForSeconds: PAYMENT_VALIDITY_SECONDS,
    });
    if (first === undefined || second === undefined) throw new Error('No warm-up payments were signed.');
    const loadAverage1m = recordLoad(name);
    const result = await runSettlementLoad({
      baseUrl: stack.baseUrl,
      adminKey: stack.adminKey,
      databaseUrl: stack.database.url,
      redisUrl: REDIS_URL,
      redisPrefix: stack.redisPrefix,
      batchWaitMs: batch.waitMs,
      warmupBodies: [first, second],
      bodies,
      intakeConcurrency: settings.settleConcurrency,
      deadlineSeconds: settings.settleDeadlineSeconds,
    });
    console.info(
      `[bench] ${name}: ${result.confirmed}/${result.authorizations} confirmed in ${result.elapsedSeconds.toFixed(1)} s ` +
        `(${result.throughputPerSecond.toFixed(1)}/s; intake ${result.intakeSeconds.toFixed(1)} s before), ` +
        `${result.transactions} transactions, ${result.gasPerAuthorization.toFixed(0)} gas/authorization, ` +
        `failed ${result.failed}, refused ${result.refused}, http failures ${result.httpFailures}; ` +
        `timeline ${JSON.stringify(result.timeline)}` +
        (result.timedOut ? ' (deadline)' : ''),
    );
    return { loadAverage1m, result };
  } finally {
    await stack.stop();
  }
}

async function settlementPart(): Promise<SettlementRun[]> {
  const runs: SettlementRun[] = [];
  for (let run = 1; run <= settings.settlementRuns; run += 1) {
    const order: ('single' | 'batched')[] = run % 2 === 1 ? ['single', 'batched'] : ['batched', 'single'];
    const measured: Partial<Record<'single' | 'batched', Measured<SettlementLoadResult>>> = {};
    for (const mode of order) {
      measured[mode] =
        mode === 'single'
          ? await settlementScenario(`run ${run} settlement one per transaction`, { size: 1, waitMs: 0 })
          : await settlementScenario(`run ${run} settlement batched`, {
              size: settings.batchSize,
              waitMs: settings.batchWaitMs,
            });
    }
    if (measured.single === undefined || measured.batched === undefined) {
      throw new Error('A settlement scenario did not run.');
    }
    runs.push({ run, order, single: measured.single, batched: measured.batched });
  }
  return runs;
}

async function main(): Promise<void> {
  console.info(`[bench] settings ${JSON.stringify(settings)}`);
  const loadWait = await waitForQuietMachine();
  const startedAt = new Date();
  const verify = parts.has('verify') ? await verifyPart() : { runs: [], versions: {} };
  const settlementRuns = parts.has('settlement') ? await settlementPart() : [];
  const summary = summariseFacilitator(verify.runs, settlementRuns, {
    verifyThroughputRatio: VERIFY_THROUGHPUT_RATIO_MIN,
    batchedSettlementRatio: BATCHED_SETTLEMENT_RATIO_MIN,
  });
  const results: FacilitatorResults = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings,
    environment: {
      node: process.version,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cpuCount: os.cpus().length,
      totalMemoryGiB: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()}`,
      pinning: 'none (both facilitators, the load generator, anvil, PostgreSQL and Redis share both cores)',
      serverMode:
        'API in a child process: node bench/support/run-ts.mjs apps/api/src/main.ts (SWC on the fly, ' +
        'decorator metadata kept), PROCO_ENV=development, log level silent, DB pool 10; settlement adds the ' +
        'worker the same way (apps/worker/src/main.ts, log level info)',
      referenceMode:
        'test/support/reference-x402/facilitator.ts in a child process (node --import tsx), viem wallet ' +
        'client over HTTP to the same anvil, v2 and v1 exact schemes registered, default options',
      versions: {
        ...verify.versions,
        viem: packageVersion(projectRoot, 'viem'),
        autocannon: packageVersion(projectRoot, 'autocannon'),
        nestCore: packageVersion(projectRoot, '@nestjs/core'),
        prismaClient: packageVersion(projectRoot, '@prisma/client'),
        ioredis: packageVersion(projectRoot, 'ioredis'),
        x402Core: packageVersion(projectRoot, '@x402/core'),
        x402Evm: packageVersion(projectRoot, '@x402/evm'),
        express: packageVersion(projectRoot, 'express'),
        anvil: packageVersion(projectRoot, '@foundry-rs/anvil'),
      },
    },
    loadWait,
    loadAverages: loadRecords,
    verify: { runs: verify.runs },
    settlement: { runs: settlementRuns },
    summary,
  };
  console.info(JSON.stringify(summary, null, 2));
  if (options['no-record']) {
    console.info('[bench] --no-record: nothing written');
    return;
  }
  const stamp = startedAt
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z');
  const resultsDirectory = path.join(projectRoot, 'bench', 'results');
  mkdirSync(resultsDirectory, { recursive: true });
  const jsonFile = path.join(resultsDirectory, `facilitator-${stamp}.json`);
  await writeFormatted(jsonFile, JSON.stringify(results, null, 2));
  await writeBenchmarksSection(
    path.join(projectRoot, 'BENCHMARKS.md'),
    'facilitator',
    renderFacilitatorMarkdown(results, path.relative(projectRoot, jsonFile)),
  );
  console.info(`[bench] wrote ${path.relative(projectRoot, jsonFile)} and BENCHMARKS.md`);
}

// A fresh id keeps two concurrent invocations' logs apart.
const invocation = randomUUID().slice(0, 8);
main().then(
  () => {
    console.info(`[bench ${invocation}] done`);
    process.exit(0);
  },
  (error: unknown) => {
    console.error(`[bench ${invocation}] failed:`, error);
    process.exit(1);
  },
);
