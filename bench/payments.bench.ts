// `npm run bench:payments`: throughput and p50/p99 of POST /v1/payments on one agent and on 64
// agents, side by side with the same run's baseline (raw viem EIP-712 signing of an EIP-3009
// authorization + a raw PostgreSQL conditional debit), interleaved per run, medians of the runs.
// Writes bench/results/payments-<timestamp>.json and its section of BENCHMARKS.md. Not part of `npm test`.
//
// Options: --runs N (3) --duration S (10) --warmup S (2) --latency-duration S (5)
//          --sequential-iterations N (1000) --max-load L (0.5) --strict-load (refuse above L)
//          --profile DIR (the API server writes a V8 CPU profile into DIR when it stops)
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import * as prettier from 'prettier';
import {
  type ConcurrentBaseline,
  measureConcurrent,
  measureSequential,
  openBaseline,
  type SequentialBaseline,
} from './support/baseline';
import { writeBenchmarksSection } from './support/benchmarks-file';
import { loadPayments, type PaymentsLoadResult } from './support/http-load';
import { type BenchRun, type BenchResults, renderMarkdown, summarise } from './support/report';
import { type BenchStack, startBenchStack } from './support/stack';
import { packageVersion, postgresVersion } from './support/versions';

const projectRoot = path.resolve(__dirname, '..');
const CONNECTIONS = 16;
const MANY_AGENTS = 64;

const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'latency-duration': { type: 'string', default: '5' },
    'sequential-iterations': { type: 'string', default: '1000' },
    'max-load': { type: 'string', default: '0.5' },
    'strict-load': { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
  strict: true,
});
const settings = {
  runs: Number(options.runs),
  durationSeconds: Number(options.duration),
  warmupSeconds: Number(options.warmup),
  latencyDurationSeconds: Number(options['latency-duration']),
  sequentialIterations: Number(options['sequential-iterations']),
  maxLoadAverage: Number(options['max-load']),
  strictLoad: options['strict-load'],
  connections: CONNECTIONS,
  manyAgents: MANY_AGENTS,
};

interface Agent {
  readonly id: string;
  readonly token: string;
}

const loadRecords: { step: string; loadAverage1m: number; aboveThreshold: boolean }[] = [];

/** Records the 1-minute load average before a measurement; refuses only with --strict-load. */
function recordLoad(step: string): number {
  const loadAverage1m = os.loadavg()[0] ?? Number.NaN;
  const aboveThreshold = loadAverage1m > settings.maxLoadAverage;
  loadRecords.push({ step, loadAverage1m, aboveThreshold });
  const flag = aboveThreshold ? ` (above ${settings.maxLoadAverage}: flagged)` : '';
  console.info(`[bench] ${step}: load average ${loadAverage1m.toFixed(2)}${flag}`);
  if (aboveThreshold && settings.strictLoad) {
    throw new Error(`Load average ${loadAverage1m} > ${settings.maxLoadAverage} before ${step}; refusing.`);
  }
  return loadAverage1m;
}

