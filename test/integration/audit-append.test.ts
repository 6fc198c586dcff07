// Goal: appending an audit event is one SQL statement (`proco_audit_append`) that keeps every chain
// gapless and verifiable under concurrency: 64 concurrent appends to one chain from several
// connection pools, two chains side by side, racing first appends, the row lock held until the
// caller's transaction ends (also from inside another plpgsql function), serialization failures
// instead of forks under REPEATABLE READ; a superuser's edit or deletion of row k is reported at k;
// a bad event is refused with SQLSTATE 22023 and nothing written; the JS link hash equals the SQL
// one; and chains written before the migration (version 1 rows) get their heads seeded and
// continue with version 2 rows that verify.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { computeAuditHash, computeAuditLinkHash, GENESIS_HASH } from '@proco/audit';
import { loadConfig } from '@proco/config';
import {
  type AppendAuditEventParams,
  AuditLogRepository,
  prepareAuditEvent,
  PrismaService,
  SYSTEM_AUDIT_CHAIN,
} from '@proco/persistence';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations } from '../../scripts/db/apply-migrations';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** Separate Prisma clients (like API replicas), each with its own pool: 4 × 5 = 20 connections. */
const CLIENTS = 4;
const POOL_SIZE_PER_CLIENT = 5;
const CONCURRENT_APPENDS = 64;
const FIRST_APPEND_RACES = 8;
const FIRST_APPEND_RACERS = 8;
const LOCK_WAIT_POLL_MS = 20;
const LOCK_WAIT_POLLS_MAX = 250;
/** The migration this suite is about; the seeding test applies the ones before it first. */
const MIGRATION_NAME = 'audit_append_in_sql';
const INVALID_PARAMETER_VALUE = '22023';
const SERIALIZATION_FAILURE = '40001';

const projectRoot = path.resolve(__dirname, '..', '..');
const migrationsDirectory = path.join(projectRoot, 'prisma', 'migrations');

let database: TestDatabase;
let clients: PrismaService[] = [];
let repositories: AuditLogRepository[] = [];
let audit: AuditLogRepository;

function configFor(url: string) {
  return loadConfig({
    environment: {
      PROCO_ENV: 'test',
      DATABASE_URL: url,
      REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      PROCO_MASTER_KEY: randomBytes(32).toString('base64'),
      PROCO_NETWORKS_FILE: inject('networksFile'),
      PROCO_LOG_LEVEL: 'silent',
      PROCO_DATABASE_POOL_SIZE: String(POOL_SIZE_PER_CLIENT),
    },
  });
}

async function withClient<Result>(
  run: (client: pg.Client) => Promise<Result>,
  url: string = database.url,
): Promise<Result> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** An event with data that is not plain JSON (a bigint, a Date), as services pass them. */
function eventFor(orgId: string | null, n: number): AppendAuditEventParams {
  return {
    orgId,
    actor: { type: 'system' },
    action: 'test.appended',
    subject: { type: 'test', id: `subject_${n}` },
    data: { n, amountAtomic: 10n ** 30n + BigInt(n), at: new Date(Date.UTC(2026, 10, 25, 12, 0, 0, n)) },
    requestId: `req_${n}`,
  };
}

/** Appends through the repository, in its own interactive transaction on the given client. */
function appendVia(client: number, params: AppendAuditEventParams): Promise<bigint> {
  return clients[client]!.$transaction(
    async (tx) => (await repositories[client]!.append(tx, params)).sequence,
  );
}

/** The event as `proco_audit_append` takes it, for calls that bypass the repository. */
function eventJson(orgId: string | null, n: number): string {
  return JSON.stringify(prepareAuditEvent(eventFor(orgId, n)));
}

async function sequencesOf(chain: string): Promise<bigint[]> {
  const rows = await clients[0]!.auditEvent.findMany({
    where: { chain },
    orderBy: { sequence: 'asc' },
    select: { sequence: true },
  });
  return rows.map((row) => row.sequence);
}

function oneTo(count: number): bigint[] {
  return Array.from({ length: count }, (_, index) => BigInt(index + 1));
}

/** The head row must always be the chain's last event. */
async function expectHeadIsLastEvent(chain: string, url: string = database.url): Promise<void> {
  await withClient(async (client) => {
    const { rows } = await client.query<{ matches: boolean }>(
      `SELECT h.sequence = e.sequence AND h.hash = e.hash AS matches
         FROM audit_chain_heads h
         JOIN LATERAL (SELECT sequence, hash FROM audit_events
                        WHERE chain = h.chain ORDER BY sequence DESC LIMIT 1) e ON true
        WHERE h.chain = $1`,
      [chain],
    );
    expect(rows).toEqual([{ matches: true }]);
  }, url);
}

