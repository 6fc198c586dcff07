// Settlement throughput (issue 4): after a few warm-up settlements (the worker creates its relayer
// and nonce row on first use), `authorizations` distinct valid payments go through
// POST /facilitator/settle (a bounded number at a time; the API answers once the settlement is
// queued, PROCO_SETTLE_WAIT_MS=0) while the settlement queue is paused, so the worker starts from
// a backlog; once every submit job's batch wait has passed the queue is resumed and the clock runs
// until the last settlement is confirmed on chain (its `settled_at`), or until the deadline. The
// intake (verify, store and enqueue, the same work in both modes) is timed apart. Then the chain
// side from `relayer_transactions`: transactions sent, authorizations per transaction, blocks and
// gas used.
import { setTimeout as sleep } from 'node:timers/promises';
import { SETTLEMENT_QUEUE } from '@proco/jobs';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { median } from './stats';

export interface SettlementLoadResult {
  readonly authorizations: number;
  readonly intakeConcurrency: number;
  /** Settle answers: `success: true` or `settlement_pending` (queued), other refusals, non-200s. */
  readonly accepted: number;
  readonly refused: number;
  readonly refusalReasons: Record<string, number>;
  readonly httpFailures: number;
  /** From the first settle request until the last answer (the queue paused meanwhile). */
  readonly intakeSeconds: number;
  /** Settle answers per second of `intakeSeconds`. */
  readonly intakePerSecond: number;
  /** From the queue's resumption until the last settlement was confirmed, or the deadline. */
  readonly elapsedSeconds: number;
  readonly timedOut: boolean;
  readonly confirmed: number;
  readonly failed: number;
  /** Settlements neither confirmed nor failed when the clock stopped. */
  readonly unfinished: number;
  readonly failureReasons: Record<string, number>;
  /** Confirmed settlements per second of `elapsedSeconds`: the throughput figure. */
  readonly throughputPerSecond: number;
  readonly transactions: number;
  readonly minedTransactions: number;
  readonly blocks: number;
  readonly authorizationsPerTransaction: {
    readonly min: number;
    readonly median: number;
    readonly max: number;
  };
  readonly gasUsedTotal: string;
  /** Gas used by mined transactions ÷ the settlements they confirmed. */
  readonly gasPerAuthorization: number;
  /** Seconds from the queue's resumption: first and last transaction signed and stored, last one final. */
  readonly timeline: {
    readonly firstStoredSeconds: number;
    readonly lastStoredSeconds: number;
    readonly lastBroadcastSeconds: number;
    readonly lastFinalSeconds: number;
  };
}

/** How often the bench reads the settlement rows while it waits. */
const POLL_INTERVAL_MS = 100;

