// The facilitator benchmark's (issue 4) results: medians and same-run ratios, and its section of
// BENCHMARKS.md.
import { LOAD_GENERATOR } from './process-cpu';
import { type SettlementLoadResult } from './settlement-load';
import { median } from './stats';
import { type VerifyLoadResult } from './verify-load';

/** The CPU group of the facilitator's own process. */
export const OWN_PROCESS = 'own process';
/** The CPU group of everything that served the verifies (all groups but the load generator). */
const SERVED = 'served';
/** The column order of the CPU table. */
const CPU_GROUP_ORDER = [OWN_PROCESS, 'anvil', 'postgres', 'redis', SERVED, LOAD_GENERATOR];

export interface Measured<T> {
  readonly loadAverage1m: number;
  readonly result: T;
}

export type VerifyTarget = 'proco' | 'reference';

export interface VerifyTargetRun {
  /** c=16 closed loop after the warm-up. */
  readonly loaded: Measured<VerifyLoadResult>;
  /** c=1: unloaded latency. */
  readonly unloaded: Measured<VerifyLoadResult>;
  /**
   * CPU seconds used during the c=16 phase by the facilitator's process, anvil, the PostgreSQL
   * backends of the bench database, the Redis server (shared with anything else on the machine)
   * and the load generator (this process).
   */
  readonly cpuSeconds: Readonly<Record<string, number>>;
}

export interface VerifyRun {
  readonly run: number;
  /** Which facilitator went first in this run (the order alternates). */
  readonly order: readonly VerifyTarget[];
  readonly proco: VerifyTargetRun;
  readonly reference: VerifyTargetRun;
}

export interface SettlementRun {
  readonly run: number;
  readonly order: readonly ('single' | 'batched')[];
  readonly single: Measured<SettlementLoadResult>;
  readonly batched: Measured<SettlementLoadResult>;
}

export interface Figures {
  readonly throughputPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface Ratio {
  readonly description: string;
  readonly perRun: number[];
  readonly median: number;
  /** `>= x` or `<= x`; `report only` when the issue sets no target. */
  readonly target: string;
  readonly pass: boolean | null;
}

/** What every measured verify phase answered, summed over runs (warm-ups excluded). */
export interface VerdictCounts {
  readonly requests: number;
  readonly valid: number;
  readonly invalid: number;
  readonly invalidReasons: Record<string, number>;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly poolWrapped: number;
}

export interface SettlementFigures {
  readonly throughputPerSecond: number;
  readonly elapsedSeconds: number;
  readonly intakeSeconds: number;
  readonly intakePerSecond: number;
  readonly confirmed: number;
  readonly authorizations: number;
  readonly transactions: number;
  readonly blocks: number;
  readonly authorizationsPerTransactionMedian: number;
  readonly gasPerAuthorization: number;
  readonly timedOut: boolean;
}

export interface FacilitatorSummary {
  readonly verify: {
    readonly proco: Figures;
    readonly reference: Figures;
    /** Median over runs of CPU milliseconds per valid verdict, per process group (c=16). */
    readonly cpuMsPerValid: Readonly<Record<VerifyTarget, Readonly<Record<string, number>>>>;
    readonly procoUnloaded: Figures;
    readonly referenceUnloaded: Figures;
    readonly counts: { readonly proco: VerdictCounts; readonly reference: VerdictCounts };
    /** Every measured answer a 200 with `isValid: true`, and no payload repeated. */
    readonly clean: boolean;
    readonly ratios: Record<string, Ratio>;
  } | null;
  readonly settlement: {
    readonly single: SettlementFigures;
    readonly batched: SettlementFigures;
    readonly ratios: Record<string, Ratio>;
  } | null;
}

export interface FacilitatorResults {
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
    readonly referenceMode: string;
    readonly versions: Record<string, string>;
  };
  /** The wait for a quieter machine before the first measurement, if any. */
  readonly loadWait: {
    readonly waitedSeconds: number;
    readonly loadAverage1mAtStart: number;
    readonly threshold: number;
  };
  readonly loadAverages: readonly { step: string; loadAverage1m: number; aboveThreshold: boolean }[];
  readonly verify: { readonly runs: readonly VerifyRun[] };
  readonly settlement: { readonly runs: readonly SettlementRun[] };
  readonly summary: FacilitatorSummary;
}

