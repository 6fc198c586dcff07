// Medians, ratios against the same run's baseline, and the BENCHMARKS.md rendering.
import { type ConcurrentBaseline, type SequentialBaseline } from './baseline';
import { type PaymentsLoadResult } from './http-load';
import { median } from './stats';

interface Measured<T> {
  readonly loadAverage1m: number;
  readonly result: T;
}

export interface BenchRun {
  readonly run: number;
  readonly baseline: {
    readonly sequential: Measured<SequentialBaseline>;
    readonly hot: Measured<ConcurrentBaseline>;
    readonly distinct: Measured<ConcurrentBaseline>;
  };
  readonly http: {
    readonly oneAgent: Measured<PaymentsLoadResult>;
    readonly manyAgents: Measured<PaymentsLoadResult>;
    readonly sequential: Measured<PaymentsLoadResult>;
  };
}

interface Figures {
  readonly throughputPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface Ratio {
  readonly description: string;
  readonly perRun: number[];
  readonly median: number;
  readonly target: string;
  readonly pass: boolean;
}

export interface BenchSummary {
  readonly baseline: {
    readonly signP50Ms: number;
    readonly debitP50Ms: number;
    readonly sequential: Figures;
    readonly hotRow: Figures;
    readonly distinctRows: Figures;
  };
  readonly http: {
    readonly oneAgent: Figures;
    readonly manyAgents: Figures;
    readonly oneAgentSequential: Figures;
  };
  readonly ratios: Record<string, Ratio>;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly settings: Record<string, unknown>;
  readonly environment: {
    readonly node: string;
    readonly cpuModel: string;
    readonly cpuCount: number;
    readonly totalMemoryGiB: number;
    readonly platform: string;
    readonly pinning: string;
    readonly serverMode: string;
    readonly versions: Record<string, string>;
  };
  readonly loadAverages: readonly { step: string; loadAverage1m: number; aboveThreshold: boolean }[];
  readonly runs: readonly BenchRun[];
  readonly invariants: {
    readonly created201: number;
    readonly abandonedAtMost: number;
    readonly holdRows: number;
    readonly authorizedPayments: number;
    readonly mismatched: number;
    readonly consistent: boolean;
  };
  readonly summary: BenchSummary;
}

function figures<T>(
  runs: readonly BenchRun[],
  pick: (run: BenchRun) => T,
  of: (value: T) => Figures,
): Figures {
  const all = runs.map((run) => of(pick(run)));
  return {
    throughputPerSecond: median(all.map((value) => value.throughputPerSecond)),
    p50Ms: median(all.map((value) => value.p50Ms)),
    p99Ms: median(all.map((value) => value.p99Ms)),
  };
}

function ratio(params: {
  runs: readonly BenchRun[];
  description: string;
  of: (run: BenchRun) => number;
  atLeast?: number;
  atMost?: number;
}): Ratio {
  const perRun = params.runs.map(params.of);
  const value = median(perRun);
  const pass =
    (params.atLeast === undefined || value >= params.atLeast) &&
    (params.atMost === undefined || value <= params.atMost);
  const target = params.atLeast === undefined ? `<= ${params.atMost}` : `>= ${params.atLeast}`;
  return { description: params.description, perRun, median: value, target, pass };
}

export function summarise(runs: readonly BenchRun[]): BenchSummary {
  const sequentialFigures = (value: SequentialBaseline): Figures => ({
    throughputPerSecond: 1000 / value.combinedP50Ms,
    p50Ms: value.combinedP50Ms,
    p99Ms: value.combinedP99Ms,
  });
  const plain = (value: ConcurrentBaseline | PaymentsLoadResult): Figures => ({
    throughputPerSecond: value.throughputPerSecond,
    p50Ms: value.p50Ms,
    p99Ms: value.p99Ms,
  });
  return {
    baseline: {
      signP50Ms: median(runs.map((run) => run.baseline.sequential.result.signP50Ms)),
      debitP50Ms: median(runs.map((run) => run.baseline.sequential.result.debitP50Ms)),
      sequential: figures(runs, (run) => run.baseline.sequential.result, sequentialFigures),
      hotRow: figures(runs, (run) => run.baseline.hot.result, plain),
      distinctRows: figures(runs, (run) => run.baseline.distinct.result, plain),
    },
    http: {
      oneAgent: figures(runs, (run) => run.http.oneAgent.result, plain),
      manyAgents: figures(runs, (run) => run.http.manyAgents.result, plain),
      oneAgentSequential: figures(runs, (run) => run.http.sequential.result, plain),
    },
    ratios: {
      oneAgentThroughput: ratio({
        runs,
        description: 'one agent c=16 throughput ÷ baseline hot-row c=16 throughput',
        of: (run) =>
          run.http.oneAgent.result.throughputPerSecond / run.baseline.hot.result.throughputPerSecond,
        atLeast: 0.4,
      }),
      manyAgentsThroughput: ratio({
        runs,
        description: '64 agents c=16 throughput ÷ baseline distinct-row c=16 throughput',
        of: (run) =>
          run.http.manyAgents.result.throughputPerSecond / run.baseline.distinct.result.throughputPerSecond,
        atLeast: 0.4,
      }),
      sequentialP50: ratio({
        runs,
        description: 'one agent c=1 p50 ÷ baseline sequential (sign + debit) p50',
        of: (run) => run.http.sequential.result.p50Ms / run.baseline.sequential.result.combinedP50Ms,
        atMost: 4,
      }),
      oneAgentP50UnderLoad: ratio({
        runs,
        description: 'one agent c=16 p50 ÷ baseline hot-row c=16 p50',
        of: (run) => run.http.oneAgent.result.p50Ms / run.baseline.hot.result.p50Ms,
        atMost: 4,
      }),
      manyAgentsP50UnderLoad: ratio({
        runs,
        description: '64 agents c=16 p50 ÷ baseline distinct-row c=16 p50',
        of: (run) => run.http.manyAgents.result.p50Ms / run.baseline.distinct.result.p50Ms,
        atMost: 4,
      }),
    },
  };
}

const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** The payments section of BENCHMARKS.md (its `##` heading and body; the file's title is not part of it). */
export function renderMarkdown(results: BenchResults, jsonFile: string): string {
  const { summary, environment } = results;
  const row = (name: string, value: Figures): string =>
    `| ${name} | ${fixed(value.throughputPerSecond, 0)} | ${fixed(value.p50Ms)} | ${fixed(value.p99Ms)} |`;
  const loads = results.loadAverages.map((entry) => entry.loadAverage1m);
  const flagged = results.loadAverages.filter((entry) => entry.aboveThreshold).length;
  const lines = [
    '## POST /v1/payments (issue 3)',
    '',
    'Generated by `npm run bench:payments` (bench/payments.bench.ts); not part of `npm test`.',
    `Raw results: \`${jsonFile}\`. Started ${results.startedAt}, finished ${results.finishedAt}.`,
    'Where the time goes, what was tried and what is next: `bench/payments.notes.md` (written by hand).',
    '',
    '### Method',
    '',
    `- ${String(results.settings['runs'])} runs, each interleaving baseline and HTTP scenarios (A/B per run);`,
    "  figures are medians over runs, ratios are computed per run against that run's baseline, then the median.",
    `- HTTP: autocannon (programmatic), ${String(results.settings['durationSeconds'])} s after ` +
      `${String(results.settings['warmupSeconds'])} s warm-up, c=16; every request a new purchase ` +
      '(fresh Idempotency-Key), amount 1 atomic unit, org and agent daily budgets far above what a run spends,',
    '  so every payment is allowed (201). "64 agents" rotates 64 distinct agent tokens; c=1 measures',
    `  unloaded latency (${String(results.settings['latencyDurationSeconds'])} s).`,
    '- Baseline (same process as the load generator, while the server idles): viem `signTypedData` of an',
    '  EIP-3009 TransferWithAuthorization with a random nonce, then `UPDATE … SET remaining = remaining - $1',
    '  WHERE id = $2 AND remaining >= $1` on a scratch table through `pg` (16-connection pool).',
    '  Sequential: sign, debit and sign + debit timed separately',
    `  (${String(results.settings['sequentialIterations'])} iterations); concurrent: 16 closed-loop workers`,
    '  on one hot row and on 64 distinct rows.',
    `- Server: ${environment.serverMode}.`,
    `- Pinning: ${environment.pinning}.`,
    '',
    '### Environment',
    '',
    `- CPU: ${environment.cpuModel} × ${environment.cpuCount}; ${environment.totalMemoryGiB} GiB; ${environment.platform}`,
    `- Node ${environment.node}; ${Object.entries(environment.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
    `- 1-min load average before each measurement: min ${fixed(Math.min(...loads))}, max ` +
      `${fixed(Math.max(...loads))}; ${flagged} of ${loads.length} above ` +
      `${String(results.settings['maxLoadAverage'])} (flagged, not refused: shared machine).`,
    '',
    '### Results (medians)',
    '',
    '| scenario | throughput /s | p50 ms | p99 ms |',
    '|---|---:|---:|---:|',
    row('baseline sequential sign + debit', summary.baseline.sequential),
    row('baseline c=16 sign + debit, one hot row', summary.baseline.hotRow),
    row('baseline c=16 sign + debit, 64 distinct rows', summary.baseline.distinctRows),
    row('POST /v1/payments, one agent, c=1', summary.http.oneAgentSequential),
    row('POST /v1/payments, one agent, c=16', summary.http.oneAgent),
    row('POST /v1/payments, 64 agents, c=16', summary.http.manyAgents),
    '',
    `Baseline parts (sequential p50): sign ${fixed(summary.baseline.signP50Ms, 3)} ms, debit ` +
      `${fixed(summary.baseline.debitP50Ms, 3)} ms. Sequential baseline throughput is 1000 / p50.`,
    '',
    "### Ratios against the issue's targets",
    '',
    '| ratio | per run | median | target | verdict |',
    '|---|---|---:|---|---|',
    ...Object.values(summary.ratios).map(
      (value) =>
        `| ${value.description} | ${value.perRun.map((entry) => fixed(entry)).join(', ')} | ` +
        `${fixed(value.median)} | ${value.target} | ${value.pass ? 'pass' : 'FAIL'} |`,
    ),
    '',
    `Ledger check (warm-ups included): ${results.invariants.created201} responses 201 seen by autocannon, ` +
      `${results.invariants.holdRows} hold rows, ${results.invariants.authorizedPayments} authorized payments, ` +
      `${results.invariants.mismatched} holds without an authorized payment or payments without exactly one ` +
      `hold; at most ${results.invariants.abandonedAtMost} requests abandoned in flight at phase ends ` +
      `(they complete server-side). Verdict: ${results.invariants.consistent ? 'consistent' : 'BROKEN'}.`,
    '',
  ];
  return lines.join('\n');
}