async function backendPid(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return rows[0]!.pid;
}

/** Waits until the backend `pid` is blocked on a lock (a row lock or a transaction id). */
async function waitUntilBlocked(observer: pg.Client, pid: number): Promise<void> {
  for (let poll = 0; poll < LOCK_WAIT_POLLS_MAX; poll += 1) {
    const { rows } = await observer.query<{ wait_event_type: string | null }>(
      'SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1',
      [pid],
    );
    if (rows[0]?.wait_event_type === 'Lock') return;
    await new Promise((resolve) => setTimeout(resolve, LOCK_WAIT_POLL_MS));
  }
  throw new Error(`backend ${pid} never waited for a lock`);
}

/** Edits rows the way only a superuser can: with triggers (the append-only guard) switched off. */
async function superuserWrite(sql: string, values: unknown[]): Promise<void> {
  await withClient(async (client) => {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(sql, values);
    await client.query('COMMIT');
  });
}

async function tableCounts(): Promise<{ events: number; heads: number }> {
  return withClient(async (client) => {
    const { rows } = await client.query<{ events: number; heads: number }>(
      'SELECT (SELECT count(*)::int FROM audit_events) AS events, (SELECT count(*)::int FROM audit_chain_heads) AS heads',
    );
    return rows[0]!;
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  const config = configFor(database.url);
  clients = Array.from({ length: CLIENTS }, () => new PrismaService(config));
  repositories = clients.map((client) => new AuditLogRepository(client));
  audit = repositories[0]!;
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.onModuleDestroy()));
  await database?.drop();
});

describe('concurrent appends', () => {
  it(`gives ${CONCURRENT_APPENDS} concurrent appends to one chain from ${CLIENTS} pools sequences 1..${CONCURRENT_APPENDS}, and the chain verifies`, async () => {
    const orgId = randomUUID();
    const returned = await Promise.all(
      Array.from({ length: CONCURRENT_APPENDS }, (_, n) => appendVia(n % CLIENTS, eventFor(orgId, n))),
    );
    expect([...returned].sort((left, right) => (left < right ? -1 : 1))).toEqual(oneTo(CONCURRENT_APPENDS));
    expect(await sequencesOf(orgId)).toEqual(oneTo(CONCURRENT_APPENDS));
    const verification = await audit.verifyChain(orgId);
    expect(verification).toMatchObject({ ok: true, count: CONCURRENT_APPENDS, lastSequence: 64n });
    await expectHeadIsLastEvent(orgId);
    const rows = await clients[0]!.auditEvent.findMany({
      where: { chain: orgId },
      select: { contentHash: true },
    });
    expect(rows.every((row) => row.contentHash?.byteLength === 32)).toBe(true);
  });

  it('keeps two chains appended to at the same time apart, each gapless and verifying', async () => {
    const orgs = [randomUUID(), randomUUID()] as const;
    await Promise.all(
      Array.from({ length: CONCURRENT_APPENDS }, (_, n) => appendVia(n % CLIENTS, eventFor(orgs[n % 2]!, n))),
    );
    for (const orgId of orgs) {
      expect(await sequencesOf(orgId)).toEqual(oneTo(CONCURRENT_APPENDS / 2));
      expect(await audit.verifyChain(orgId)).toMatchObject({ ok: true, count: CONCURRENT_APPENDS / 2 });
      await expectHeadIsLastEvent(orgId);
    }
  });

  it('does not make an append wait for an open transaction that appended to another chain', async () => {
    const [busy, free] = [randomUUID(), randomUUID()];
    await withClient(async (holder) => {
      await holder.query('BEGIN');
      await holder.query('SELECT proco_audit_append($1::jsonb)', [eventJson(busy, 1)]);
      // Would time out (and fail the test) if chains shared a lock.
      await expect(appendVia(1, eventFor(free, 1))).resolves.toBe(1n);
      await holder.query('COMMIT');
    });
  });

  it(`survives ${FIRST_APPEND_RACES} races of ${FIRST_APPEND_RACERS} first appends to a new chain`, async () => {
    for (let race = 0; race < FIRST_APPEND_RACES; race += 1) {
      const orgId = randomUUID();
      const returned = await Promise.all(
        Array.from({ length: FIRST_APPEND_RACERS }, (_, n) => appendVia(n % CLIENTS, eventFor(orgId, n))),
      );
      expect(new Set(returned).size).toBe(FIRST_APPEND_RACERS);
      expect(await sequencesOf(orgId)).toEqual(oneTo(FIRST_APPEND_RACERS));
      expect(await audit.verifyChain(orgId)).toMatchObject({ ok: true, count: FIRST_APPEND_RACERS });
    }
  });
});

