// Goal: the maintenance worker expires due holds in bounded batches (releasing budget, audited
// once, payments left `authorized`) and fails payments stuck in `authorizing` after a crash, voiding
// their holds so the idempotency key stops answering in progress; both are idempotent. Clocks are
// passed in (`now` hours ahead) so the live schedule, on real time, never races the assertions.
import { randomBytes, randomUUID } from 'node:crypto';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@proco/config';
import { AuditLogRepository, PostgresHoldStore, PrismaService } from '@proco/persistence';
import { normalizePaymentRequired } from '@proco/x402';
import { Queue, QueueEvents } from 'bullmq';
import { Logger } from 'nestjs-pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { paymentRequestHash } from '../../apps/api/src/payments/payment-request-hash.util';
import { type JobName, type JobPayloads, MAINTENANCE_QUEUE } from '@proco/jobs';
import {
  HOLD_EXPIRY_BATCH_SIZE,
  HoldExpiryProcessor,
  type HoldExpiryOutcome,
} from '../../apps/worker/src/maintenance/hold-expiry.processor';
import {
  HOLD_EXPIRY_INTERVAL_MS,
  STUCK_PAYMENT_SWEEP_INTERVAL_MS,
} from '../../apps/worker/src/maintenance/maintenance-schedule.service';
import {
  AUTHORIZATION_ABANDONED_REASON,
  STUCK_AUTHORIZING_AFTER_MS,
  StuckPaymentProcessor,
} from '../../apps/worker/src/maintenance/stuck-payment.processor';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

const HOUR_MS = 60 * 60 * 1_000;
const JOB_TIMEOUT_MS = 15_000;
const RESOURCE_URL = 'https://api.example.com/v1/data';
const payee = '0x2222222222222222222222222222222222222222';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `proco-test-${randomUUID().slice(0, 8)}`;

let harness: ApiHarness;
let http: ReturnType<typeof request>;
let prisma: PrismaService;
let store: PostgresHoldStore;
let org: { orgId: string; adminKey: string };
let worker: INestApplicationContext | undefined;
let queue: Queue<JobPayloads[JobName]> | undefined;
let queueEvents: QueueEvents | undefined;

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const network = () => `eip155:${inject('chainId')}`;

function purchase(): { url: string; method: string; paymentRequired: Record<string, unknown> } {
  return {
    url: RESOURCE_URL,
    method: 'GET',
    paymentRequired: {
      x402Version: 2,
      resource: { url: RESOURCE_URL, description: 'data', mimeType: 'application/json' },
      accepts: [
        {
          scheme: 'exact',
          network: network(),
          amount: '1000',
          asset: inject('tokenAddress'),
          payTo: payee,
          maxTimeoutSeconds: 120,
          extra: { name: 'USDC', version: '2' },
        },
      ],
    },
  };
}

async function createAgent(): Promise<{ id: string; token: string }> {
  const agent = await http.post('/v1/agents').set(bearer(org.adminKey)).send({ name: 'sweeper' }).expect(201);
  const token = await http
    .post(`/v1/agents/${agent.body.id}/tokens`)
    .set(bearer(org.adminKey))
    .send({ name: 'test' })
    .expect(201);
  return { id: agent.body.id, token: token.body.secret };
}

/** A pending hold inserted through the store, as a reserve at `now` would make it. */
async function reserveHold(params: { agentId: string; paymentId: string; now: Date; expiresAt: Date }) {
  const result = await store.reserve({
    holdId: randomUUID(),
    orgId: org.orgId,
    agentId: params.agentId,
    paymentId: params.paymentId,
    network: network(),
    asset: inject('tokenAddress').toLowerCase(),
    amountAtomic: 1000n,
    now: params.now,
    expiresAt: params.expiresAt,
    checks: [],
    rateLimits: [],
  });
  if (!result.ok) throw new Error('the reserve was refused');
  return result.hold;
}

const auditCount = (action: string, subjectId: string) =>
  prisma.auditEvent.count({ where: { action, subjectId } });

beforeAll(async () => {
  harness = await startApiHarness();
  http = request(harness.app.getHttpServer());
  prisma = harness.app.get(PrismaService);
  store = harness.app.get(PostgresHoldStore);
  org = await harness.bootstrapOrg('Hold expiry');
});

