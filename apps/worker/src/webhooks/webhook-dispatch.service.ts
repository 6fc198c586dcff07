import { randomUUID } from 'node:crypto';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { type JobPayloads, WEBHOOK_JOB_OPTIONS, WEBHOOKS_QUEUE, webhookDeliverJobId } from '@proco/jobs';
import { type Prisma, PrismaService, type Transaction } from '@proco/persistence';
import {
  isSubscribed,
  WEBHOOK_DELIVERY_ATTEMPTS_MAX,
  WEBHOOK_SOURCE_AUDIT_ACTIONS,
  webhookEventIdOf,
  webhookEventOf,
  webhookPayloadOf,
} from '@proco/webhooks';
import { type Queue } from 'bullmq';

/** Orgs one dispatch run serves; the least recently served go first, the rest wait for the next run. */
export const DISPATCH_ORGS_PER_RUN = 50;
/** Audit sequences of one org one run reads past its cursor (matching or not). */
export const DISPATCH_SEQUENCES_PER_ORG = 2_000;
/** Matching audit events one run turns into deliveries per org. */
export const DISPATCH_EVENTS_PER_ORG = 200;
/** A pending, due delivery with no attempt for this long gets a job again (its job may be lost). */
export const DELIVERY_SWEEP_GRACE_MS = 30_000;
/** Deliveries one sweep queues, or closes, or prunes at most. */
export const DELIVERY_SWEEP_BATCH_MAX = 500;
/** How long deliveries and their attempts are kept. */
export const DELIVERY_RETENTION_DAYS = 30;

/** What one dispatch run did, stored as the job's return value. */
export interface WebhookDispatchOutcome {
  readonly orgs: number;
  readonly deliveries: number;
  readonly requeued: number;
  readonly exhausted: number;
  readonly pruned: number;
}

interface AuditRow {
  readonly sequence: bigint;
  readonly action: string;
  readonly subject_type: string;
  readonly subject_id: string | null;
  readonly data: Record<string, unknown>;
  readonly occurred_at: Date;
}

interface EndpointRow {
  readonly id: string;
  readonly event_types: string[];
  readonly start_sequence: bigint;
  readonly status: 'active' | 'disabled';
}

/**
 * The webhook outbox reader. Every state change is in the audit log, committed with the change,
 * and one org's events become visible in sequence order (an append holds the chain's head row
 * until its transaction ends), so reading each org's chain past a stored cursor sees every event
 * exactly once. For each org with endpoints, one transaction locks its cursor, reads a bounded
 * page of events, inserts a delivery per (event, subscribed active endpoint) with ON CONFLICT DO
 * NOTHING, and advances the cursor; jobs are queued after the commit.
 *
 * Safe to run concurrently and to retry: cursors are taken with SKIP LOCKED, so two runs never
 * serve one org at once, and a run that dies before its commit changed nothing. The same run
 * sweeps the outbox of deliveries: due ones with no live job are queued again, ones left with no
 * attempts by a crash are closed, and old ones pruned.
 */
@Injectable()
export class WebhookDispatchService {
  private readonly logger = new Logger(WebhookDispatchService.name);

  constructor(
    private readonly prisma: PrismaService,
    @InjectQueue(WEBHOOKS_QUEUE) private readonly queue: Queue<JobPayloads['webhooks.deliver']>,
  ) {}

  async dispatch(nowMs = Date.now()): Promise<WebhookDispatchOutcome> {
    // Orgs whose chain has grown past what their endpoints have seen, least recently served first.
    const orgs = await this.prisma.$queryRaw<{ org_id: string }[]>`
      SELECT e."org_id"::text AS org_id
        FROM "webhook_endpoints" AS e
        JOIN "audit_chain_heads" AS h ON h."chain" = e."org_id"::text
        LEFT JOIN "webhook_cursors" AS c ON c."org_id" = e."org_id"
       GROUP BY e."org_id", h."sequence", c."last_sequence", c."updated_at"
      HAVING h."sequence" > GREATEST(COALESCE(c."last_sequence", 0), MIN(e."start_sequence"))
       ORDER BY c."updated_at" ASC NULLS FIRST
       LIMIT ${DISPATCH_ORGS_PER_RUN}`;
    let deliveries = 0;
    for (const { org_id: orgId } of orgs) {
      const inserted = await this.dispatchOrg(orgId);
      await this.enqueue(inserted.map((deliveryId) => ({ deliveryId, attempt: 1 })));
      deliveries += inserted.length;
    }
    const requeued = await this.requeueDue(nowMs);
    const exhausted = await this.closeExhausted();
    const pruned = await this.prune();
    return { orgs: orgs.length, deliveries, requeued, exhausted, pruned };
  }