async function api(
  stack: BenchStack,
  method: 'POST' | 'PUT',
  route: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.baseUrl}${route}`, {
    method,
    headers: { Authorization: `Bearer ${stack.adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** A daily budget so large that no benchmark run can exhaust it: every payment is allowed. */
function generousBudget(stack: BenchStack, id: string): Record<string, unknown> {
  return {
    budgets: [
      {
        id,
        asset: { network: `eip155:${stack.chain.chainId}`, asset: stack.chain.tokenAddress },
        limitAtomic: '1000000000000000000000',
        window: { kind: 'rolling', durationSeconds: 86_400 },
      },
    ],
  };
}

async function createAgents(stack: BenchStack, count: number): Promise<Agent[]> {
  const agents: Agent[] = [];
  for (let index = 0; index < count; index += 1) {
    const agent = await api(stack, 'POST', '/v1/agents', { name: `bench-${index}` });
    const id = agent['id'] as string;
    const token = await api(stack, 'POST', `/v1/agents/${id}/tokens`, { name: 'bench' });
    await api(stack, 'PUT', `/v1/policies/agents/${id}`, generousBudget(stack, 'agent_daily'));
    agents.push({ id, token: token['secret'] as string });
  }
  return agents;
}

function paymentBody(stack: BenchStack): string {
  const resource = 'https://api.example.com/v1/bench';
  const paymentRequired = {
    x402Version: 2,
    error: 'Payment required',
    resource: { url: resource, description: 'bench', mimeType: 'application/json' },
    accepts: [
      {
        scheme: 'exact',
        network: `eip155:${stack.chain.chainId}`,
        amount: '1',
        asset: stack.chain.tokenAddress,
        payTo: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
        maxTimeoutSeconds: 120,
        extra: { name: 'USDC', version: '2' },
      },
    ],
  };
  return JSON.stringify({
    url: resource,
    method: 'GET',
    paymentRequiredHeader: Buffer.from(JSON.stringify(paymentRequired)).toString('base64'),
  });
}

async function main(): Promise<void> {
  const startedAt = new Date();
  console.info(`[bench] settings ${JSON.stringify(settings)}`);
  const stack = await startBenchStack(
    options.profile === undefined ? {} : { profileDirectory: options.profile },
  );
  let created = 0;
  /** Requests autocannon may have abandoned in flight: one per connection per load phase. */
  let abandonedAtMost = 0;
  try {
    console.info(
      `[bench] API server pid ${stack.serverPid} at ${stack.baseUrl}, database ${stack.database.name}`,
    );
    await api(stack, 'PUT', '/v1/policies/org', generousBudget(stack, 'org_daily'));
    const [single, ...rest] = await createAgents(stack, MANY_AGENTS + 1);
    if (single === undefined) throw new Error('No agent was created.');
    const many = rest.map((agent) => agent.token);
    const body = paymentBody(stack);
    const baseline = await openBaseline({
      databaseUrl: stack.database.url,
      chainId: stack.chain.chainId,
      tokenAddress: stack.chain.tokenAddress,
      connections: CONNECTIONS,
    });
    const runs: BenchRun[] = [];
    try {
      const scenario = async (
        name: string,
        tokens: readonly string[],
        connections: number,
        durationSeconds: number,
      ): Promise<{ loadAverage1m: number; result: PaymentsLoadResult }> => {
        const warm = await loadPayments({
          baseUrl: stack.baseUrl,
          tokens,
          body,
          connections,
          durationSeconds: settings.warmupSeconds,
        });
        created += warm.created;
        abandonedAtMost += 2 * connections;
        const loadAverage1m = recordLoad(name);
        const result = await loadPayments({
          baseUrl: stack.baseUrl,
          tokens,
          body,
          connections,
          durationSeconds,
        });
        created += result.created;
        console.info(
          `[bench] ${name}: ${result.throughputPerSecond.toFixed(0)}/s p50 ${result.p50Ms} ms p99 ` +
            `${result.p99Ms} ms non2xx ${result.non2xx + warm.non2xx} errors ${result.errors + warm.errors}`,
        );
        return { loadAverage1m, result };
      };
      for (let run = 1; run <= settings.runs; run += 1) {
        // A/B interleaved: each run measures the baseline, then every HTTP scenario, back to back.
        const sequentialLoad = recordLoad(`run ${run} baseline sequential`);
        const sequential: SequentialBaseline = await measureSequential(
          baseline,
          settings.sequentialIterations,
        );
        console.info(`[bench] baseline sequential: ${JSON.stringify(sequential)}`);
        const hotLoad = recordLoad(`run ${run} baseline hot row c=16`);
        const hot: ConcurrentBaseline = await measureConcurrent(baseline, {
          connections: CONNECTIONS,
          durationSeconds: settings.durationSeconds,
          rows: 'hot',
        });
        const distinctLoad = recordLoad(`run ${run} baseline distinct rows c=16`);
        const distinct: ConcurrentBaseline = await measureConcurrent(baseline, {
          connections: CONNECTIONS,
          durationSeconds: settings.durationSeconds,
          rows: 'distinct',
        });
        console.info(
          `[bench] baseline c=16: hot ${hot.throughputPerSecond.toFixed(0)}/s p50 ${hot.p50Ms.toFixed(2)} ms, ` +
            `distinct ${distinct.throughputPerSecond.toFixed(0)}/s p50 ${distinct.p50Ms.toFixed(2)} ms`,
        );
        const oneAgent = await scenario(
          `run ${run} one agent c=16`,
          [single.token],
          CONNECTIONS,
          settings.durationSeconds,
        );
        const manyAgents = await scenario(
          `run ${run} ${MANY_AGENTS} agents c=16`,
          many,
          CONNECTIONS,
          settings.durationSeconds,
        );
        const sequentialHttp = await scenario(
          `run ${run} one agent c=1`,
          [single.token],
          1,
          settings.latencyDurationSeconds,
        );
        runs.push({
          run,
          baseline: {
            sequential: { loadAverage1m: sequentialLoad, result: sequential },
            hot: { loadAverage1m: hotLoad, result: hot },
            distinct: { loadAverage1m: distinctLoad, result: distinct },
          },
          http: { oneAgent, manyAgents, sequential: sequentialHttp },
        });
      }
    } finally {
      await baseline.close();
    }

    const ledger = await ledgerCounts(stack);
    const consistent =
      ledger.mismatched === 0 && ledger.holdRows >= created && ledger.holdRows <= created + abandonedAtMost;
    const results: BenchResults = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      settings,
      environment: {
        node: process.version,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        cpuCount: os.cpus().length,
        totalMemoryGiB: Math.round(os.totalmem() / 2 ** 30),
        platform: `${os.platform()} ${os.release()}`,
        pinning: 'none (server child, load generator and baseline share both cores with PostgreSQL)',
        serverMode:
          'API in a child process: node bench/support/run-ts.mjs apps/api/src/main.ts (SWC on the fly, ' +
          `decorator metadata kept), PROCO_ENV=development, log level silent, DB pool ${stack.databasePoolSize}`,
        versions: {
          postgres: await postgresVersion(stack.database.url),
          viem: packageVersion(projectRoot, 'viem'),
          autocannon: packageVersion(projectRoot, 'autocannon'),
          pg: packageVersion(projectRoot, 'pg'),
          nestCore: packageVersion(projectRoot, '@nestjs/core'),
          prismaClient: packageVersion(projectRoot, '@prisma/client'),
          anvil: packageVersion(projectRoot, '@foundry-rs/anvil'),
        },
      },
      loadAverages: loadRecords,
      runs,
      invariants: { created201: created, abandonedAtMost, ...ledger, consistent },
      summary: summarise(runs),
    };
    const stamp = startedAt
      .toISOString()
      .replaceAll(':', '-')
      .replace(/\.\d+Z$/, 'Z');
    const resultsDirectory = path.join(projectRoot, 'bench', 'results');
    mkdirSync(resultsDirectory, { recursive: true });
    const jsonFile = path.join(resultsDirectory, `payments-${stamp}.json`);
    await writeFormatted(jsonFile, JSON.stringify(results, null, 2));
    await writeBenchmarksSection(
      path.join(projectRoot, 'BENCHMARKS.md'),
      'payments',
      renderMarkdown(results, path.relative(projectRoot, jsonFile)),
    );
    console.info(`[bench] wrote ${path.relative(projectRoot, jsonFile)} and BENCHMARKS.md`);
    console.info(JSON.stringify(results.summary, null, 2));
    if (!consistent) throw new Error(`Ledger invariant broken: ${JSON.stringify({ created, ...ledger })}`);
  } finally {
    await stack.stop();
  }
}

