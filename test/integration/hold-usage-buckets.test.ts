// Goal: the usage buckets the holds triggers maintain make `proco_hold_usage` equal, for every
// window, to a brute-force sum over `holds`: random holds of random orgs, agents, networks and
// assets stamped around UTC minute, hour and day boundaries, posted, voided and expired by single-
// and multi-row statements, queried with windows starting exactly on holds and on boundaries (seed
// logged); and concurrent expiry sweeps, reserves, posts and voids never deadlock and leave the
// buckets equal to the holds.
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '@proco/config';
import { type BudgetCheck, WINDOW_SECONDS_MAX } from '@proco/ledger';
import { AuditLogRepository, PostgresHoldStore, PrismaService } from '@proco/persistence';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/**
 * A UTC day boundary; every hold of the property lies within three days of it. The sessions run in
 * a time zone whose offset is not a whole hour and which changes it by an hour the UTC day before
 * BASE (Chatham Islands: UTC+12:45, then +13:45 from 2026-09-26T14:00Z), so a bucket or window
 * boundary computed in the session TimeZone instead of UTC, or a day added as '1 day' (23 hours
 * across that change), would show as a mismatch.
 */
const BASE = Date.parse('2026-09-27T00:00:00.000Z');
const SESSION_TIME_ZONE = 'Pacific/Chatham';
const SPREAD_MS = 3 * DAY_MS;
const NETWORKS = ['eip155:8453', 'eip155:84532'] as const;
const ASSETS = [
  '0x036cbd53842c5426634e7929541ec2318f3dcf7e',
  '0x833589fcd6e2c5f2c4d4f4e1e2d1e0b0f0a0b0c0',
] as const;
const ORGS_PER_RUN = 2;
const AGENTS_PER_ORG = 2;
const PROPERTY_RUNS = 40;
const HOLDS_PER_RUN_MAX = 30;
const WINDOWS_PER_RUN_MAX = 12;
/** Amounts large enough to need NUMERIC, small enough that a run's sums stay far below 10^78. */
const AMOUNT_ATOMIC_MAX = 10n ** 60n;
const POOL_SIZE = 24;
const STORE_POOL_SIZE = 8;
/** How long to wait for the store's closed connections to report their statistics. */
const STATISTICS_SETTLE_MS = 1_500;

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({
    connectionString: database.url,
    max: POOL_SIZE,
    options: `-c TimeZone=${SESSION_TIME_ZONE}`,
  });
  const { rows } = await pool.query<{ zone: string }>("SELECT current_setting('TimeZone') AS zone");
  expect(rows[0]!.zone).toBe(SESSION_TIME_ZONE);
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

interface Tenant {
  readonly orgIds: string[];
  /** agentIds[i] belongs to orgIds[Math.floor(i / AGENTS_PER_ORG)]. */
  readonly agentIds: string[];
}

async function seedTenant(orgs: number): Promise<Tenant> {
  const orgIds = Array.from({ length: orgs }, () => randomUUID());
  const agentIds = Array.from({ length: orgs * AGENTS_PER_ORG }, () => randomUUID());
  await pool.query(`INSERT INTO orgs (id, name) SELECT unnest($1::uuid[]), 'bucket test'`, [orgIds]);
  await pool.query(
    `INSERT INTO agents (id, org_id, name) SELECT unnest($1::uuid[]), unnest($2::uuid[]), 'agent'`,
    [agentIds, agentIds.map((_, index) => orgIds[Math.floor(index / AGENTS_PER_ORG)]!)],
  );
  return { orgIds, agentIds };
}

/** A budget's usage by brute force: every counted hold of the scope created at or after `since`. */
async function bruteBudget(params: {
  scope: 'org' | 'agent';
  scopeId: string;
  network: string;
  asset: string;
  since: Date | null;
}): Promise<string> {
  const column = params.scope === 'org' ? 'org_id' : 'agent_id';
  const { rows } = await pool.query<{ used: string }>(
    `SELECT COALESCE(sum(CASE WHEN status = 'posted' THEN posted_amount ELSE amount END), 0)::text AS used
       FROM holds
      WHERE ${column} = $1 AND network = $2 AND asset = $3 AND status IN ('pending', 'posted')
        AND ($4::timestamptz IS NULL OR created_at >= $4::timestamptz)`,
    [params.scopeId, params.network, params.asset, params.since],
  );
  return rows[0]!.used;
}