  /** One org's page of events, in one transaction. Returns the ids of the deliveries it inserted. */
  private async dispatchOrg(orgId: string): Promise<string[]> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`
        INSERT INTO "webhook_cursors" ("org_id", "last_sequence") VALUES (${orgId}::uuid, 0)
        ON CONFLICT ("org_id") DO NOTHING`;
      const [cursor] = await tx.$queryRaw<{ last_sequence: bigint }[]>`
        SELECT "last_sequence" FROM "webhook_cursors" WHERE "org_id" = ${orgId}::uuid FOR UPDATE SKIP LOCKED`;
      if (cursor === undefined) return []; // Another run is serving this org.
      const endpoints = await tx.$queryRaw<EndpointRow[]>`
        SELECT "id"::text AS id, "event_types", "start_sequence", "status"::text AS status
          FROM "webhook_endpoints" WHERE "org_id" = ${orgId}::uuid`;
      const [head] = await tx.$queryRaw<{ sequence: bigint }[]>`
        SELECT "sequence" FROM "audit_chain_heads" WHERE "chain" = ${orgId}`;
      if (endpoints.length === 0 || head === undefined) return [];
      // Events before an endpoint's creation are not its business; before every endpoint's, no one's.
      const from = bigintMax(
        cursor.last_sequence,
        bigintMin(endpoints.map((endpoint) => endpoint.start_sequence)),
      );
      // Every event up to the head read above has committed (the head moves with its commit).
      const until = bigintMin([head.sequence, from + BigInt(DISPATCH_SEQUENCES_PER_ORG)]);
      const events = await tx.$queryRaw<AuditRow[]>`
        SELECT "sequence", "action", "subject_type", "subject_id", "data", "occurred_at"
          FROM "audit_events"
         WHERE "chain" = ${orgId} AND "sequence" > ${from} AND "sequence" <= ${until}
           AND "action" = ANY(${WEBHOOK_SOURCE_AUDIT_ACTIONS}::text[])
         ORDER BY "sequence"
         LIMIT ${DISPATCH_EVENTS_PER_ORG}`;
      // A full page may stop short of `until`: the cursor then stops at its last event.
      const reached = events.length === DISPATCH_EVENTS_PER_ORG ? events.at(-1)!.sequence : until;
      const rows = await this.deliveriesOf({ tx, orgId, events, endpoints });
      const inserted =
        rows.length === 0
          ? []
          : await tx.webhookDelivery.createManyAndReturn({
              data: rows,
              skipDuplicates: true,
              select: { id: true },
            });
      await tx.$executeRaw`
        UPDATE "webhook_cursors" SET "last_sequence" = ${reached}, "updated_at" = now()
         WHERE "org_id" = ${orgId}::uuid`;
      return inserted.map((row) => row.id);
    });
  }

  private async deliveriesOf(params: {
    tx: Transaction;
    orgId: string;
    events: readonly AuditRow[];
    endpoints: readonly EndpointRow[];
  }): Promise<Prisma.WebhookDeliveryCreateManyInput[]> {
    const { orgId, events, endpoints } = params;
    const active = endpoints.filter((endpoint) => endpoint.status === 'active');
    if (active.length === 0 || events.length === 0) return [];
    const paymentOfSettlement = await this.paymentsOfFailedSettlements(params);
    const now = new Date();
    const rows: Prisma.WebhookDeliveryCreateManyInput[] = [];
    for (const event of events) {
      const mapped = webhookEventOf({
        action: event.action,
        subjectType: event.subject_type,
        subjectId: event.subject_id,
        data: event.data,
        settlementPaymentId:
          event.subject_id === null ? null : (paymentOfSettlement.get(event.subject_id) ?? null),
      });
      if (mapped === null) continue;
      const eventId = webhookEventIdOf({ orgId, sequence: event.sequence });
      const payload = webhookPayloadOf({
        eventId,
        type: mapped.type,
        occurredAt: event.occurred_at,
        orgId,
        data: mapped.data,
      });
      for (const endpoint of active) {
        if (event.sequence <= endpoint.start_sequence) continue;
        if (!isSubscribed({ eventTypes: endpoint.event_types, type: mapped.type })) continue;
        rows.push({
          id: randomUUID(),
          endpointId: endpoint.id,
          orgId,
          eventId,
          eventType: mapped.type,
          auditSequence: event.sequence,
          // JSON read back from jsonb (and strings), so the cast to Prisma's input type is exact.
          payload: payload as unknown as Prisma.InputJsonValue,
          attemptsLeft: WEBHOOK_DELIVERY_ATTEMPTS_MAX,
          nextAttemptAt: now,
        });
      }
    }
    return rows;
  }

  /**
   * The org's own payment each failed settlement of the page pays, if any: the settlement's
   * authorization (network and nonce) is the payment's. A settlement the org ran as a facilitator
   * for another org's agent finds nothing here, so nothing of that org leaks into this one's events.
   */
  private async paymentsOfFailedSettlements(params: {
    tx: Transaction;
    orgId: string;
    events: readonly AuditRow[];
  }): Promise<Map<string, string>> {
    const settlementIds = params.events
      .filter((event) => event.action === 'settlement.failed' && event.subject_id !== null)
      .map((event) => event.subject_id!);
    if (settlementIds.length === 0) return new Map();
    const rows = await params.tx.$queryRaw<{ settlement_id: string; payment_id: string }[]>`
      SELECT s."id"::text AS settlement_id, p."id"::text AS payment_id
        FROM "settlements" AS s
        JOIN "payments" AS p ON p."network" = s."network" AND p."nonce" = s."nonce"
       WHERE s."id" = ANY(${settlementIds}::uuid[]) AND p."org_id" = ${params.orgId}::uuid`;
    return new Map(rows.map((row) => [row.settlement_id, row.payment_id]));
  }

  /** Pending, due deliveries of active endpoints with no attempt in flight for a while: queue them. */
  private async requeueDue(nowMs: number): Promise<number> {
    const due = await this.prisma.$queryRaw<{ id: string; attempts: number }[]>`
      SELECT d."id"::text AS id, d."attempts"
        FROM "webhook_deliveries" AS d
        JOIN "webhook_endpoints" AS e ON e."id" = d."endpoint_id" AND e."status" = 'active'
       WHERE d."status" = 'pending' AND d."attempts_left" > 0
         AND d."next_attempt_at" <= now() - ${DELIVERY_SWEEP_GRACE_MS} * interval '1 millisecond'
         AND (d."locked_until" IS NULL OR d."locked_until" < now())
       ORDER BY d."next_attempt_at"
       LIMIT ${DELIVERY_SWEEP_BATCH_MAX}`;
    const sweepWindow = Math.floor(nowMs / DELIVERY_SWEEP_GRACE_MS);
    await this.enqueue(due.map((row) => ({ deliveryId: row.id, attempt: row.attempts + 1, sweepWindow })));
    return due.length;
  }

  /** Deliveries whose last attempt died with its process after using the last attempt: failed. */
  private async closeExhausted(): Promise<number> {
    return this.prisma.$executeRaw`
      WITH "exhausted" AS (SELECT "id" AS "exhausted_id" FROM "webhook_deliveries"
                            WHERE "status" = 'pending' AND "attempts_left" = 0 AND "locked_until" < now()
                            LIMIT ${DELIVERY_SWEEP_BATCH_MAX}
                            FOR UPDATE SKIP LOCKED)
      UPDATE "webhook_deliveries"
         SET "status" = 'failed', "next_attempt_at" = NULL, "locked_until" = NULL, "updated_at" = now(),
             "last_error" = COALESCE("last_error", 'the last attempt did not finish')
        FROM "exhausted"
       WHERE "id" = "exhausted"."exhausted_id" AND "status" = 'pending'`;
  }

  /** Deliveries older than the retention, with their attempts (cascade), a batch per run. */
  private async prune(): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM "webhook_deliveries"
       WHERE "id" IN (SELECT "id" FROM "webhook_deliveries"
                       WHERE "created_at" < now() - ${DELIVERY_RETENTION_DAYS} * interval '1 day'
                         AND ("locked_until" IS NULL OR "locked_until" < now())
                       ORDER BY "created_at"
                       LIMIT ${DELIVERY_SWEEP_BATCH_MAX})`;
  }

  // A lost enqueue delays a delivery and never drops it: the sweep above queues it again.
  private async enqueue(
    jobs: readonly { deliveryId: string; attempt: number; sweepWindow?: number }[],
  ): Promise<void> {
    if (jobs.length === 0) return;
    const options = { ...WEBHOOK_JOB_OPTIONS, backoff: { ...WEBHOOK_JOB_OPTIONS.backoff } };
    try {
      await this.queue.addBulk(
        jobs.map((job) => ({
          name: 'webhooks.deliver' as const,
          data: { deliveryId: job.deliveryId },
          opts: { ...options, jobId: webhookDeliverJobId(job) },
        })),
      );
    } catch (error: unknown) {
      this.logger.warn(
        { jobs: jobs.length, err: { message: error instanceof Error ? error.message : String(error) } },
        'webhook deliveries not enqueued; the sweep will pick them up',
      );
    }
  }
}

function bigintMax(left: bigint, right: bigint): bigint {
  return left > right ? left : right;
}

function bigintMin(values: readonly bigint[]): bigint {
  return values.reduce((smallest, value) => (value < smallest ? value : smallest));
}
