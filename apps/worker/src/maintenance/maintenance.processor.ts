import { Processor, WorkerHost } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown } from '@nestjs/common';
import { type JobItem, MAINTENANCE_QUEUE } from '@proco/jobs';
import { type Job } from 'bullmq';
import { AuditVerificationProcessor } from './audit-verification.processor';
import { HoldExpiryProcessor } from './hold-expiry.processor';
import { HoldReconciliationProcessor } from './hold-reconciliation.processor';
import { SettlementSweepProcessor } from './settlement-sweep.processor';
import { StuckPaymentProcessor } from './stuck-payment.processor';

/**
 * The one BullMQ worker of the maintenance queue. A queue's worker takes every job on it whatever
 * its name, so one host routes each job by name to its processor; two hosts on one queue would
 * each take the other's jobs.
 */
@Processor(MAINTENANCE_QUEUE, { concurrency: 1 })
export class MaintenanceProcessor extends WorkerHost implements BeforeApplicationShutdown {
  constructor(
    private readonly auditVerification: AuditVerificationProcessor,
    private readonly holdExpiry: HoldExpiryProcessor,
    private readonly stuckPayments: StuckPaymentProcessor,
    private readonly settlementSweep: SettlementSweepProcessor,
    private readonly holdReconciliation: HoldReconciliationProcessor,
  ) {
    super();
  }

  /**
   * Stops taking jobs and waits for the running one before modules are destroyed: Prisma
   * disconnects in `onModuleDestroy`, which runs before BullMQ's own shutdown hook.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  async process(job: Job): Promise<unknown> {
    const item = { name: job.name, data: job.data as unknown } as JobItem;
    switch (item.name) {
      case 'audit.verify-chain':
        return this.auditVerification.process(job as Job<typeof item.data>);
      case 'holds.expire-due':
        // The chain first: a due hold whose authorization was used (by any facilitator) is posted,
        // not released; only what is still unused expires.
        await this.holdReconciliation.reconcile({ minAgeMs: 0, dueOnly: true });
        return this.holdExpiry.process(job as Job<typeof item.data>);
      case 'payments.fail-stuck':
        return this.stuckPayments.process(job as Job<typeof item.data>);
      case 'holds.reconcile':
        return this.holdReconciliation.process(job as Job<typeof item.data>);
      case 'settlements.sweep':
        return this.settlementSweep.process(job as Job<typeof item.data>);
      default:
        throw new Error(`Unknown maintenance job ${job.name}.`);
    }
  }
}