/** A rate limit's usage by brute force: counted holds of the scope, every network and asset. */
async function bruteRateLimit(params: {
  scope: 'org' | 'agent';
  scopeId: string;
  since: Date;
}): Promise<string> {
  const column = params.scope === 'org' ? 'org_id' : 'agent_id';
  const { rows } = await pool.query<{ used: string }>(
    `SELECT count(*)::text AS used FROM holds
      WHERE ${column} = $1 AND status IN ('pending', 'posted') AND created_at >= $2::timestamptz`,
    [params.scopeId, params.since],
  );
  return rows[0]!.used;
}

/**
 * Bucket rows that differ from a recount of the tenant's holds written here independently of the
 * migration (UTC date_trunc per granularity, one lifetime row at the epoch). Rows counting nothing
 * are left out on both sides: a bucket whose holds were all voided stays, at zero.
 */
async function bucketMismatches(tenant: Tenant): Promise<Record<string, unknown>[]> {
  const { rows } = await pool.query<Record<string, unknown>>(
    `WITH expected AS (
       SELECT s.scope, s.scope_id, h.network::text AS network, h.asset::text AS asset, g.granularity,
              CASE g.granularity WHEN 'lifetime' THEN 'epoch'::timestamptz
                   ELSE date_trunc(g.granularity, h.created_at, 'UTC') END AS bucket_start,
              sum(CASE WHEN h.status = 'posted' THEN h.posted_amount ELSE h.amount END)::text AS amount,
              count(*)::text AS payments
         FROM holds h
        CROSS JOIN LATERAL (VALUES ('org', h.org_id), ('agent', h.agent_id)) AS s(scope, scope_id)
        CROSS JOIN (VALUES ('minute'), ('hour'), ('day'), ('lifetime')) AS g(granularity)
        WHERE h.org_id = ANY($1::uuid[]) AND h.status IN ('pending', 'posted')
        GROUP BY 1, 2, 3, 4, 5, 6),
     actual AS (
       SELECT scope::text, scope_id, network::text, asset::text, granularity::text, bucket_start,
              amount::text, payments::text
         FROM hold_usage_buckets
        WHERE scope_id = ANY($2::uuid[]) AND payments <> 0)
     (SELECT 'missing' AS side, * FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM actual) AS m)
     UNION ALL
     (SELECT 'extra' AS side, * FROM (SELECT * FROM actual EXCEPT ALL SELECT * FROM expected) AS e)`,
    [tenant.orgIds, [...tenant.orgIds, ...tenant.agentIds]],
  );
  return rows;
}

type Fate = 'pending' | 'posted' | 'voided' | 'expired';

interface HoldPlan {
  readonly agent: number;
  readonly network: number;
  readonly asset: number;
  readonly amountAtomic: bigint;
  readonly createdAtMs: number;
  readonly fate: Fate;
  /** Posted amount = 1 + (amount - 1) * postedPercent / 100. */
  readonly postedPercent: number;
  /** Inserted through `proco_reserve_hold` (one row) or a multi-row INSERT. */
  readonly path: 'reserve' | 'batch';
  /** A batch-inserted hold may be born in its final state; others resolve in statement `resolveIn`. */
  readonly bornResolved: boolean;
  readonly resolveIn: 0 | 1 | 2;
}

type Anchor =
  'created' | 'minute-floor' | 'minute-ceil' | 'hour-floor' | 'hour-ceil' | 'day-floor' | 'day-ceil';

interface WindowPlan {
  readonly hold: number;
  readonly anchor: Anchor | 'random';
  readonly deltaMs: number;
  readonly randomMs: number;
  /** null: lifetime (budgets only; rate limits then use a one-second window). */
  readonly windowSeconds: number | null;
  readonly agent: number;
  readonly network: number;
  readonly asset: number;
}

const boundaryOffset = fc.oneof(
  fc.constantFrom(0, -1, 1, -999, 999, -1000, 1000),
  fc.integer({ min: -90_000, max: 90_000 }),
);
const instantArbitrary = fc.oneof(
  fc
    .record({ unit: fc.constantFrom(MINUTE_MS, HOUR_MS, DAY_MS), index: fc.integer({ min: -3, max: 3 }) })
    .chain(({ unit, index }) => boundaryOffset.map((delta) => BASE + index * unit + delta)),
  fc
    .record({ hour: fc.integer({ min: -72, max: 72 }), minute: fc.integer({ min: 0, max: 59 }) })
    .chain(({ hour, minute }) =>
      boundaryOffset.map((delta) => BASE + hour * HOUR_MS + minute * MINUTE_MS + delta),
    ),
  fc.integer({ min: -SPREAD_MS, max: SPREAD_MS }).map((offset) => BASE + offset),
);