function figuresOf(values: readonly VerifyLoadResult[]): Figures {
  return {
    throughputPerSecond: median(values.map((value) => value.throughputPerSecond)),
    p50Ms: median(values.map((value) => value.p50Ms)),
    p99Ms: median(values.map((value) => value.p99Ms)),
  };
}

function countsOf(values: readonly VerifyLoadResult[]): VerdictCounts {
  const invalidReasons: Record<string, number> = {};
  for (const value of values) {
    for (const [reason, count] of Object.entries(value.invalidReasons)) {
      invalidReasons[reason] = (invalidReasons[reason] ?? 0) + count;
    }
  }
  const sum = (pick: (value: VerifyLoadResult) => number): number =>
    values.reduce((total, value) => total + pick(value), 0);
  return {
    requests: sum((value) => value.requests),
    valid: sum((value) => value.valid),
    invalid: sum((value) => value.invalid),
    invalidReasons,
    non2xx: sum((value) => value.non2xx),
    errors: sum((value) => value.errors),
    timeouts: sum((value) => value.timeouts),
    poolWrapped: sum((value) => value.poolWrapped),
  };
}

function ratio(params: { description: string; perRun: number[]; atLeast?: number; atMost?: number }): Ratio {
  const value = median(params.perRun);
  const hasTarget = params.atLeast !== undefined || params.atMost !== undefined;
  const pass = hasTarget
    ? (params.atLeast === undefined || value >= params.atLeast) &&
      (params.atMost === undefined || value <= params.atMost)
    : null;
  const target =
    params.atLeast !== undefined
      ? `>= ${params.atLeast}`
      : params.atMost !== undefined
        ? `<= ${params.atMost}`
        : 'report only';
  return { description: params.description, perRun: params.perRun, median: value, target, pass };
}

function settlementFiguresOf(values: readonly SettlementLoadResult[]): SettlementFigures {
  const mid = (pick: (value: SettlementLoadResult) => number): number => median(values.map(pick));
  return {
    throughputPerSecond: mid((value) => value.throughputPerSecond),
    elapsedSeconds: mid((value) => value.elapsedSeconds),
    intakeSeconds: mid((value) => value.intakeSeconds),
    intakePerSecond: mid((value) => value.intakePerSecond),
    confirmed: mid((value) => value.confirmed),
    authorizations: mid((value) => value.authorizations),
    transactions: mid((value) => value.transactions),
    blocks: mid((value) => value.blocks),
    authorizationsPerTransactionMedian: mid((value) => value.authorizationsPerTransaction.median),
    gasPerAuthorization: mid((value) => value.gasPerAuthorization),
    timedOut: values.some((value) => value.timedOut),
  };
}

