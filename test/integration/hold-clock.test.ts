// Goal: with `now: null` holds are stamped, windows measured and due holds expired by the
// database clock, never by the process's own (which these tests set hours off): a reserve that
// waited for another's lock is stamped after it, holds stamped ahead of the clock still count, and
// the reserve result carries the created_at the database stored.
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '@proco/config';
import {
  type BudgetCheck,
  EXPIRE_BATCH_SIZE_MAX,
  type RateLimitCheck,
  type ReserveParams,
} from '@proco/ledger';
import {
  AuditLogRepository,
  HOLD_ORG_LOCK_CLASS,
  PostgresHoldStore,
  PrismaService,
} from '@proco/persistence';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

const NETWORK = 'eip155:84532';
const ASSET = '0x036cbd53842c5426634e7929541ec2318f3dcf7e';
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** How far the process clock is set off the database's. */
const PROCESS_CLOCK_SKEW_MS = 6 * HOUR_MS;
/** How long the lock holder keeps its transaction open once the reserve waits for it. */
const HOLDER_DELAY_SECONDS = 0.05;
const LOCK_WAIT_POLL_MS = 20;
const LOCK_WAIT_POLLS_MAX = 250;
/** node-postgres keeps milliseconds of a timestamptz; the database keeps microseconds. */
const CLOCK_READ_SLACK_MS = 1;

let database: TestDatabase;
let prisma: PrismaService;
let store: PostgresHoldStore;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  prisma = new PrismaService(
    loadConfig({
      environment: {
        PROCO_ENV: 'test',
        DATABASE_URL: database.url,
        REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
        PROCO_MASTER_KEY: randomBytes(32).toString('base64'),
        PROCO_NETWORKS_FILE: inject('networksFile'),
        PROCO_LOG_LEVEL: 'silent',
      },
    }),
  );
  store = new PostgresHoldStore(prisma, new AuditLogRepository(prisma));
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await client?.end();
  await prisma?.$disconnect();
  await database?.drop();
});

/** Sets the process clock (Date only; timers keep running) hours off the real one. */
function skewProcessClock(offsetMs: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(Date.now() + offsetMs));
}

async function databaseClock(session: pg.Client = client): Promise<Date> {
  const { rows } = await session.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  return rows[0]!.now;
}

async function seedAgent(): Promise<{ orgId: string; agentId: string }> {
  const orgId = randomUUID();
  const agentId = randomUUID();
  await client.query('INSERT INTO orgs (id, name) VALUES ($1, $2)', [orgId, 'clock test']);
  await client.query('INSERT INTO agents (id, org_id, name) VALUES ($1, $2, $3)', [agentId, orgId, 'agent']);
  return { orgId, agentId };
}

function budget(overrides: Partial<BudgetCheck> & Pick<BudgetCheck, 'key'>): BudgetCheck {
  return {
    scope: 'agent',
    network: NETWORK,
    asset: ASSET,
    limitAtomic: 1_000n,
    window: { kind: 'lifetime' },
    ...overrides,
  };
}

/** Reserve parameters on the database clock, expiring an hour after the real time. */
function onDatabaseClock(
  overrides: Partial<ReserveParams> & Pick<ReserveParams, 'orgId' | 'agentId'>,
): ReserveParams {
  return {
    holdId: randomUUID(),
    paymentId: randomUUID(),
    network: NETWORK,
    asset: ASSET,
    amountAtomic: 1n,
    now: null,
    expiresAt: new Date(Date.now() + HOUR_MS),
    checks: [],
    rateLimits: [],
    ...overrides,
  };
}

/** A hold stamped `offset` from the database clock, through the SQL function with an explicit now. */
async function holdAt(params: {
  orgId: string;
  agentId: string;
  amountAtomic: bigint;
  offset: string;
  expiresIn?: string;
}): Promise<{ id: string; createdAt: Date }> {
  const id = randomUUID();
  const { rows } = await client.query<{ outcome: string; created_at: Date }>(
    `SELECT outcome, created_at
       FROM proco_reserve_hold($1, $2, $3, $4, $5, $6, $7::numeric,
                               clock_timestamp() + $8::interval, clock_timestamp() + $9::interval, '[]', '[]')`,
    [
      id,
      params.orgId,
      params.agentId,
      randomUUID(),
      NETWORK,
      ASSET,
      params.amountAtomic.toString(),
      params.offset,
      params.expiresIn ?? '1 day',
    ],
  );
  expect(rows[0]?.outcome).toBe('reserved');
  return { id, createdAt: rows[0]!.created_at };
}