const holdArbitrary: fc.Arbitrary<HoldPlan> = fc.record({
  agent: fc.integer({ min: 0, max: ORGS_PER_RUN * AGENTS_PER_ORG - 1 }),
  network: fc.integer({ min: 0, max: NETWORKS.length - 1 }),
  asset: fc.integer({ min: 0, max: ASSETS.length - 1 }),
  amountAtomic: fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: AMOUNT_ATOMIC_MAX })),
  createdAtMs: instantArbitrary,
  fate: fc.constantFrom<Fate>('pending', 'posted', 'voided', 'expired'),
  postedPercent: fc.integer({ min: 0, max: 100 }),
  path: fc.constantFrom<'reserve' | 'batch'>('reserve', 'batch'),
  bornResolved: fc.boolean(),
  resolveIn: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
});

const windowArbitrary: fc.Arbitrary<WindowPlan> = fc.record({
  hold: fc.nat(),
  anchor: fc.constantFrom<Anchor | 'random'>(
    'created',
    'minute-floor',
    'minute-ceil',
    'hour-floor',
    'hour-ceil',
    'day-floor',
    'day-ceil',
    'random',
  ),
  deltaMs: fc.constantFrom(0, 0, 0, -1, 1),
  randomMs: fc.integer({ min: -SPREAD_MS - DAY_MS, max: SPREAD_MS + DAY_MS }),
  windowSeconds: fc.oneof(
    fc.integer({ min: 1, max: 5 * 24 * 3_600 }),
    fc.constantFrom(1, 60, 3_600, 86_400, WINDOW_SECONDS_MAX),
    fc.constant(null),
  ),
  agent: fc.integer({ min: 0, max: ORGS_PER_RUN * AGENTS_PER_ORG - 1 }),
  network: fc.integer({ min: 0, max: NETWORKS.length - 1 }),
  asset: fc.integer({ min: 0, max: ASSETS.length - 1 }),
});

function anchorMs(anchor: Anchor, createdAtMs: number): number {
  const [unit, round] = {
    created: [1, Math.floor],
    'minute-floor': [MINUTE_MS, Math.floor],
    'minute-ceil': [MINUTE_MS, Math.ceil],
    'hour-floor': [HOUR_MS, Math.floor],
    'hour-ceil': [HOUR_MS, Math.ceil],
    'day-floor': [DAY_MS, Math.floor],
    'day-ceil': [DAY_MS, Math.ceil],
  }[anchor] as [number, (value: number) => number];
  // Epoch milliseconds have no leap seconds, so these are the UTC boundaries.
  return round(createdAtMs / unit) * unit;
}

function postedOf(plan: HoldPlan): bigint {
  return 1n + ((plan.amountAtomic - 1n) * BigInt(plan.postedPercent)) / 100n;
}

const RESOLUTION_REASON: Record<Fate, string | null> = {
  pending: null,
  posted: null,
  voided: 'settlement_failed',
  expired: 'authorization_expired',
};