export function summariseFacilitator(
  verifyRuns: readonly VerifyRun[],
  settlementRuns: readonly SettlementRun[],
  targets: { verifyThroughputRatio: number; batchedSettlementRatio: number },
): FacilitatorSummary {
  let verify: FacilitatorSummary['verify'] = null;
  if (verifyRuns.length > 0) {
    const loaded = (target: VerifyTarget): VerifyLoadResult[] =>
      verifyRuns.map((run) => run[target].loaded.result);
    const unloaded = (target: VerifyTarget): VerifyLoadResult[] =>
      verifyRuns.map((run) => run[target].unloaded.result);
    const counts = {
      proco: countsOf([...loaded('proco'), ...unloaded('proco')]),
      reference: countsOf([...loaded('reference'), ...unloaded('reference')]),
    };
    const clean = Object.values(counts).every(
      (count) =>
        count.invalid === 0 &&
        count.non2xx === 0 &&
        count.errors === 0 &&
        count.timeouts === 0 &&
        count.valid === count.requests,
    );
    const perRun = (of: (run: VerifyRun) => number): number[] => verifyRuns.map(of);
    // "served" is what the facilitator and its dependencies used, without the load generator.
    const cpuMsPerValid = (target: VerifyTarget): Record<string, number> => {
      const groups = [...Object.keys(verifyRuns[0]?.[target].cpuSeconds ?? {}), SERVED];
      const secondsOf = (run: VerifyRun, group: string): number =>
        group === SERVED
          ? Object.entries(run[target].cpuSeconds)
              .filter(([name]) => name !== LOAD_GENERATOR)
              .reduce((sum, [, seconds]) => sum + seconds, 0)
          : (run[target].cpuSeconds[group] ?? Number.NaN);
      return Object.fromEntries(
        groups.map((group) => [
          group,
          median(verifyRuns.map((run) => (1_000 * secondsOf(run, group)) / run[target].loaded.result.valid)),
        ]),
      );
    };
    verify = {
      proco: figuresOf(loaded('proco')),
      reference: figuresOf(loaded('reference')),
      cpuMsPerValid: { proco: cpuMsPerValid('proco'), reference: cpuMsPerValid('reference') },
      procoUnloaded: figuresOf(unloaded('proco')),
      referenceUnloaded: figuresOf(unloaded('reference')),
      counts,
      clean: clean && counts.proco.poolWrapped === 0,
      ratios: {
        throughput: ratio({
          description: 'verify c=16 throughput (isValid: true per second), Proco ÷ reference',
          perRun: perRun(
            (run) =>
              run.proco.loaded.result.throughputPerSecond / run.reference.loaded.result.throughputPerSecond,
          ),
          atLeast: targets.verifyThroughputRatio,
        }),
        p50: ratio({
          description: 'verify c=16 p50, Proco ÷ reference',
          perRun: perRun((run) => run.proco.loaded.result.p50Ms / run.reference.loaded.result.p50Ms),
        }),
        p99: ratio({
          description: 'verify c=16 p99, Proco ÷ reference',
          perRun: perRun((run) => run.proco.loaded.result.p99Ms / run.reference.loaded.result.p99Ms),
        }),
        unloadedP50: ratio({
          description: 'verify c=1 p50, Proco ÷ reference',
          perRun: perRun((run) => run.proco.unloaded.result.p50Ms / run.reference.unloaded.result.p50Ms),
        }),
      },
    };
  }
  let settlement: FacilitatorSummary['settlement'] = null;
  if (settlementRuns.length > 0) {
    settlement = {
      single: settlementFiguresOf(settlementRuns.map((run) => run.single.result)),
      batched: settlementFiguresOf(settlementRuns.map((run) => run.batched.result)),
      ratios: {
        throughput: ratio({
          description: 'settled authorizations per second, batched ÷ one per transaction',
          perRun: settlementRuns.map(
            (run) => run.batched.result.throughputPerSecond / run.single.result.throughputPerSecond,
          ),
          atLeast: targets.batchedSettlementRatio,
        }),
        gasPerAuthorization: ratio({
          description: 'gas per authorization, batched ÷ one per transaction',
          perRun: settlementRuns.map(
            (run) => run.batched.result.gasPerAuthorization / run.single.result.gasPerAuthorization,
          ),
        }),
      },
    };
  }
  return { verify, settlement };
}

const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const setting = (results: FacilitatorResults, name: string): string => String(results.settings[name]);
const verdictOf = (pass: boolean | null): string => (pass === null ? '' : pass ? 'pass' : 'FAIL');
const reasonsOf = (reasons: Record<string, number>): string =>
  Object.keys(reasons).length === 0
    ? 'none'
    : Object.entries(reasons)
        .map(([reason, count]) => `${reason} ${count}`)
        .join(', ');

/** The CPU groups of a CPU table, in a fixed order. */
function cpuGroupsOf(table: Readonly<Record<VerifyTarget, Readonly<Record<string, number>>>>): string[] {
  const groups = new Set([...Object.keys(table.proco), ...Object.keys(table.reference)]);
  const rank = (group: string): number => {
    const index = CPU_GROUP_ORDER.indexOf(group);
    return index < 0 ? CPU_GROUP_ORDER.length : index;
  };
  return [...groups].sort((left, right) => rank(left) - rank(right));
}

