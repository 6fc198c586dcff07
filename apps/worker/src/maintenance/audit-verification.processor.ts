import { Processor, WorkerHost } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { AuditLogRepository } from '@proco/persistence';
import { type Job } from 'bullmq';
import { type JobOf, MAINTENANCE_QUEUE } from '../jobs';

/** What one verification run found, stored as the job's return value. */
export type AuditVerificationOutcome =
  | { readonly ok: true; readonly count: number; readonly headHash: string }
  | { readonly ok: false; readonly brokenAtSequence: string; readonly reason: string };

/**
 * Re-verifies the audit hash chain on a schedule, so tampering is noticed even when nobody asks.
 * Retrying is safe: verification only reads.
 */
@Processor(MAINTENANCE_QUEUE, { concurrency: 1 })
export class AuditVerificationProcessor extends WorkerHost implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditVerificationProcessor.name);

  constructor(private readonly audit: AuditLogRepository) {
    super();
  }

  /**
   * Stops taking jobs and waits for the running one before modules are destroyed: Prisma
   * disconnects in `onModuleDestroy`, which runs before BullMQ's own shutdown hook.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  async process(job: Job<JobOf<'audit.verify-chain'>>): Promise<AuditVerificationOutcome> {
    const result = await this.audit.verifyChain();
    if (!result.ok) {
      this.logger.error(
        { jobId: job.id, brokenAtSequence: result.brokenAtSequence.toString(), reason: result.reason },
        'audit chain broken',
      );
      return { ok: false, brokenAtSequence: result.brokenAtSequence.toString(), reason: result.reason };
    }
    this.logger.log({ jobId: job.id, count: result.count }, 'audit chain verified');
    return { ok: true, count: result.count, headHash: Buffer.from(result.headHash).toString('hex') };
  }
}