interface LedgerCounts {
  readonly holdRows: number;
  readonly authorizedPayments: number;
  /** Holds whose payment is not `authorized`, and authorized payments without exactly one hold. */
  readonly mismatched: number;
}

/**
 * What the database says after the runs. autocannon abandons the requests still in flight when a
 * phase ends, and the server completes them, so hold rows may exceed the 201s it counted by at
 * most the connections of each phase; the exact check is holds against authorized payments.
 */
/** Writes a results file as the repository's Prettier settings format it, so `npm run lint` stays green. */
async function writeFormatted(file: string, text: string): Promise<void> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
}

async function ledgerCounts(stack: BenchStack): Promise<LedgerCounts> {
  const client = new Client({ connectionString: stack.database.url });
  await client.connect();
  try {
    // Let requests abandoned at the last phase's end finish (bounded).
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const pending = await client.query<{ count: string }>(
        `SELECT count(*)::text AS count FROM payments WHERE status = 'authorizing'`,
      );
      if (pending.rows[0]?.count === '0') break;
      await sleep(500);
    }
    const result = await client.query<{ holds: string; authorized: string; mismatched: string }>(`
      SELECT (SELECT count(*) FROM holds)::text AS holds,
             (SELECT count(*) FROM payments WHERE status = 'authorized')::text AS authorized,
             ((SELECT count(*) FROM holds h LEFT JOIN payments p ON p.id = h.payment_id
                WHERE p.status IS DISTINCT FROM 'authorized')
              + (SELECT count(*) FROM payments p
                  WHERE p.status = 'authorized'
                    AND (SELECT count(*) FROM holds h WHERE h.payment_id = p.id) <> 1))::text AS mismatched`);
    const row = result.rows[0];
    if (row === undefined) throw new Error('The ledger count query returned no row.');
    return {
      holdRows: Number(row.holds),
      authorizedPayments: Number(row.authorized),
      mismatched: Number(row.mismatched),
    };
  } finally {
    await client.end();
  }
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