async function insertHolds(params: { tenant: Tenant; plans: HoldPlan[] }): Promise<string[]> {
  const { tenant, plans } = params;
  const ids = plans.map(() => randomUUID());
  const orgOf = (agent: number) => tenant.orgIds[Math.floor(agent / AGENTS_PER_ORG)]!;
  const batch: number[] = [];
  for (const [index, plan] of plans.entries()) {
    if (plan.path === 'batch') {
      batch.push(index);
      continue;
    }
    const createdAt = new Date(plan.createdAtMs);
    const { rows } = await pool.query<{ outcome: string; created_at: Date }>(
      `SELECT outcome, created_at FROM proco_reserve_hold($1, $2, $3, $4, $5, $6, $7::numeric, $8, $9, '[]', '[]')`,
      [
        ids[index],
        orgOf(plan.agent),
        tenant.agentIds[plan.agent],
        randomUUID(),
        NETWORKS[plan.network],
        ASSETS[plan.asset],
        plan.amountAtomic.toString(),
        createdAt,
        new Date(plan.createdAtMs + HOUR_MS),
      ],
    );
    expect(rows[0]).toEqual({ outcome: 'reserved', created_at: createdAt });
  }
  if (batch.length > 0) {
    // One INSERT statement for all of them, some born already resolved.
    const born = (index: number): Fate => (plans[index]!.bornResolved ? plans[index]!.fate : 'pending');
    await pool.query(
      `INSERT INTO holds (id, org_id, agent_id, payment_id, network, asset, amount, status, posted_amount,
                          created_at, expires_at, resolved_at, resolution_reason)
       SELECT v.id, v.org_id, v.agent_id, gen_random_uuid(), v.network, v.asset, v.amount, v.status::hold_status,
              CASE WHEN v.status = 'posted' THEN v.posted END, v.created_at, v.created_at + interval '1 hour',
              CASE WHEN v.status <> 'pending' THEN v.created_at + interval '1 second' END, v.reason
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::numeric[], $7::text[],
                     $8::numeric[], $9::timestamptz[], $10::text[])
              AS v(id, org_id, agent_id, network, asset, amount, status, posted, created_at, reason)`,
      [
        batch.map((index) => ids[index]),
        batch.map((index) => orgOf(plans[index]!.agent)),
        batch.map((index) => tenant.agentIds[plans[index]!.agent]),
        batch.map((index) => NETWORKS[plans[index]!.network]),
        batch.map((index) => ASSETS[plans[index]!.asset]),
        batch.map((index) => plans[index]!.amountAtomic.toString()),
        batch.map(born),
        batch.map((index) => postedOf(plans[index]!).toString()),
        batch.map((index) => new Date(plans[index]!.createdAtMs)),
        batch.map((index) => RESOLUTION_REASON[born(index)]),
      ],
    );
  }
  return ids;
}

/** Resolves the planned holds in up to three UPDATE statements, each mixing posts, voids and expiries. */
async function resolveHolds(params: { plans: HoldPlan[]; ids: string[] }): Promise<void> {
  for (const statement of [0, 1, 2] as const) {
    const due = params.plans.flatMap((plan, index) =>
      plan.fate !== 'pending' && plan.resolveIn === statement && !(plan.path === 'batch' && plan.bornResolved)
        ? [index]
        : [],
    );
    if (due.length === 0) continue;
    const { rowCount } = await pool.query(
      `UPDATE holds h
          SET status = v.status::hold_status,
              posted_amount = CASE WHEN v.status = 'posted' THEN v.posted END,
              resolved_at = h.created_at + interval '1 second',
              resolution_reason = v.reason
         FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::text[]) AS v(id, status, posted, reason)
        WHERE h.id = v.id AND h.status = 'pending'`,
      [
        due.map((index) => params.ids[index]),
        due.map((index) => params.plans[index]!.fate),
        due.map((index) => postedOf(params.plans[index]!).toString()),
        due.map((index) => RESOLUTION_REASON[params.plans[index]!.fate]),
      ],
    );
    expect(rowCount).toBe(due.length);
  }
}

