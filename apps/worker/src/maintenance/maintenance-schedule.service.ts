import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type JobName, type JobPayloads, MAINTENANCE_JOB_OPTIONS, MAINTENANCE_QUEUE } from '@proco/jobs';
import { type Queue } from 'bullmq';
import { JobScheduleKeeper } from '../job-schedules';

/** How often the audit chain is re-verified. */
export const AUDIT_VERIFICATION_INTERVAL_MS = 10 * 60 * 1_000;
/** How often due holds are expired (a hold outlives its validBefore by at most this much). */
export const HOLD_EXPIRY_INTERVAL_MS = 30 * 1_000;
/** How often payments stuck in `authorizing` are looked for. */
export const STUCK_PAYMENT_SWEEP_INTERVAL_MS = 30 * 1_000;

/** How often pending holds are checked against the chain (each run asks about the least recently checked). */
export const HOLD_RECONCILIATION_INTERVAL_MS = 30 * 1_000;
/** How often the settlement outbox is swept for work that has no live job. */
export const SETTLEMENT_SWEEP_INTERVAL_MS = 10 * 1_000;

/** Every repeating maintenance job: its name (also its scheduler id) and interval. */
export const MAINTENANCE_SCHEDULES: readonly { readonly name: JobName; readonly everyMs: number }[] = [
  { name: 'audit.verify-chain', everyMs: AUDIT_VERIFICATION_INTERVAL_MS },
  { name: 'holds.expire-due', everyMs: HOLD_EXPIRY_INTERVAL_MS },
  { name: 'payments.fail-stuck', everyMs: STUCK_PAYMENT_SWEEP_INTERVAL_MS },
  { name: 'holds.reconcile', everyMs: HOLD_RECONCILIATION_INTERVAL_MS },
  { name: 'settlements.sweep', everyMs: SETTLEMENT_SWEEP_INTERVAL_MS },
];

/**
 * Registers the repeating maintenance jobs, and registers them again whenever Redis lost them
 * (see `JobScheduleKeeper`). Idempotent, so every worker replica does the same.
 */
@Injectable()
export class MaintenanceScheduleService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly keeper: JobScheduleKeeper;

  constructor(@InjectQueue(MAINTENANCE_QUEUE) queue: Queue<JobPayloads[JobName]>) {
    this.keeper = new JobScheduleKeeper(
      queue,
      MAINTENANCE_SCHEDULES.map((schedule) => ({
        ...schedule,
        // A copy: the shared options are frozen, and BullMQ is free to extend what it is given.
        options: { ...MAINTENANCE_JOB_OPTIONS, backoff: { ...MAINTENANCE_JOB_OPTIONS.backoff } },
      })),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.keeper.start();
  }

  onApplicationShutdown(): void {
    this.keeper.stop();
  }
}