export async function runSettlementLoad(params: {
  baseUrl: string;
  adminKey: string;
  databaseUrl: string;
  redisUrl: string;
  /** The stack's Redis prefix: its queues live under `<prefix>:bull`. */
  redisPrefix: string;
  /** PROCO_SETTLEMENT_BATCH_WAIT_MS: how long a submit job is delayed after its first settlement. */
  batchWaitMs: number;
  /** Settled (and confirmed) first, outside the figures. */
  warmupBodies: readonly string[];
  bodies: readonly string[];
  intakeConcurrency: number;
  deadlineSeconds: number;
}): Promise<SettlementLoadResult> {
  const { bodies } = params;
  const client = new Client({ connectionString: params.databaseUrl });
  await client.connect();
  const queue = new Queue(SETTLEMENT_QUEUE, {
    prefix: `${params.redisPrefix}:bull`,
    connection: { url: params.redisUrl, maxRetriesPerRequest: null },
  });
  try {
    const warm = await settleAll({ ...params, bodies: params.warmupBodies });
    if (warm.accepted !== params.warmupBodies.length) {
      throw new Error(`Warm-up settlements were refused: ${JSON.stringify(warm)}`);
    }
    const warmDeadlineMs = Date.now() + params.deadlineSeconds * 1_000;
    let warmCounts = await settlementCounts(client, null);
    while (warmCounts.confirmed < params.warmupBodies.length) {
      if (warmCounts.failed > 0 || Date.now() > warmDeadlineMs) {
        throw new Error(`Warm-up settlements did not confirm: ${JSON.stringify(warmCounts)}`);
      }
      await sleep(POLL_INTERVAL_MS);
      warmCounts = await settlementCounts(client, null);
    }
    // Rows of the warm-up are left out of every figure below.
    const warmedUpAt = new Date();
    await queue.pause();
    const intake = await settleAll(params);
    // Every submit job is due by now, so the clock below measures settling, not the batch wait.
    await sleep(params.batchWaitMs + 250);
    await queue.resume();
    const startedAtMs = Date.now();
    const deadlineMs = startedAtMs + params.deadlineSeconds * 1_000;
    let counts = await settlementCounts(client, warmedUpAt);
    while (counts.confirmed + counts.failed < counts.total && Date.now() < deadlineMs) {
      await sleep(POLL_INTERVAL_MS);
      counts = await settlementCounts(client, warmedUpAt);
    }
    const timedOut = counts.confirmed + counts.failed < counts.total;
    // The last confirmation's own timestamp (PostgreSQL's clock, this machine); the deadline if unfinished.
    const endMs = timedOut ? deadlineMs : (counts.lastSettledAtMs ?? Date.now());
    const elapsedSeconds = (endMs - startedAtMs) / 1_000;
    const chain = await chainSide(client, warmedUpAt, startedAtMs);
    return {
      authorizations: bodies.length,
      intakeConcurrency: params.intakeConcurrency,
      ...intake,
      elapsedSeconds,
      timedOut,
      confirmed: counts.confirmed,
      failed: counts.failed,
      unfinished: counts.total - counts.confirmed - counts.failed,
      failureReasons: counts.failureReasons,
      throughputPerSecond: counts.confirmed / elapsedSeconds,
      ...chain,
    };
  } finally {
    await queue.close();
    await client.end();
  }
}

/** Sends every body to POST /facilitator/settle, `intakeConcurrency` at a time, and sorts the answers. */
async function settleAll(params: {
  baseUrl: string;
  adminKey: string;
  bodies: readonly string[];
  intakeConcurrency: number;
}): Promise<
  Pick<
    SettlementLoadResult,
    'accepted' | 'refused' | 'refusalReasons' | 'httpFailures' | 'intakeSeconds' | 'intakePerSecond'
  >