/** Every window's bucketed usage (org and agent budgets, org and agent rate limits) == brute force. */
async function expectWindowsExact(params: {
  tenant: Tenant;
  plans: HoldPlan[];
  windows: WindowPlan[];
}): Promise<void> {
  const { tenant, plans, windows } = params;
  for (const window of windows) {
    const hold = plans[window.hold % plans.length]!;
    const sinceMs =
      window.anchor === 'random'
        ? BASE + window.randomMs
        : anchorMs(window.anchor, hold.createdAtMs) + window.deltaMs;
    const windowSeconds = window.windowSeconds;
    const rateSeconds = windowSeconds ?? 1;
    const now = new Date(sinceMs + rateSeconds * 1000);
    // A lifetime budget is measured at the same now as the rate limits; its start is unbounded.
    const since = new Date(sinceMs);
    const agentId = tenant.agentIds[window.agent]!;
    const orgId = tenant.orgIds[Math.floor(window.agent / AGENTS_PER_ORG)]!;
    const network = NETWORKS[window.network]!;
    const asset = ASSETS[window.asset]!;
    const budget = (scope: 'org' | 'agent') => ({
      key: `${scope}-budget`,
      scope,
      network,
      asset,
      limitAtomic: '0',
      windowSeconds,
    });
    const rate = (scope: 'org' | 'agent') => ({
      key: `${scope}-rate`,
      scope,
      maxPayments: 0,
      windowSeconds: rateSeconds,
    });
    const { rows } = await pool.query<{ key: string; used: string }>(
      `SELECT key, used::text AS used FROM proco_hold_usage($1, $2, $3::jsonb, $4::jsonb, $5)`,
      [
        orgId,
        agentId,
        JSON.stringify([budget('org'), budget('agent')]),
        JSON.stringify([rate('org'), rate('agent')]),
        now,
      ],
    );
    const budgetSince = windowSeconds === null ? null : since;
    const expected = {
      'org-rate': await bruteRateLimit({ scope: 'org', scopeId: orgId, since }),
      'agent-rate': await bruteRateLimit({ scope: 'agent', scopeId: agentId, since }),
      'org-budget': await bruteBudget({ scope: 'org', scopeId: orgId, network, asset, since: budgetSince }),
      'agent-budget': await bruteBudget({
        scope: 'agent',
        scopeId: agentId,
        network,
        asset,
        since: budgetSince,
      }),
    };
    expect(
      Object.fromEntries(rows.map((row) => [row.key, row.used])),
      `window since ${since.toISOString()} (${windowSeconds ?? 'lifetime'} s)`,
    ).toEqual(expected);
  }
}

describe('bucketed usage equals a brute-force sum over holds', () => {
  it('for random holds around minute, hour and day boundaries and random windows (seed logged)', async () => {
    const seed = Date.now() ^ 0x6b75;
    console.info(`hold usage bucket property seed ${seed}`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(holdArbitrary, { minLength: 1, maxLength: HOLDS_PER_RUN_MAX }),
        fc.array(windowArbitrary, { minLength: 1, maxLength: WINDOWS_PER_RUN_MAX }),
        async (plans, windows) => {
          const tenant = await seedTenant(ORGS_PER_RUN);
          const ids = await insertHolds({ tenant, plans });
          await expectWindowsExact({ tenant, plans, windows });
          await resolveHolds({ plans, ids });
          expect(await bucketMismatches(tenant)).toEqual([]);
          await expectWindowsExact({ tenant, plans, windows });
        },
      ),
      { seed, numRuns: PROPERTY_RUNS },
    );
  });

  it('a write that would leave a bucket negative fails instead of skewing the budget', async () => {
    const tenant = await seedTenant(1);
    const [id] = await insertHolds({
      tenant,
      plans: [
        {
          agent: 0,
          network: 0,
          asset: 0,
          amountAtomic: 10n,
          createdAtMs: BASE,
          fate: 'pending',
          postedPercent: 0,
          path: 'reserve',
          bornResolved: false,
          resolveIn: 0,
        },
      ],
    });
    // Simulate a drift (the day bucket lost what the hold counts) in a transaction rolled back
    // afterwards, so no later sweep of this database meets it.
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `UPDATE hold_usage_buckets SET amount = 0, payments = 0 WHERE scope_id = $1 AND granularity = 'day'`,
        [tenant.orgIds[0]],
      );
      await expect(
        client.query(
          `UPDATE holds SET status = 'voided', resolved_at = created_at, resolution_reason = 'x' WHERE id = $1`,
          [id],
        ),
      ).rejects.toThrow(/hold usage buckets disagree with holds/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    expect(await bucketMismatches(tenant)).toEqual([]);
  });
});