describe('the database clock', () => {
  it('stamps a reserve with now: null, and the result carries the stored created_at', async () => {
    const { orgId, agentId } = await seedAgent();
    const before = await databaseClock();
    skewProcessClock(PROCESS_CLOCK_SKEW_MS);
    const result = await store.reserve(
      onDatabaseClock({
        orgId,
        agentId,
        expiresAt: new Date(before.getTime() + HOUR_MS),
        checks: [budget({ key: 'daily', window: { kind: 'rolling', durationSeconds: 86_400 } })],
      }),
    );
    vi.useRealTimers();
    const after = await databaseClock();
    if (!result.ok) throw new Error(`refused: ${result.reason}`);
    const createdAt = result.hold.createdAt.getTime();
    expect(createdAt).toBeGreaterThanOrEqual(before.getTime() - CLOCK_READ_SLACK_MS);
    expect(createdAt).toBeLessThanOrEqual(after.getTime());
    const { rows } = await client.query<{ created_at: Date }>('SELECT created_at FROM holds WHERE id = $1', [
      result.hold.id,
    ]);
    expect(rows[0]!.created_at).toEqual(result.hold.createdAt);

    // A replay returns the stored hold, stamp included, from the store and from the SQL function.
    const replay = await store.reserve(
      onDatabaseClock({
        orgId,
        agentId,
        holdId: result.hold.id,
        paymentId: result.hold.paymentId,
        expiresAt: result.hold.expiresAt,
      }),
    );
    expect(replay).toMatchObject({ ok: true, replayed: true, hold: { createdAt: result.hold.createdAt } });
    const { rows: sql } = await client.query<{ outcome: string; created_at: Date | null }>(
      `SELECT outcome, created_at FROM proco_reserve_hold($1, $2, $3, $4, $5, $6, 1, NULL, $7, '[]', '[]')`,
      [result.hold.id, orgId, agentId, result.hold.paymentId, NETWORK, ASSET, result.hold.expiresAt],
    );
    expect(sql[0]).toEqual({ outcome: 'replayed', created_at: result.hold.createdAt });
  });

  it('returns no created_at for a denial or a conflict', async () => {
    const { orgId, agentId } = await seedAgent();
    const denied = await client.query<{ outcome: string; created_at: Date | null }>(
      `SELECT outcome, created_at FROM proco_reserve_hold($1, $2, $3, $4, $5, $6, 1, NULL, now() + interval '1 hour',
         '[]', '[{"key": "none", "scope": "agent", "maxPayments": 0, "windowSeconds": 60}]')`,
      [randomUUID(), orgId, agentId, randomUUID(), NETWORK, ASSET],
    );
    expect(denied.rows[0]).toEqual({ outcome: 'rate_limit_exceeded', created_at: null });
    const hold = await holdAt({ orgId, agentId, amountAtomic: 1n, offset: '0' });
    const conflict = await client.query<{ outcome: string; created_at: Date | null }>(
      `SELECT outcome, created_at FROM proco_reserve_hold($1, $2, $3, $4, $5, $6, 2, NULL, now() + interval '1 hour',
         '[]', '[]')`,
      [hold.id, orgId, agentId, randomUUID(), NETWORK, ASSET],
    );
    expect(conflict.rows[0]).toEqual({ outcome: 'conflict', created_at: null });
  });

  it('measures windows from the database clock; holds stamped ahead of it still count', async () => {
    const { orgId, agentId } = await seedAgent();
    await holdAt({ orgId, agentId, amountAtomic: 11n, offset: '-3 hours' });
    await holdAt({ orgId, agentId, amountAtomic: 5n, offset: '-30 minutes' });
    // Stamped by a clock running two hours ahead.
    await holdAt({ orgId, agentId, amountAtomic: 7n, offset: '2 hours' });
    const rolling = (key: string, durationSeconds: number) =>
      budget({ key, window: { kind: 'rolling', durationSeconds } });
    const perHour: RateLimitCheck = {
      key: 'per-hour',
      scope: 'agent',
      maxPayments: 10,
      windowSeconds: 3_600,
    };
    for (const skew of [PROCESS_CLOCK_SKEW_MS, -PROCESS_CLOCK_SKEW_MS]) {
      skewProcessClock(skew);
      const standings = await store.usage({
        orgId,
        agentId,
        checks: [rolling('hour', 3_600), rolling('twenty-minutes', 1_200), budget({ key: 'lifetime' })],
        rateLimits: [perHour],
        now: null,
      });
      vi.useRealTimers();
      expect(standings.budgets.map((standing) => standing.usedAtomic)).toEqual([12n, 7n, 23n]);
      expect(standings.rateLimits[0]).toMatchObject({ usedCount: 2 });
    }
  });

  it('enforces a rate limit across reserves on the database clock', async () => {
    const { orgId, agentId } = await seedAgent();
    const once: RateLimitCheck = { key: 'once', scope: 'agent', maxPayments: 1, windowSeconds: 60 };
    expect(await store.reserve(onDatabaseClock({ orgId, agentId, rateLimits: [once] }))).toMatchObject({
      ok: true,
    });
    skewProcessClock(PROCESS_CLOCK_SKEW_MS);
    expect(await store.reserve(onDatabaseClock({ orgId, agentId, rateLimits: [once] }))).toMatchObject({
      ok: false,
      reason: 'rate_limit_exceeded',
      usedCount: 1,
    });
  });

  it('stamps a reserve that waited for the org lock after the holder committed, not before', async () => {
    const { orgId, agentId } = await seedAgent();
    const orgBudget = budget({ key: 'org', scope: 'org' });
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      // The holder reserves on the database clock too, taking the org lock exclusively.
      const { rows } = await holder.query<{ created_at: Date }>(
        `SELECT created_at FROM proco_reserve_hold($1, $2, $3, $4, $5, $6, 1, NULL, now() + interval '1 hour',
           $7::jsonb, '[]')`,
        [
          randomUUID(),
          orgId,
          agentId,
          randomUUID(),
          NETWORK,
          ASSET,
          JSON.stringify([{ ...orgBudget, limitAtomic: '1000', windowSeconds: null }]),
        ],
      );
      const holderStamp = rows[0]!.created_at;
      const waiting = store.reserve(onDatabaseClock({ orgId, agentId, checks: [orgBudget] }));
      await waitForOrgLockWaiter(holder);
      await holder.query('SELECT pg_sleep($1)', [HOLDER_DELAY_SECONDS]);
      const committedAfter = await databaseClock(holder);
      await holder.query('COMMIT');
      const result = await waiting;
      if (!result.ok) throw new Error(`refused: ${result.reason}`);
      expect(result.hold.createdAt.getTime()).toBeGreaterThanOrEqual(
        committedAfter.getTime() - CLOCK_READ_SLACK_MS,
      );
      expect(result.hold.createdAt.getTime()).toBeGreaterThan(holderStamp.getTime());
      expect(result.standings.budgets[0]).toMatchObject({ usedAtomic: 1n });
    } finally {
      await holder.end();
    }
  });

  it('expires due holds by the database clock when the sweep is given no now', async () => {
    const { orgId, agentId } = await seedAgent();
    const due = await holdAt({ orgId, agentId, amountAtomic: 1n, offset: '-2 hours', expiresIn: '-1 hour' });
    const notDue = await holdAt({
      orgId,
      agentId,
      amountAtomic: 1n,
      offset: '-2 hours',
      expiresIn: '1 hour',
    });
    const before = await databaseClock();
    skewProcessClock(PROCESS_CLOCK_SKEW_MS);
    const { expired } = await store.expireDue({ now: null, limit: EXPIRE_BATCH_SIZE_MAX });
    vi.useRealTimers();
    const after = await databaseClock();
    const ids = expired.map((hold) => hold.id);
    expect(ids).toContain(due.id);
    expect(ids).not.toContain(notDue.id);
    const resolvedAt = expired.find((hold) => hold.id === due.id)!.resolvedAt!.getTime();
    // now() is the sweep transaction's start: between the two reads of the clock.
    expect(resolvedAt).toBeGreaterThanOrEqual(before.getTime() - CLOCK_READ_SLACK_MS);
    expect(resolvedAt).toBeLessThanOrEqual(after.getTime());
  });
});

async function waitForOrgLockWaiter(session: pg.Client): Promise<void> {
  for (let poll = 0; poll < LOCK_WAIT_POLLS_MAX; poll += 1) {
    const { rows } = await session.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1`,
      [HOLD_ORG_LOCK_CLASS],
    );
    if ((rows[0]?.waiting ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, LOCK_WAIT_POLL_MS));
  }
  throw new Error('the reserve never waited for the org lock');
}