afterAll(async () => {
  await worker?.close();
  await queue?.obliterate({ force: true });
  await queue?.close();
  await queueEvents?.close();
  await harness?.close();
});

describe('holds.expire-due', () => {
  it('expires due holds in bounded batches, once each, and leaves payments authorized', async () => {
    const agent = await createAgent();
    const paid = await http.post('/v1/payments').set(bearer(agent.token)).send(purchase()).expect(201);
    const now = new Date();
    const stored = [
      await reserveHold({
        agentId: agent.id,
        paymentId: randomUUID(),
        now,
        expiresAt: new Date(now.getTime() + HOUR_MS),
      }),
      await reserveHold({
        agentId: agent.id,
        paymentId: randomUUID(),
        now,
        expiresAt: new Date(now.getTime() + HOUR_MS),
      }),
    ];
    const paidHold = await prisma.hold.findUniqueOrThrow({ where: { paymentId: paid.body.paymentId } });
    const holdIds = [paidHold.id, ...stored.map((hold) => hold.id)];
    const processor = new HoldExpiryProcessor(store);
    const later = new Date(now.getTime() + 2 * HOUR_MS);

    // Not yet due at the real clock: nothing changes.
    expect(await processor.expireDue({ now, limit: HOLD_EXPIRY_BATCH_SIZE })).toEqual({
      expired: 0,
      batchFull: false,
    });
    expect(await processor.expireDue({ now: later, limit: 2 })).toEqual({ expired: 2, batchFull: true });
    expect(await processor.expireDue({ now: later, limit: 2 })).toEqual({ expired: 1, batchFull: false });
    // A second run (BullMQ may deliver a job twice) finds nothing left.
    expect(await processor.expireDue({ now: later, limit: 2 })).toEqual({ expired: 0, batchFull: false });

    const holds = await prisma.hold.findMany({ where: { id: { in: holdIds } } });
    expect(holds.map((hold) => [hold.status, hold.resolutionReason])).toEqual(
      holdIds.map(() => ['expired', 'authorization_expired']),
    );
    for (const holdId of holdIds) expect(await auditCount('hold.expired', holdId)).toBe(1);
    const payment = await prisma.payment.findUniqueOrThrow({ where: { id: paid.body.paymentId } });
    expect(payment.status).toBe('authorized');
  });
});

describe('payments.fail-stuck', () => {
  it('fails a payment stuck in authorizing, voids its hold, and frees the idempotency key', async () => {
    const agent = await createAgent();
    const body = purchase();
    const key = `stuck-${randomUUID()}`;
    const paymentId = randomUUID();
    const now = new Date();
    // What a process that crashed between its reserve and its signature leaves behind.
    await prisma.payment.create({
      data: {
        id: paymentId,
        orgId: org.orgId,
        agentId: agent.id,
        idempotencyKey: key,
        requestHash: paymentRequestHash({
          url: body.url,
          method: body.method,
          paymentRequired: normalizePaymentRequired(body.paymentRequired),
        }),
        status: 'authorizing',
        resourceUrl: body.url,
        method: body.method,
        createdAt: now,
        expiresAt: new Date(now.getTime() + 24 * HOUR_MS),
      },
    });
    const hold = await reserveHold({
      agentId: agent.id,
      paymentId,
      now,
      expiresAt: new Date(now.getTime() + HOUR_MS),
    });
    const pay = () =>
      http.post('/v1/payments').set(bearer(agent.token)).set('Idempotency-Key', key).send(body);
    const inProgress = await pay();
    expect(inProgress.status).toBe(409);
    expect(inProgress.body.code).toBe('idempotency_key_in_progress');

    const processor = new StuckPaymentProcessor(prisma, harness.app.get(AuditLogRepository), store);
    const sweep = (at: Date) =>
      processor.sweep({ now: at, limit: 500, stuckAfterMs: STUCK_AUTHORIZING_AFTER_MS });
    // Younger than the bound: it may still be alive, so it is left alone.
    expect(await sweep(now)).toEqual({ failed: 0, holdsVoided: 0 });
    const later = new Date(now.getTime() + 2 * STUCK_AUTHORIZING_AFTER_MS);
    expect(await sweep(later)).toEqual({ failed: 1, holdsVoided: 1 });
    // Idempotent: a second run changes nothing.
    expect(await sweep(later)).toEqual({ failed: 0, holdsVoided: 0 });

    const payment = await prisma.payment.findUniqueOrThrow({ where: { id: paymentId } });
    expect(payment.status).toBe('failed');
    const resolved = await prisma.hold.findUniqueOrThrow({ where: { id: hold.id } });
    expect([resolved.status, resolved.resolutionReason]).toEqual(['voided', AUTHORIZATION_ABANDONED_REASON]);
    expect(await auditCount('payment.failed', paymentId)).toBe(1);
    expect(await auditCount('hold.voided', hold.id)).toBe(1);
    const replay = await pay();
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('payment_failed');
  });
});

