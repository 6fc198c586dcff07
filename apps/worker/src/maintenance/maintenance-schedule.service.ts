import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { type Queue } from 'bullmq';
import {
  FINISHED_JOBS_KEPT,
  type JobOf,
  MAINTENANCE_JOB_ATTEMPTS,
  MAINTENANCE_JOB_BACKOFF_MS,
  MAINTENANCE_QUEUE,
} from '../jobs';

/** How often the audit chain is re-verified. */
export const AUDIT_VERIFICATION_INTERVAL_MS = 10 * 60 * 1_000;
const AUDIT_VERIFICATION_SCHEDULER_ID = 'audit.verify-chain';

/**
 * Registers the repeating maintenance jobs. `upsertJobScheduler` is idempotent, so every worker
 * replica can call it at start-up without creating duplicates.
 */
@Injectable()
export class MaintenanceScheduleService implements OnApplicationBootstrap {
  constructor(@InjectQueue(MAINTENANCE_QUEUE) private readonly queue: Queue<JobOf<'audit.verify-chain'>>) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      AUDIT_VERIFICATION_SCHEDULER_ID,
      { every: AUDIT_VERIFICATION_INTERVAL_MS },
      {
        name: 'audit.verify-chain',
        data: { requestedBy: 'schedule' },
        opts: {
          attempts: MAINTENANCE_JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: MAINTENANCE_JOB_BACKOFF_MS },
          removeOnComplete: FINISHED_JOBS_KEPT,
          removeOnFail: FINISHED_JOBS_KEPT,
        },
      },
    );
  }
}