describe('the chain head lock', () => {
  it.each([
    { outcome: 'COMMIT', expected: 2n },
    { outcome: 'ROLLBACK', expected: 1n },
  ])(
    'makes a first append wait for a racing first append, then follow it on $outcome',
    async ({ outcome, expected }) => {
      const orgId = randomUUID();
      await withClient(async (holder) => {
        await withClient(async (racer) => {
          await holder.query('BEGIN');
          // Inserts the head, uncommitted: the racer's INSERT ... ON CONFLICT must wait for it.
          await holder.query('SELECT proco_audit_append($1::jsonb)', [eventJson(orgId, 1)]);
          const racerPid = await backendPid(racer);
          const racing = racer.query<{ sequence: string }>(
            'SELECT proco_audit_append($1::jsonb) AS sequence',
            [eventJson(orgId, 2)],
          );
          await waitUntilBlocked(holder, racerPid);
          await holder.query(outcome);
          const { rows } = await racing;
          expect(BigInt(rows[0]!.sequence)).toBe(expected);
        });
      });
      expect(await sequencesOf(orgId)).toEqual(oneTo(Number(expected)));
      expect(await audit.verifyChain(orgId)).toMatchObject({ ok: true, count: Number(expected) });
      await expectHeadIsLastEvent(orgId);
    },
  );

  it('holds the lock until the transaction ends, also when another plpgsql function appends', async () => {
    const orgId = randomUUID();
    await appendVia(0, eventFor(orgId, 0));
    await withClient(async (holder) => {
      await holder.query(`
        CREATE FUNCTION pg_temp.append_both(p_events jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM proco_audit_append(p_events -> 0);
          RETURN proco_audit_append(p_events -> 1);
        END;
        $$`);
      await holder.query('BEGIN');
      const both = `[${eventJson(orgId, 1)},${eventJson(orgId, 2)}]`;
      const { rows } = await holder.query<{ sequence: string }>(
        'SELECT pg_temp.append_both($1::jsonb) AS sequence',
        [both],
      );
      expect(rows[0]!.sequence).toBe('3');
      let finished = false;
      const waiting = appendVia(1, eventFor(orgId, 3)).then((sequence) => {
        finished = true;
        return sequence;
      });
      const blockedPid = await withClient(async (observer) => {
        for (let poll = 0; poll < LOCK_WAIT_POLLS_MAX; poll += 1) {
          const found = await observer.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%proco_audit_append%'`,
          );
          if (found.rows[0] !== undefined) return found.rows[0].pid;
          await new Promise((resolve) => setTimeout(resolve, LOCK_WAIT_POLL_MS));
        }
        throw new Error('the second append never waited for the head lock');
      });
      expect(blockedPid).toBeGreaterThan(0);
      expect(finished).toBe(false);
      await holder.query('COMMIT');
      await expect(waiting).resolves.toBe(4n);
    });
    expect(await audit.verifyChain(orgId)).toMatchObject({ ok: true, count: 4 });
  });

  it('fails a REPEATABLE READ transaction whose snapshot predates the head with 40001, never forks', async () => {
    const orgId = randomUUID();
    await appendVia(0, eventFor(orgId, 0));
    await withClient(async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await client.query('SELECT count(*) FROM audit_events');
      await appendVia(1, eventFor(orgId, 1));
      await expect(
        client.query('SELECT proco_audit_append($1::jsonb)', [eventJson(orgId, 2)]),
      ).rejects.toMatchObject({
        code: SERIALIZATION_FAILURE,
      });
      await client.query('ROLLBACK');
    });
    expect(await sequencesOf(orgId)).toEqual(oneTo(2));
    expect(await audit.verifyChain(orgId)).toMatchObject({ ok: true, count: 2 });
  });
});

