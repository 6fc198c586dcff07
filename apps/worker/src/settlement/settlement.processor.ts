import { Processor, WorkerHost } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown } from '@nestjs/common';
import { type JobItem, SETTLEMENT_QUEUE } from '@proco/jobs';
import { type Job } from 'bullmq';
import { type ConfirmOutcome, SettlementConfirmService } from './settlement-confirm.service';
import { type SubmitOutcome, SettlementSubmitService } from './settlement-submit.service';

/** Settlement jobs one worker process runs at once (confirmations mostly wait on the chain). */
export const SETTLEMENT_CONCURRENCY = 8;

/** The BullMQ worker of the settlement queue, routing each job by name. */
@Processor(SETTLEMENT_QUEUE, { concurrency: SETTLEMENT_CONCURRENCY })
export class SettlementProcessor extends WorkerHost implements BeforeApplicationShutdown {
  constructor(
    private readonly submitter: SettlementSubmitService,
    private readonly confirmer: SettlementConfirmService,
  ) {
    super();
  }

  /** Stops taking jobs and waits for the running ones before Prisma disconnects. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  async process(job: Job): Promise<SubmitOutcome | ConfirmOutcome> {
    const item = { name: job.name, data: job.data as unknown } as JobItem;
    switch (item.name) {
      case 'settlement.submit':
        return this.submitter.submit(item.data);
      case 'settlement.confirm':
        return this.confirmer.confirm(item.data);
      default:
        throw new Error(`Unknown settlement job ${job.name}.`);
    }
  }
}
