import { Inject, Injectable, Logger } from '@nestjs/common';
import { type JobOf } from '@proco/jobs';
import { type HoldStore } from '@proco/ledger';
import { AuditLogRepository, Prisma, PrismaService, withTransientRetry } from '@proco/persistence';
import { type Job } from 'bullmq';
import { HOLD_STORE } from '../hold-store.provider';

/**
 * How long a payment may stay `authorizing` before it counts as abandoned (its process crashed
 * mid-flight). An authorization takes milliseconds and its longest step, the hold transaction, is
 * cut off after 10 s, so a minute is far beyond any live one.
 */
export const STUCK_AUTHORIZING_AFTER_MS = 60_000;
/** Most payments (and, separately, most holds) one run resolves; the rest wait for the next run. */
export const STUCK_PAYMENT_BATCH_SIZE = 500;
/** The failure and void reason recorded for an abandoned authorization. */
export const AUTHORIZATION_ABANDONED_REASON = 'authorization_abandoned';

/** Parameters of `StuckPaymentProcessor.sweep`. */
export interface SweepStuckPaymentsParams {
  /** Null: the database's clock, the one payments are stamped with (tests pass a time). */
  readonly now: Date | null;
  readonly limit: number;
  readonly stuckAfterMs: number;
}

/** What one run did, stored as the job's return value. */
export interface StuckPaymentOutcome {
  /** Payments moved from `authorizing` to `failed`. */
  readonly failed: number;
  /** Pending holds of failed payments voided. */
  readonly holdsVoided: number;
}

interface FailedRow {
  readonly id: string;
  readonly org_id: string;
  readonly agent_id: string;
  readonly idempotency_key: string;
}

/**
 * Ends payments stuck in `authorizing` (so their idempotency key stops answering
 * `idempotency_key_in_progress` forever): marks them `failed`, audited, then voids any pending hold
 * a failed payment still has, which also finishes a cleanup that the authorizer itself could not.
 *
 * The payment is failed before its hold is voided, never the other way round: the authorizer's
 * last step only succeeds on a payment still `authorizing`, so once the payment is `failed` no
 * signature for it can be handed out, and releasing its budget is then safe.
 *
 * Retrying, or BullMQ running the job twice, is safe: both steps are conditional writes (payment
 * `status = 'authorizing'`, hold `status = 'pending'`), so a second run finds nothing to change,
 * and concurrent runs split the stuck payments between them with SKIP LOCKED.
 */
@Injectable()
export class StuckPaymentProcessor {
  private readonly logger = new Logger(StuckPaymentProcessor.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    @Inject(HOLD_STORE) private readonly holds: HoldStore,
  ) {}

  async process(job: Job<JobOf<'payments.fail-stuck'>>): Promise<StuckPaymentOutcome> {
    const outcome = await this.sweep({
      now: null,
      limit: STUCK_PAYMENT_BATCH_SIZE,
      stuckAfterMs: STUCK_AUTHORIZING_AFTER_MS,
    });
    if (outcome.failed > 0 || outcome.holdsVoided > 0) {
      this.logger.warn({ jobId: job.id, ...outcome }, 'abandoned authorizations resolved');
    }
    return outcome;
  }

  /** One bounded run at `now`; the clock is a parameter so tests can move it. */
  async sweep(params: SweepStuckPaymentsParams): Promise<StuckPaymentOutcome> {
    const failed = await this.failStuck(params);
    const holdsVoided = await this.voidHoldsOfFailed(params);
    return { failed, holdsVoided };
  }

  private async failStuck(params: SweepStuckPaymentsParams): Promise<number> {
    // The database's clock unless a test passes one: payments are stamped with it.
    const now = params.now?.toISOString() ?? null;
    return withTransientRetry(() =>
      this.prisma.$transaction(
        async (tx) => {
          // The batch is a CTE so it is evaluated once: an `IN (subquery)` may be rescanned per
          // row by a nested loop and then exceed its LIMIT. SKIP LOCKED lets concurrent runs split
          // the work; the status condition keeps a payment from failing twice.
          const rows = await tx.$queryRaw<FailedRow[]>`
            WITH "stuck" AS (SELECT "id" AS "stuck_id" FROM "payments"
                              WHERE "status" = 'authorizing'
                                AND "updated_at" <= COALESCE(${now}::timestamptz, now())
                                                    - ${params.stuckAfterMs} * interval '1 millisecond'
                              ORDER BY "updated_at", "id"
                              LIMIT ${params.limit}
                              FOR UPDATE SKIP LOCKED)
            UPDATE "payments" SET "status" = 'failed', "updated_at" = COALESCE(${now}::timestamptz, now())
              FROM "stuck"
             WHERE "payments"."id" = "stuck"."stuck_id" AND "payments"."status" = 'authorizing'
            RETURNING "id"::text AS id, "org_id"::text AS org_id, "agent_id"::text AS agent_id,
                      "idempotency_key"`;
          // Audit chain locks are taken in org order, so two runs can never wait on each other's.
          const sorted = [...rows].sort((left, right) => compareText(left.org_id, right.org_id));
          for (const row of sorted) {
            await this.audit.append(tx, {
              orgId: row.org_id,
              actor: { type: 'system' },
              action: 'payment.failed',
              subject: { type: 'payment', id: row.id },
              data: {
                agentId: row.agent_id,
                idempotencyKey: row.idempotency_key,
                failure: AUTHORIZATION_ABANDONED_REASON,
              },
            });
          }
          return rows.length;
        },
        { isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted },
      ),
    );
  }

  private async voidHoldsOfFailed(params: SweepStuckPaymentsParams): Promise<number> {
    const holds = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT h."id"::text AS id
        FROM "holds" h JOIN "payments" p ON p."id" = h."payment_id"
       WHERE h."status" = 'pending' AND p."status" = 'failed'
       ORDER BY h."id"
       LIMIT ${params.limit}`;
    let voided = 0;
    for (const hold of holds) {
      const result = await this.holds.void({
        holdId: hold.id,
        now: params.now ?? new Date(),
        reason: AUTHORIZATION_ABANDONED_REASON,
      });
      if (result.changed) voided += 1;
    }
    return voided;
  }
}

function compareText(left: string, right: string): number {
  if (left === right) return 0;
  return left < right ? -1 : 1;
}