describe('concurrent sweeps, reserves, posts and voids', () => {
  const SWEEPERS = 6;
  const STORE_SWEEPERS = 2;
  const RESERVERS = 6;
  const STORE_RESERVERS = 2;
  const RESOLVERS = 4;
  const SEEDED_HOLDS = 600;
  const SWEEP_BATCH = 40;
  const RESERVES_PER_WORKER = 40;
  const RESOLVES_PER_WORKER = 40;
  /** Sweeps hold their bucket locks a little longer, so the lock sets really overlap. */
  const SWEEP_HOLD_MS = 5;
  const SWEEP_ROUNDS_MAX = 2_000;
  const SWEEP_NOW = new Date(BASE + 10 * DAY_MS);

  it('never deadlock, and leave every bucket equal to its holds', async () => {
    // The store itself takes part (sweeps and reserves with their audit appends); it retries a
    // deadlock silently, so its deadlocks are read from the server's statistics at the end.
    const prisma = new PrismaService(
      loadConfig({
        environment: {
          PROCO_ENV: 'test',
          DATABASE_URL: database.url,
          REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
          PROCO_MASTER_KEY: randomBytes(32).toString('base64'),
          PROCO_NETWORKS_FILE: inject('networksFile'),
          PROCO_LOG_LEVEL: 'silent',
          PROCO_DATABASE_POOL_SIZE: String(STORE_POOL_SIZE),
        },
      }),
    );
    const store = new PostgresHoldStore(prisma, new AuditLogRepository(prisma));
    const deadlocks = async () =>
      (
        await pool.query<{ deadlocks: string }>(
          'SELECT deadlocks::text FROM pg_stat_database WHERE datname = current_database()',
        )
      ).rows[0]!.deadlocks;
    const deadlocksBefore = await deadlocks();
    const tenant = await seedTenant(3);
    const agents = tenant.agentIds.length;
    const orgOf = (agent: number) => tenant.orgIds[Math.floor(agent / AGENTS_PER_ORG)]!;
    // Due holds spread over a few hours, so sweeps of random batches touch many shared buckets.
    const seeded = Array.from({ length: SEEDED_HOLDS }, (_, index) => ({
      agent: index % agents,
      asset: ASSETS[index % ASSETS.length]!,
      createdAt: new Date(BASE + ((index * 7_919) % (3 * HOUR_MS))),
    }));
    await pool.query(
      `INSERT INTO holds (id, org_id, agent_id, payment_id, network, asset, amount, status, created_at, expires_at)
       SELECT gen_random_uuid(), v.org_id, v.agent_id, gen_random_uuid(), $4, v.asset, 7, 'pending',
              v.created_at, v.created_at + interval '1 hour'
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $5::timestamptz[]) AS v(org_id, agent_id, asset, created_at)`,
      [
        seeded.map((hold) => orgOf(hold.agent)),
        seeded.map((hold) => tenant.agentIds[hold.agent]),
        seeded.map((hold) => hold.asset),
        NETWORKS[0],
        seeded.map((hold) => hold.createdAt),
      ],
    );

    const failures: unknown[] = [];
    let writersDone = false;
    const guard = async (work: () => Promise<void>) => {
      try {
        await work();
      } catch (error: unknown) {
        failures.push(error);
      }
    };

    // Sweeps claim due holds in a random order (SKIP LOCKED, as the store does), so their bucket
    // deltas arrive in any order: only the trigger's ordered upsert keeps them from deadlocking.
    // They keep sweeping until the other writers are done and nothing due is left.
    const sweeper = () =>
      guard(async () => {
        for (let round = 0; round < SWEEP_ROUNDS_MAX; round += 1) {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            const { rowCount } = await client.query(
              `WITH due AS (SELECT id FROM holds
                             WHERE status = 'pending' AND expires_at <= $1 AND org_id = ANY($2::uuid[])
                             ORDER BY random() LIMIT $3 FOR UPDATE SKIP LOCKED)
               UPDATE holds h SET status = 'expired', resolved_at = $1, resolution_reason = 'authorization_expired'
                 FROM due WHERE h.id = due.id AND h.status = 'pending'`,
              [SWEEP_NOW, tenant.orgIds, SWEEP_BATCH],
            );
            await client.query('SELECT pg_sleep($1)', [SWEEP_HOLD_MS / 1000]);
            await client.query('COMMIT');
            if (rowCount === 0 && writersDone) return;
          } catch (error: unknown) {
            await client.query('ROLLBACK');
            throw error;
          } finally {
            client.release();
          }
        }
      });

    // Reserves in autocommit, as the payment path runs them, stamped in the swept hours, with org
    // and agent budgets so they take the advisory locks and read the buckets being swept.
    const reserver = (worker: number) =>
      guard(async () => {
        for (let attempt = 0; attempt < RESERVES_PER_WORKER; attempt += 1) {
          const agent = (worker + attempt) % agents;
          const asset = ASSETS[attempt % ASSETS.length]!;
          const createdAt = new Date(BASE + ((worker * 104_729 + attempt * 7_919) % (3 * HOUR_MS)));
          const checks = (['org', 'agent'] as const).map((scope) => ({
            key: scope,
            scope,
            network: NETWORKS[0],
            asset,
            limitAtomic: '1000000',
            windowSeconds: 86_400,
          }));
          const { rows } = await pool.query<{ outcome: string }>(
            `SELECT outcome FROM proco_reserve_hold(gen_random_uuid(), $1, $2, gen_random_uuid(), $3, $4, 3, $5, $6,
                                                    $7::jsonb, '[]')`,
            [
              orgOf(agent),
              tenant.agentIds[agent],
              NETWORKS[0],
              asset,
              createdAt,
              new Date(createdAt.getTime() + HOUR_MS),
              JSON.stringify(checks),
            ],
          );
          expect(rows[0]?.outcome).toBe('reserved');
        }
      });

    // Posts and voids of single holds, each its own statement, racing the sweeps for the rows.
    const resolver = (worker: number) =>
      guard(async () => {
        for (let attempt = 0; attempt < RESOLVES_PER_WORKER; attempt += 1) {
          await pool.query(
            `WITH one AS (SELECT id FROM holds WHERE status = 'pending' AND org_id = ANY($1::uuid[])
                           ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED)
             UPDATE holds h
                SET status = $2::hold_status, resolved_at = $3,
                    posted_amount = CASE WHEN $2 = 'posted' THEN 1 END,
                    resolution_reason = CASE WHEN $2 = 'voided' THEN 'settlement_failed' END
               FROM one WHERE h.id = one.id`,
            [tenant.orgIds, (worker + attempt) % 2 === 0 ? 'posted' : 'voided', SWEEP_NOW],
          );
        }
      });

    const storeSweeper = () =>
      guard(async () => {
        for (let round = 0; round < SWEEP_ROUNDS_MAX; round += 1) {
          const { expired } = await store.expireDue({ now: SWEEP_NOW, limit: SWEEP_BATCH });
          if (expired.length === 0 && writersDone) return;
        }
      });

    const storeReserver = (worker: number) =>
      guard(async () => {
        for (let attempt = 0; attempt < RESERVES_PER_WORKER; attempt += 1) {
          const agent = (worker * 3 + attempt) % agents;
          const asset = ASSETS[attempt % ASSETS.length]!;
          const now = new Date(BASE + ((worker * 15_485_863 + attempt * 7_919) % (3 * HOUR_MS)));
          const checks = (['org', 'agent'] as const).map((scope): BudgetCheck => ({
            key: scope,
            scope,
            network: NETWORKS[0],
            asset,
            limitAtomic: 1_000_000n,
            window: { kind: 'rolling', durationSeconds: 86_400 },
          }));
          const result = await store.reserve({
            holdId: randomUUID(),
            orgId: orgOf(agent),
            agentId: tenant.agentIds[agent]!,
            paymentId: randomUUID(),
            network: NETWORKS[0],
            asset,
            amountAtomic: 3n,
            now,
            expiresAt: new Date(now.getTime() + HOUR_MS),
            checks,
            rateLimits: [],
          });
          expect(result.ok).toBe(true);
        }
      });

    try {
      const sweeps = Promise.all([
        ...Array.from({ length: SWEEPERS }, () => sweeper()),
        ...Array.from({ length: STORE_SWEEPERS }, () => storeSweeper()),
      ]);
      await Promise.all([
        ...Array.from({ length: RESERVERS }, (_, worker) => reserver(worker)),
        ...Array.from({ length: STORE_RESERVERS }, (_, worker) => storeReserver(worker)),
        ...Array.from({ length: RESOLVERS }, (_, worker) => resolver(worker)),
      ]);
      writersDone = true;
      await sweeps;
    } finally {
      // A closing connection reports its statistics (deadlocks included) as it exits.
      await prisma.$disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, STATISTICS_SETTLE_MS));
    expect(failures).toEqual([]);
    expect(await deadlocks(), 'deadlocks the store retried').toBe(deadlocksBefore);
    expect(await bucketMismatches(tenant)).toEqual([]);
    const { rows } = await pool.query<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM holds
        WHERE org_id = ANY($1::uuid[]) AND status = 'pending' AND expires_at <= $2`,
      [tenant.orgIds, SWEEP_NOW],
    );
    expect(rows[0]!.pending, 'sweeps drained every due hold').toBe(0);
  });
});