describe('tampering found by verification', () => {
  const EDITED_SEQUENCE = 4;
  const CHAIN_LENGTH = 7;

  async function chainOfLength(length: number, orgId: string | null = randomUUID()): Promise<string> {
    for (let n = 0; n < length; n += 1) await appendVia(n % CLIENTS, eventFor(orgId, n));
    return orgId ?? SYSTEM_AUDIT_CHAIN;
  }

  it('keeps refusing UPDATE and DELETE on audit_events to anyone going through the triggers', async () => {
    const chain = await chainOfLength(2);
    await withClient(async (client) => {
      await expect(
        client.query(`UPDATE audit_events SET action = 'x' WHERE chain = $1`, [chain]),
      ).rejects.toThrow(/append-only/);
      await expect(client.query('DELETE FROM audit_events WHERE chain = $1', [chain])).rejects.toThrow(
        /append-only/,
      );
      await expect(client.query('DELETE FROM audit_chain_heads WHERE chain = $1', [chain])).rejects.toThrow(
        /never removed/,
      );
    });
  });

  it.each([
    { column: 'action', set: `action = 'forged'`, reason: 'content_hash_mismatch' },
    { column: 'actor_id', set: `actor_id = 'op_forged'`, reason: 'content_hash_mismatch' },
    { column: 'subject_id', set: 'subject_id = NULL', reason: 'content_hash_mismatch' },
    { column: 'data', set: `data = data || '{"n": 999}'`, reason: 'content_hash_mismatch' },
    { column: 'request_id', set: `request_id = 'req_forged'`, reason: 'content_hash_mismatch' },
    {
      column: 'occurred_at',
      set: `occurred_at = occurred_at + interval '1 millisecond'`,
      reason: 'content_hash_mismatch',
    },
    { column: 'content_hash', set: 'content_hash = sha256(content_hash)', reason: 'content_hash_mismatch' },
    { column: 'hash', set: 'hash = sha256(hash)', reason: 'hash_mismatch' },
    { column: 'content_hash to NULL', set: 'content_hash = NULL', reason: 'hash_mismatch' },
    {
      column: 'previous_hash',
      set: 'previous_hash = sha256(previous_hash)',
      reason: 'previous_hash_mismatch',
    },
  ])('reports a superuser edit of $column of row k at k ($reason)', async ({ set, reason }) => {
    const chain = await chainOfLength(CHAIN_LENGTH);
    expect(await audit.verifyChain(chain)).toMatchObject({ ok: true, count: CHAIN_LENGTH });
    await superuserWrite(`UPDATE audit_events SET ${set} WHERE chain = $1 AND sequence = $2`, [
      chain,
      EDITED_SEQUENCE,
    ]);
    expect(await audit.verifyChain(chain)).toEqual({
      ok: false,
      brokenAtSequence: BigInt(EDITED_SEQUENCE),
      reason,
    });
  });

  it('reports a superuser deletion of row k at k (sequence_gap)', async () => {
    const chain = await chainOfLength(CHAIN_LENGTH, null);
    await superuserWrite('DELETE FROM audit_events WHERE chain = $1 AND sequence = $2', [
      chain,
      EDITED_SEQUENCE,
    ]);
    expect(await audit.verifyChain(chain)).toEqual({
      ok: false,
      brokenAtSequence: BigInt(EDITED_SEQUENCE),
      reason: 'sequence_gap',
    });
  });
});