/** The facilitator section of BENCHMARKS.md (its `##` heading and body). */
export function renderFacilitatorMarkdown(results: FacilitatorResults, jsonFile: string): string {
  const { summary, environment } = results;
  const loads = results.loadAverages.map((entry) => entry.loadAverage1m);
  const flagged = results.loadAverages.filter((entry) => entry.aboveThreshold).length;
  const lines = [
    '## Facilitator (issue 4)',
    '',
    'Generated by `npm run bench:facilitator` (bench/facilitator.bench.ts); not part of `npm test`.',
    `Raw results: \`${jsonFile}\`. Started ${results.startedAt}, finished ${results.finishedAt}.`,
    'Where the verify time goes and what to change: `bench/facilitator.notes.md` (written by hand).',
    '',
    '### Method',
    '',
    `- Verify: ${setting(results, 'runs')} runs; in each, Proco's \`POST /facilitator/verify\` and the reference`,
    '  facilitator (`@x402/core` x402Facilitator + `@x402/evm` ExactEvmScheme in a bare express app, its',
    '  `POST /verify`) are measured back to back, the first one alternating between runs; figures are',
    '  medians over runs, ratios are computed per run, then the median.',
    `- Load: autocannon (programmatic), c=${setting(results, 'connections')} for ` +
      `${setting(results, 'durationSeconds')} s after ${setting(results, 'warmupSeconds')} s warm-up, then c=1 for ` +
      `${setting(results, 'latencyDurationSeconds')} s (unloaded latency). Every request carries the next payment of one`,
    `  pool of distinct payments signed before the runs (EIP-3009, random nonces, ${setting(results, 'payers')}`,
    '  random payers minted test USD), the same request body and headers for both; in each run both',
    "  facilitators read the pool from the same offset. Proco's verify locks an authorization once it",
    '  passes, so no payment reaches Proco twice; throughput counts `isValid: true` answers only, and',
    '  every other answer is counted below.',
    '- Both facilitators read the same anvil chain (automine) at 127.0.0.1; Proco with',
    '  `PROCO_FACILITATOR_PAYER_VERIFIES_PER_MINUTE=1000000` (the pool shares its payers).',
    `- Settlement: ${setting(results, 'settlementRuns')} run(s), each mode on a fresh stack (database, Redis prefix, API, worker and an`,
    `  anvil chain started with \`--block-time ${setting(results, 'blockTimeSeconds')}\`). After two warm-up settlements (the worker`,
    `  creates its relayer and nonce row on first use), ${setting(results, 'settleAuthorizations')} distinct valid payments (from ${setting(results, 'settlementPayers')} payers) go`,
    `  through \`POST /facilitator/settle\`, ${setting(results, 'settleConcurrency')} at a time, while the settlement queue is paused`,
    '  (`PROCO_SETTLE_WAIT_MS=0`: the API answers once the settlement is stored and its job enqueued); once',
    "  every submit job's batch wait has passed, the queue is resumed and the clock runs until the last",
    `  settlement's \`settled_at\` (confirmed on chain), at most ${setting(results, 'settleDeadlineSeconds')} s: settled /s is the worker's rate`,
    '  from a backlog. The intake (verify, store, enqueue: the same work in both modes) is timed apart.',
    '  One per transaction: `PROCO_SETTLEMENT_BATCH_SIZE=1`, `PROCO_SETTLEMENT_BATCH_WAIT_MS=0`; batched:',
    `  \`PROCO_SETTLEMENT_BATCH_SIZE=${setting(results, 'batchSize')}\`, \`PROCO_SETTLEMENT_BATCH_WAIT_MS=${setting(results, 'batchWaitMs')}\`. Gas from`,
    '  `relayer_transactions.gas_used` ÷ the settlements those transactions confirmed.',
    `- Proco: ${environment.serverMode}.`,
    `- Reference: ${environment.referenceMode}.`,
    `- Pinning: ${environment.pinning}.`,
    '',
    '### Environment',
    '',
    `- CPU: ${environment.cpuModel} × ${environment.cpuCount}; ${environment.totalMemoryGiB} GiB; ${environment.platform}`,
    `- Node ${environment.node}; ${Object.entries(environment.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
    `- Before the first measurement the bench waited ${fixed(results.loadWait.waitedSeconds, 0)} s for the 1-min load ` +
      `average to fall to ${fixed(results.loadWait.threshold)} or below (it was ${fixed(results.loadWait.loadAverage1mAtStart)} at start).`,
    `- 1-min load average before each measurement: min ${fixed(Math.min(...loads))}, max ` +
      `${fixed(Math.max(...loads))}; ${flagged} of ${loads.length} above ` +
      `${setting(results, 'maxLoadAverage')} (flagged, not refused: shared machine).`,
    '',
  ];
  if (summary.verify !== null) {
    const { verify } = summary;
    const row = (name: string, value: Figures): string =>
      `| ${name} | ${fixed(value.throughputPerSecond, 0)} | ${fixed(value.p50Ms)} | ${fixed(value.p99Ms)} |`;
    const countRow = (name: string, value: VerdictCounts): string =>
      `| ${name} | ${value.requests} | ${value.valid} | ${value.invalid} (${reasonsOf(value.invalidReasons)}) | ` +
      `${value.non2xx} | ${value.errors + value.timeouts} | ${value.poolWrapped} |`;
    lines.push(
      '### Verify (medians)',
      '',
      '| scenario | valid verdicts /s | p50 ms | p99 ms |',
      '|---|---:|---:|---:|',
      row('Proco `POST /facilitator/verify`, c=16', verify.proco),
      row('reference `POST /verify`, c=16', verify.reference),
      row('Proco `POST /facilitator/verify`, c=1', verify.procoUnloaded),
      row('reference `POST /verify`, c=1', verify.referenceUnloaded),
      '',
      `CPU milliseconds per valid verdict, c=${setting(results, 'connections')} (medians over runs; Redis is the shared server, so other users of it count too):`,
      '',
      `| facilitator | ${cpuGroupsOf(verify.cpuMsPerValid).join(' | ')} |`,
      `|---|${cpuGroupsOf(verify.cpuMsPerValid)
        .map(() => '---:')
        .join('|')}|`,
      ...(['proco', 'reference'] as const).map(
        (target) =>
          `| ${target === 'proco' ? 'Proco' : 'reference'} | ${cpuGroupsOf(verify.cpuMsPerValid)
            .map((group) => fixed(verify.cpuMsPerValid[target][group] ?? Number.NaN))
            .join(' | ')} |`,
      ),
      '',
      'Answers of the measured phases (all runs, c=16 and c=1):',
      '',
      '| facilitator | requests | isValid: true | isValid: false (reasons) | non-200 | errors | repeated payloads |',
      '|---|---:|---:|---|---:|---:|---:|',
      countRow('Proco', verify.counts.proco),
      countRow('reference', verify.counts.reference),
      '',
      `Verdict: ${
        verify.clean
          ? 'clean (every measured answer was a 200 with isValid: true, no payment repeated).'
          : 'NOT CLEAN: some answers were refusals or errors (see above); the throughput counts valid verdicts only.'
      }`,
      '',
    );
  }
  if (summary.settlement !== null) {
    const { settlement } = summary;
    const row = (name: string, value: SettlementFigures): string =>
      `| ${name} | ${fixed(value.throughputPerSecond, 1)} | ${value.confirmed} of ${value.authorizations} | ` +
      `${fixed(value.elapsedSeconds, 1)}${value.timedOut ? ' (deadline)' : ''} | ${fixed(value.intakePerSecond, 0)} | ` +
      `${value.transactions} | ${fixed(value.authorizationsPerTransactionMedian, 0)} | ${value.blocks} | ` +
      `${fixed(value.gasPerAuthorization, 0)} |`;
    lines.push(
      `### Settlement, anvil \`--block-time ${setting(results, 'blockTimeSeconds')}\` (medians)`,
      '',
      '| mode | settled /s | confirmed | settling s | intake /s | transactions | authorizations per tx (median) | blocks | gas per authorization |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      row('one per transaction', settlement.single),
      row(`batched (up to ${setting(results, 'batchSize')})`, settlement.batched),
      '',
    );
  }
  const ratios = [
    ...Object.values(summary.verify?.ratios ?? {}),
    ...Object.values(summary.settlement?.ratios ?? {}),
  ];
  lines.push(
    "### Ratios against the issue's targets",
    '',
    '| ratio | per run | median | target | verdict |',
    '|---|---|---:|---|---|',
    ...ratios.map(
      (value) =>
        `| ${value.description} | ${value.perRun.map((entry) => fixed(entry)).join(', ')} | ` +
        `${fixed(value.median)} | ${value.target} | ${verdictOf(value.pass)} |`,
    ),
    '',
  );
  return lines.join('\n');
}