describe('payments.fail-stuck batches', () => {
  it('fails at most `limit` stuck payments per run, and the rest on the next run', async () => {
    const agent = await createAgent();
    const now = new Date();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) {
      await prisma.payment.create({
        data: {
          id,
          orgId: org.orgId,
          agentId: agent.id,
          idempotencyKey: `stuck-batch-${id}`,
          requestHash: new Uint8Array(32),
          status: 'authorizing',
          resourceUrl: RESOURCE_URL,
          method: 'GET',
          createdAt: now,
          expiresAt: new Date(now.getTime() + 24 * HOUR_MS),
        },
      });
    }
    const processor = new StuckPaymentProcessor(prisma, harness.app.get(AuditLogRepository), store);
    const later = new Date(now.getTime() + 2 * STUCK_AUTHORIZING_AFTER_MS);
    const sweep = () => processor.sweep({ now: later, limit: 2, stuckAfterMs: STUCK_AUTHORIZING_AFTER_MS });
    expect(await sweep()).toEqual({ failed: 2, holdsVoided: 0 });
    expect(await sweep()).toEqual({ failed: 1, holdsVoided: 0 });
    expect(await sweep()).toEqual({ failed: 0, holdsVoided: 0 });
    const rows = await prisma.payment.findMany({ where: { id: { in: ids } } });
    expect(rows.map((row) => row.status)).toEqual(['failed', 'failed', 'failed']);
  });
});

describe('worker schedule', () => {
  it('registers both sweeps every 30 s and runs an expiry job from the queue', async () => {
    const config = loadConfig({
      environment: {
        PROCO_ENV: 'test',
        DATABASE_URL: harness.database.url,
        REDIS_URL: redisUrl,
        PROCO_REDIS_PREFIX: prefix,
        PROCO_MASTER_KEY: randomBytes(32).toString('base64'),
        PROCO_NETWORKS_FILE: inject('networksFile'),
        PROCO_LOG_LEVEL: 'silent',
        PROCO_DATABASE_POOL_SIZE: '3',
      },
    });
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
    worker.useLogger(worker.get(Logger));
    await worker.init();
    const url = new URL(redisUrl);
    const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
    queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix: `${prefix}:bull` });
    queueEvents = new QueueEvents(MAINTENANCE_QUEUE, { connection, prefix: `${prefix}:bull` });
    await queueEvents.waitUntilReady();

    expect(await queue.getJobScheduler('holds.expire-due')).toMatchObject({
      name: 'holds.expire-due',
      every: HOLD_EXPIRY_INTERVAL_MS,
    });
    expect(await queue.getJobScheduler('payments.fail-stuck')).toMatchObject({
      name: 'payments.fail-stuck',
      every: STUCK_PAYMENT_SWEEP_INTERVAL_MS,
    });
    const job = await queue.add(
      'holds.expire-due',
      { requestedBy: 'operator' },
      { jobId: `expire-${randomUUID()}`, attempts: 1 },
    );
    const outcome = (await job.waitUntilFinished(queueEvents, JOB_TIMEOUT_MS)) as HoldExpiryOutcome;
    // Nothing is due at the real clock: every hold left from the tests above is resolved or future.
    expect(outcome).toEqual({ expired: 0, batchFull: false });
  });
});