> {
  const { bodies } = params;
  let accepted = 0;
  let refused = 0;
  let httpFailures = 0;
  const refusalReasons: Record<string, number> = {};
  const startedAtMs = Date.now();
  let next = 0;
  const submitOne = async (body: string): Promise<void> => {
    try {
      const response = await fetch(`${params.baseUrl}/facilitator/settle`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${params.adminKey}`, 'Content-Type': 'application/json' },
        body,
      });
      const text = await response.text();
      if (response.status !== 200) {
        httpFailures += 1;
        return;
      }
      const answer = JSON.parse(text) as { success?: boolean; errorReason?: string };
      if (answer.success === true || answer.errorReason === 'settlement_pending') {
        accepted += 1;
        return;
      }
      refused += 1;
      const reason = answer.errorReason ?? 'no_reason';
      refusalReasons[reason] = (refusalReasons[reason] ?? 0) + 1;
    } catch {
      httpFailures += 1;
    }
  };
  const intakeWorkers = Array.from({ length: params.intakeConcurrency }, async () => {
    for (let body = bodies[next++]; body !== undefined; body = bodies[next++]) {
      await submitOne(body);
    }
  });
  await Promise.all(intakeWorkers);
  const intakeSeconds = (Date.now() - startedAtMs) / 1_000;
  return {
    accepted,
    refused,
    refusalReasons,
    httpFailures,
    intakeSeconds,
    intakePerSecond: bodies.length / intakeSeconds,
  };
}

interface SettlementCounts {
  readonly total: number;
  readonly confirmed: number;
  readonly failed: number;
  readonly failureReasons: Record<string, number>;
  readonly lastSettledAtMs: number | null;
}

/** Counts the settlements created after `since` (all of them when null). */
async function settlementCounts(client: Client, since: Date | null): Promise<SettlementCounts> {
  const { rows } = await client.query<{
    status: string;
    error_reason: string | null;
    count: string;
    last_settled_ms: string | null;
  }>(
    `
    SELECT status::text AS status, error_reason, count(*)::text AS count,
           (extract(epoch FROM max(settled_at)) * 1000)::bigint::text AS last_settled_ms
      FROM settlements WHERE $1::timestamptz IS NULL OR created_at > $1::timestamptz
     GROUP BY status, error_reason`,
    [since],
  );
  let total = 0;
  let confirmed = 0;
  let failed = 0;
  let lastSettledAtMs: number | null = null;
  const failureReasons: Record<string, number> = {};
  for (const row of rows) {
    const count = Number(row.count);
    total += count;
    if (row.status === 'confirmed') {
      confirmed += count;
      if (row.last_settled_ms !== null) {
        lastSettledAtMs = Math.max(lastSettledAtMs ?? 0, Number(row.last_settled_ms));
      }
    } else if (row.status === 'failed') {
      failed += count;
      const reason = row.error_reason ?? 'no_reason';
      failureReasons[reason] = (failureReasons[reason] ?? 0) + count;
    }
  }
  return { total, confirmed, failed, failureReasons, lastSettledAtMs };
}

async function chainSide(
  client: Client,
  since: Date,
  startedAtMs: number,
): Promise<
  Pick<
    SettlementLoadResult,
    | 'transactions'
    | 'minedTransactions'
    | 'blocks'
    | 'authorizationsPerTransaction'
    | 'gasUsedTotal'
    | 'gasPerAuthorization'
    | 'timeline'
  >
> {
  const { rows: times } = await client.query<{
    first_stored: string | null;
    last_stored: string | null;
    last_broadcast: string | null;
    last_final: string | null;
  }>(
    `
    SELECT (extract(epoch FROM min(created_at)) * 1000)::bigint::text AS first_stored,
           (extract(epoch FROM max(created_at)) * 1000)::bigint::text AS last_stored,
           (extract(epoch FROM max(broadcast_at)) * 1000)::bigint::text AS last_broadcast,
           (extract(epoch FROM max(finalized_at)) * 1000)::bigint::text AS last_final
      FROM relayer_transactions WHERE created_at > $1`,
    [since],
  );
  const secondsFrom = (value: string | null | undefined): number =>
    value === null || value === undefined ? Number.NaN : (Number(value) - startedAtMs) / 1_000;
  const { rows } = await client.query<{
    id: string;
    block_number: string | null;
    gas_used: string | null;
    carried: string;
    confirmed: string;
  }>(
    `
    SELECT t.id::text AS id, t.block_number::text AS block_number, t.gas_used::text AS gas_used,
           count(s.id)::text AS carried,
           count(s.id) FILTER (WHERE s.status = 'confirmed')::text AS confirmed
      FROM relayer_transactions t LEFT JOIN settlements s ON s.relayer_transaction_id = t.id
     WHERE t.created_at > $1
     GROUP BY t.id`,
    [since],
  );
  const carried = rows.map((row) => Number(row.carried));
  const mined = rows.filter((row) => row.gas_used !== null);
  const gasUsedTotal = mined.reduce((sum, row) => sum + BigInt(row.gas_used ?? '0'), 0n);
  const confirmedInMined = mined.reduce((sum, row) => sum + Number(row.confirmed), 0);
  return {
    transactions: rows.length,
    minedTransactions: mined.length,
    blocks: new Set(mined.map((row) => row.block_number)).size,
    authorizationsPerTransaction: {
      min: carried.length === 0 ? 0 : Math.min(...carried),
      median: median(carried),
      max: carried.length === 0 ? 0 : Math.max(...carried),
    },
    gasUsedTotal: gasUsedTotal.toString(),
    gasPerAuthorization: confirmedInMined === 0 ? Number.NaN : Number(gasUsedTotal) / confirmedInMined,
    timeline: {
      firstStoredSeconds: secondsFrom(times[0]?.first_stored),
      lastStoredSeconds: secondsFrom(times[0]?.last_stored),
      lastBroadcastSeconds: secondsFrom(times[0]?.last_broadcast),
      lastFinalSeconds: secondsFrom(times[0]?.last_final),
    },
  };
}
