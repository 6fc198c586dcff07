// Goal: the worker process, booted as production boots it, registers its schedule and answers an
// 'audit.verify-chain' job on the real queue with the chain's length and head hash, and reports the
// exact sequence and reason once a forged row is appended to the audit log behind its back.
import { randomBytes, randomUUID } from 'node:crypto';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@proco/config';
import { AuditLogRepository, PrismaService } from '@proco/persistence';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { Logger } from 'nestjs-pino';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type JobOf, MAINTENANCE_QUEUE, SETTLEMENT_QUEUE, WEBHOOKS_QUEUE } from '@proco/jobs';
import { type AuditVerificationOutcome } from '../../apps/worker/src/maintenance/audit-verification.processor';
import { AUDIT_VERIFICATION_INTERVAL_MS } from '../../apps/worker/src/maintenance/maintenance-schedule.service';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** A verification of a few rows takes milliseconds; this bounds a hung worker. */
const JOB_TIMEOUT_MS = 15_000;
const SEEDED_EVENTS = 5;
const ORG_EVENTS = 2;
const ORG_ID = randomUUID();
const REDIS_SCAN_COUNT = 500;

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `proco-test-${randomUUID().slice(0, 8)}`;

let database: TestDatabase;
let app: INestApplicationContext | undefined;
let queue: Queue<JobOf<'audit.verify-chain'>> | undefined;
let queueEvents: QueueEvents | undefined;
let socketsBeforeBoot = 0;

/** Open TCP sockets of this process (PostgreSQL and Redis connections among them). */
const openSockets = (): number =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;

/** BullMQ connection options for the run's Redis; BullMQ opens and closes these connections itself. */
function connectionOptions() {
  const url = new URL(redisUrl);
  return { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
}

async function keysUnderPrefix(): Promise<string[]> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', REDIS_SCAN_COUNT);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  } finally {
    client.disconnect();
  }
}

async function deleteKeysUnderPrefix(): Promise<void> {
  const keys = await keysUnderPrefix();
  if (keys.length === 0) return;
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await client.del(...keys);
  } finally {
    client.disconnect();
  }
}

async function withDatabase<Result>(run: (client: pg.Client) => Promise<Result>): Promise<Result> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Adds one verification job and waits, bounded, for the worker's answer. */
async function runVerification(): Promise<AuditVerificationOutcome> {
  if (queue === undefined || queueEvents === undefined) throw new Error('the queue is not open');
  const job = await queue.add(
    'audit.verify-chain',
    { requestedBy: 'operator' },
    { jobId: `verify-${randomUUID()}`, attempts: 1 },
  );
  return (await job.waitUntilFinished(queueEvents, JOB_TIMEOUT_MS)) as AuditVerificationOutcome;
}

beforeAll(async () => {
  database = await createTestDatabase();
  socketsBeforeBoot = openSockets();
  const config = loadConfig({
    environment: {
      PROCO_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      PROCO_REDIS_PREFIX: prefix,
      PROCO_MASTER_KEY: randomBytes(32).toString('base64'),
      PROCO_NETWORKS_FILE: inject('networksFile'),
      PROCO_LOG_LEVEL: 'silent',
      PROCO_DATABASE_POOL_SIZE: '3',
    },
  });
  app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.init();

  // The same key layout the module configures: `<PROCO_REDIS_PREFIX>:bull:<queue>:…`.
  queue = new Queue(MAINTENANCE_QUEUE, { connection: connectionOptions(), prefix: `${prefix}:bull` });
  queueEvents = new QueueEvents(MAINTENANCE_QUEUE, {
    connection: connectionOptions(),
    prefix: `${prefix}:bull`,
  });
  await queueEvents.waitUntilReady();
});

async function closeAll(): Promise<void> {
  await app?.close();
  app = undefined;
  await queue?.obliterate({ force: true });
  await queue?.close();
  queue = undefined;
  await queueEvents?.close();
  queueEvents = undefined;
}

afterAll(async () => {
  await closeAll();
  await deleteKeysUnderPrefix();
  await database?.drop();
});

describe('worker', () => {
  it('registers the repeating audit verification under the configured prefix', async () => {
    const scheduler = await queue?.getJobScheduler('audit.verify-chain');
    expect(scheduler).toMatchObject({ name: 'audit.verify-chain', every: AUDIT_VERIFICATION_INTERVAL_MS });
    const keys = await keysUnderPrefix();
    expect(keys.length).toBeGreaterThan(0);
    const queuePrefixes = [MAINTENANCE_QUEUE, SETTLEMENT_QUEUE, WEBHOOKS_QUEUE].map(
      (name) => `${prefix}:bull:${name}:`,
    );
    expect(keys.filter((key) => !queuePrefixes.some((queuePrefix) => key.startsWith(queuePrefix)))).toEqual(
      [],
    );
  });

  it('verifies every intact chain and reports how many events it checked', async () => {
    if (app === undefined) throw new Error('the worker did not start');
    const prisma = app.get(PrismaService);
    const audit = app.get(AuditLogRepository);
    for (let index = 0; index < SEEDED_EVENTS; index += 1) {
      await prisma.$transaction((tx) =>
        audit.append(tx, {
          orgId: null,
          actor: { type: 'system' },
          action: 'worker_test.seeded',
          subject: { type: 'test', id: String(index) },
          data: { index },
        }),
      );
    }
    // A second chain: an org's events are chained apart from the system's.
    for (let index = 0; index < ORG_EVENTS; index += 1) {
      await prisma.$transaction((tx) =>
        audit.append(tx, {
          orgId: ORG_ID,
          actor: { type: 'cli' },
          action: 'worker_test.org',
          subject: { type: 'test' },
        }),
      );
    }

    const outcome = await runVerification();
    expect(outcome).toEqual({
      ok: true,
      chains: 2,
      events: SEEDED_EVENTS + ORG_EVENTS,
      brokenChains: 0,
      broken: [],
    });
  });

  it('refuses to edit audit rows in place, so forging means appending', async () => {
    await expect(
      withDatabase((client) => client.query("UPDATE audit_events SET action = 'forged' WHERE sequence = 1")),
    ).rejects.toThrow(/append-only/);
  });

  it('reports the forged row by sequence and reason', async () => {
    const forgedSequence = SEEDED_EVENTS + 1;
    await withDatabase(async (client) => {
      const head = await client.query<{ hash: Buffer }>(
        "SELECT hash FROM audit_events WHERE chain = 'system' ORDER BY sequence DESC LIMIT 1",
      );
      // A well-linked row (right sequence, right previous hash) whose own hash is made up.
      await client.query(
        `INSERT INTO audit_events
           (chain, sequence, org_id, actor_type, actor_id, action, subject_type, subject_id, data, request_id,
            occurred_at, previous_hash, hash)
         VALUES ('system', $1, NULL, 'system', NULL, 'forged.event', 'test', NULL, '{}', NULL, now(), $2, $3)`,
        [forgedSequence, head.rows[0]?.hash, randomBytes(32)],
      );
    });

    const outcome = await runVerification();
    expect(outcome).toEqual({
      ok: false,
      chains: 2,
      events: ORG_EVENTS,
      brokenChains: 1,
      broken: [{ chain: 'system', brokenAtSequence: String(forgedSequence), reason: 'hash_mismatch' }],
    });
  });

  // BullMQ closes only connections it created from options; a shared client would outlive close().
  it('closes every connection it opened when the app closes', async () => {
    await closeAll();
    // Sockets finish closing a few ticks after close() resolves; a leaked one never does.
    await expect.poll(openSockets, { timeout: 3_000, interval: 50 }).toBe(socketsBeforeBoot);
  });
});