describe('refused events', () => {
  const orgId = randomUUID();
  const good = (): Record<string, unknown> => ({ ...prepareAuditEvent(eventFor(orgId, 1)) });
  const without = (field: string): Record<string, unknown> =>
    Object.fromEntries(Object.entries(good()).filter(([key]) => key !== field));

  it.each<{ scenario: string; event: unknown; message: RegExp }>([
    { scenario: 'a JSON array', event: [], message: /must be a JSON object/ },
    { scenario: 'a JSON null', event: null, message: /must be a JSON object/ },
    { scenario: 'a missing chain', event: without('chain'), message: /chain is missing/ },
    { scenario: 'a missing orgId', event: without('orgId'), message: /orgId is missing/ },
    { scenario: 'a missing contentHash', event: without('contentHash'), message: /contentHash is missing/ },
    {
      scenario: 'a missing data',
      event: without('data'),
      message: /data must be a JSON object, not missing/,
    },
    {
      scenario: 'an unknown field',
      event: { ...good(), sequence: 1 },
      message: /unknown field\(s\) sequence/,
    },
    {
      scenario: 'a numeric action',
      event: { ...good(), action: 7 },
      message: /action must be a string, not number/,
    },
    {
      scenario: 'a null action',
      event: { ...good(), action: null },
      message: /action must be a string, not null/,
    },
    { scenario: 'an empty action', event: { ...good(), action: '' }, message: /action must not be empty/ },
    {
      scenario: 'an action too long',
      event: { ...good(), action: 'a'.repeat(101) },
      message: /longer than 100/,
    },
    {
      scenario: 'a requestId too long',
      event: { ...good(), requestId: 'r'.repeat(101) },
      message: /longer than 100/,
    },
    {
      scenario: 'data as an array',
      event: { ...good(), data: [1] },
      message: /data must be a JSON object, not array/,
    },
    {
      scenario: 'an uppercase orgId',
      event: { ...good(), orgId: orgId.toUpperCase() },
      message: /lowercase UUID/,
    },
    {
      scenario: 'another org’s chain',
      event: { ...good(), chain: randomUUID() },
      message: /does not match orgId/,
    },
    {
      scenario: 'an org event in system',
      event: { ...good(), chain: 'system' },
      message: /does not match orgId/,
    },
    {
      scenario: 'a no-org event outside system',
      event: { ...good(), orgId: null, chain: orgId },
      message: /does not match orgId/,
    },
    {
      scenario: 'a 31-byte contentHash',
      event: { ...good(), contentHash: 'ab'.repeat(31) },
      message: /64 lowercase hex/,
    },
    {
      scenario: 'a 33-byte contentHash',
      event: { ...good(), contentHash: 'ab'.repeat(33) },
      message: /longer than 64/,
    },
    {
      scenario: 'an uppercase contentHash',
      event: { ...good(), contentHash: 'AB'.repeat(32) },
      message: /64 lowercase hex/,
    },
    {
      scenario: 'an occurredAt without milliseconds',
      event: { ...good(), occurredAt: '2026-11-25T12:00:00Z' },
      message: /occurredAt .* is not an ISO 8601/,
    },
    {
      scenario: 'an occurredAt with an offset',
      event: { ...good(), occurredAt: '2026-11-25T12:00:00.000+01:00' },
      message: /occurredAt is longer than 24 characters/,
    },
    {
      scenario: 'an impossible date',
      event: { ...good(), occurredAt: '2026-02-29T12:00:00.000Z' },
      message: /occurredAt .* is not an ISO 8601/,
    },
    {
      scenario: 'a numeric occurredAt',
      event: { ...good(), occurredAt: 1_764_072_000_000 },
      message: /occurredAt must be a string, not number/,
    },
  ])('refuses $scenario with 22023 and writes nothing', async ({ event, message }) => {
    const before = await tableCounts();
    await withClient(async (client) => {
      await expect(
        client.query('SELECT proco_audit_append($1::jsonb)', [JSON.stringify(event)]),
      ).rejects.toMatchObject({
        code: INVALID_PARAMETER_VALUE,
        message: expect.stringMatching(message),
      });
    });
    expect(await tableCounts()).toEqual(before);
  });

  it('refuses a SQL NULL event with 22023', async () => {
    await withClient(async (client) => {
      await expect(client.query('SELECT proco_audit_append(NULL)')).rejects.toMatchObject({
        code: INVALID_PARAMETER_VALUE,
      });
    });
  });

  it('accepts a leap day', async () => {
    const event = { ...good(), occurredAt: '2028-02-29T23:59:59.999Z' };
    await withClient(async (client) => {
      const { rows } = await client.query<{ sequence: string }>(
        'SELECT proco_audit_append($1::jsonb) AS sequence',
        [JSON.stringify(event)],
      );
      expect(rows[0]!.sequence).toBe('1');
    });
  });
});

