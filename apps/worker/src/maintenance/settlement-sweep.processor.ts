import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import {
  type JobOf,
  type JobPayloads,
  SETTLEMENT_JOB_OPTIONS,
  SETTLEMENT_QUEUE,
  settlementConfirmJobId,
  settlementSubmitJobId,
} from '@proco/jobs';
import { PrismaService } from '@proco/persistence';
import { type Job, type Queue } from 'bullmq';

/** A queued settlement older than this with no submit yet is enqueued again (its job may be lost). */
export const QUEUED_SETTLEMENT_GRACE_MS = 10_000;
/** A pending relayer transaction untouched for this long gets a confirm job again. */
export const PENDING_TRANSACTION_GRACE_MS = 30_000;
/** Most groups and transactions one sweep enqueues; a backlog drains over the next sweeps. */
export const SWEEP_BATCH_MAX = 500;

/** What one sweep enqueued. */
export interface SettlementSweepOutcome {
  readonly submitJobs: number;
  readonly confirmJobs: number;
}

/**
 * The outbox sweep: PostgreSQL, not Redis, is the record of what must be settled, so a Redis
 * restart or a lost job delays a settlement and never drops it. Queued settlements and pending
 * relayer transactions that have waited past their grace get a job again. A job id per sweep
 * window keeps one sweep from piling up duplicates, and running a job twice is harmless (both
 * jobs are idempotent against PostgreSQL and the chain).
 */
@Injectable()
export class SettlementSweepProcessor {
  private readonly logger = new Logger(SettlementSweepProcessor.name);

  constructor(
    private readonly prisma: PrismaService,
    @InjectQueue(SETTLEMENT_QUEUE)
    private readonly queue: Queue<JobPayloads['settlement.submit' | 'settlement.confirm']>,
  ) {}

  async process(job: Job<JobOf<'settlements.sweep'>>): Promise<SettlementSweepOutcome> {
    const outcome = await this.sweep(Date.now());
    if (outcome.submitJobs + outcome.confirmJobs > 0)
      this.logger.log({ jobId: job.id, ...outcome }, 'settlements swept');
    return outcome;
  }

  async sweep(nowMs: number): Promise<SettlementSweepOutcome> {
    const window = Math.floor(nowMs / QUEUED_SETTLEMENT_GRACE_MS);
    const groups = await this.prisma.$queryRaw<{ network: string; asset: string }[]>`
      SELECT DISTINCT "network", "asset" FROM "settlements"
       WHERE "status" = 'queued' AND "updated_at" < ${new Date(nowMs - QUEUED_SETTLEMENT_GRACE_MS)}
       LIMIT ${SWEEP_BATCH_MAX}`;
    const transactions = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "relayer_transactions"
       WHERE "status" = 'pending' AND "updated_at" < ${new Date(nowMs - PENDING_TRANSACTION_GRACE_MS)}
       ORDER BY "updated_at" LIMIT ${SWEEP_BATCH_MAX}`;
    const options = { ...SETTLEMENT_JOB_OPTIONS, backoff: { ...SETTLEMENT_JOB_OPTIONS.backoff } };
    await this.queue.addBulk([
      ...groups.map((group) => ({
        name: 'settlement.submit' as const,
        data: { network: group.network, asset: group.asset },
        opts: {
          ...options,
          jobId: settlementSubmitJobId({
            origin: 'sweep',
            network: group.network,
            asset: group.asset,
            window,
          }),
        },
      })),
      ...transactions.map((transaction) => ({
        name: 'settlement.confirm' as const,
        data: { relayerTransactionId: transaction.id },
        opts: { ...options, jobId: settlementConfirmJobId(transaction.id, window) },
      })),
    ]);
    return { submitJobs: groups.length, confirmJobs: transactions.length };
  }
}