describe('hash agreement between JavaScript and SQL', () => {
  it.each([1n, 2n, 255n, 256n, 65_537n, 2n ** 32n + 7n, 2n ** 63n - 1n])(
    'computes the link hash for sequence %s as sha256(previous || int8send(sequence) || content)',
    async (sequence) => {
      const previousHash = randomBytes(32);
      const contentHash = randomBytes(32);
      const { rows } = await withClient((client) =>
        client.query<{ hash: Buffer }>(
          'SELECT sha256($1::bytea || int8send($2::bigint) || $3::bytea) AS hash',
          [previousHash, sequence.toString(), contentHash],
        ),
      );
      expect(Buffer.from(computeAuditLinkHash({ previousHash, sequence, contentHash }))).toEqual(
        rows[0]!.hash,
      );
    },
  );

  it('stores what the repository prepared, so the hashes recompute from the row', async () => {
    const orgId = randomUUID();
    const occurredAt = new Date(Date.UTC(2026, 10, 25, 12, 34, 56, 789));
    const prepared = prepareAuditEvent({ ...eventFor(orgId, 1), occurredAt });
    await withClient((client) =>
      client.query('SELECT proco_audit_append($1::jsonb)', [JSON.stringify(prepared)]),
    );
    const row = await clients[0]!.auditEvent.findFirstOrThrow({ where: { chain: orgId } });
    expect(row.occurredAt).toEqual(occurredAt);
    expect(row.data).toEqual(prepared.data);
    expect(Buffer.from(row.contentHash!).toString('hex')).toBe(prepared.contentHash);
    expect(Buffer.from(row.previousHash)).toEqual(Buffer.from(GENESIS_HASH));
    expect(Buffer.from(row.hash)).toEqual(
      Buffer.from(
        computeAuditLinkHash({
          previousHash: GENESIS_HASH,
          sequence: 1n,
          contentHash: Buffer.from(prepared.contentHash, 'hex'),
        }),
      ),
    );
  });
});

describe('chains written before the migration', () => {
  it('seeds every chain head from its last event and continues version 1 chains with version 2 rows', async () => {
    const earlier = mkdtempSync(path.join(tmpdir(), 'proco-audit-migrations-'));
    const names = readdirSync(migrationsDirectory, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    const ours = names.findIndex((name) => name.endsWith(`_${MIGRATION_NAME}`));
    expect(ours).toBeGreaterThan(0);
    for (const name of names.slice(0, ours)) {
      cpSync(path.join(migrationsDirectory, name), path.join(earlier, name), { recursive: true });
    }
    cpSync(path.join(migrationsDirectory, 'migration_lock.toml'), path.join(earlier, 'migration_lock.toml'));
    const old = await createTestDatabase({ migrationsDirectory: earlier });
    const client = new PrismaService(configFor(old.url));
    try {
      const orgId = randomUUID();
      const v1Lengths = new Map<string, number>([
        [orgId, 3],
        [SYSTEM_AUDIT_CHAIN, 2],
      ]);
      // Version 1 rows, written the way the previous repository wrote them.
      await withClient(async (pgClient) => {
        for (const [chain, length] of v1Lengths) {
          let previousHash: Uint8Array = GENESIS_HASH;
          for (let n = 1; n <= length; n += 1) {
            const event = {
              sequence: BigInt(n),
              orgId: chain === SYSTEM_AUDIT_CHAIN ? null : chain,
              actorType: 'operator',
              actorId: 'op_1',
              action: 'agent.created',
              subjectType: 'agent',
              subjectId: `agent_${n}`,
              data: { n },
              requestId: null,
              occurredAt: new Date(Date.UTC(2026, 10, 1, 0, 0, n)),
            };
            const hash = computeAuditHash({ previousHash, event });
            await pgClient.query(
              `INSERT INTO audit_events (chain, sequence, org_id, actor_type, actor_id, action, subject_type,
                                         subject_id, data, request_id, occurred_at, previous_hash, hash)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
              [
                chain,
                n,
                event.orgId,
                event.actorType,
                event.actorId,
                event.action,
                event.subjectType,
                event.subjectId,
                JSON.stringify(event.data),
                event.requestId,
                event.occurredAt,
                previousHash,
                hash,
              ],
            );
            previousHash = hash;
          }
        }
      }, old.url);

      await applyMigrations({ databaseUrl: old.url, projectRoot });

      const repository = new AuditLogRepository(client);
      for (const [chain, length] of v1Lengths) {
        await expectHeadIsLastEvent(chain, old.url);
        const orgOfChain = chain === SYSTEM_AUDIT_CHAIN ? null : chain;
        for (let n = 1; n <= 2; n += 1) {
          const appended = await client.$transaction((tx) => repository.append(tx, eventFor(orgOfChain, n)));
          expect(appended.sequence).toBe(BigInt(length + n));
        }
        const rows = await client.auditEvent.findMany({ where: { chain }, orderBy: { sequence: 'asc' } });
        expect(rows.map((row) => row.contentHash === null)).toEqual([
          ...Array<boolean>(length).fill(true),
          false,
          false,
        ]);
        expect(await repository.verifyChain(chain)).toMatchObject({ ok: true, count: length + 2 });
        await expectHeadIsLastEvent(chain, old.url);
      }
    } finally {
      await client.onModuleDestroy();
      await old.drop();
      rmSync(earlier, { recursive: true, force: true });
    }
  });
});
