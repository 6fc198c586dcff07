import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import {
  type JobPayloads,
  SETTLEMENT_JOB_OPTIONS,
  SETTLEMENT_QUEUE,
  settlementSubmitJobId,
} from '@proco/jobs';
import { type SettlementRecord } from '@proco/persistence';
import { type Queue } from 'bullmq';

/**
 * The batch window a settlement queued at `nowMs` falls in: every settlement of one asset queued
 * in a window shares one submit job, so a batch waits `batchWaitMs` at most once.
 */
export function batchWindowOf(params: { batchWaitMs: number; nowMs: number }): number {
  return params.batchWaitMs === 0 ? params.nowMs : Math.floor(params.nowMs / params.batchWaitMs);
}

/** Hands queued settlements to the worker: one submit job per asset and batch window. */
@Injectable()
export class SettlementJobsService implements OnModuleInit {
  private readonly logger = new Logger(SettlementJobsService.name);

  constructor(
    @InjectQueue(SETTLEMENT_QUEUE) private readonly queue: Queue<JobPayloads['settlement.submit']>,
    @InjectConfig() private readonly config: ProcoConfig,
  ) {}

  /** Connection errors of the queue (Redis down) go to the log, redacted, not to stderr. */
  onModuleInit(): void {
    this.queue.on('error', (error: Error) =>
      this.logger.warn({ err: { message: error.message } }, 'settlement queue connection error'),
    );
  }

  /**
   * Enqueues the submit job of `settlement`'s batch, delayed by the batch wait. A failure loses
   * nothing (the row is the outbox, and the worker's sweep enqueues it), so it is logged, not thrown.
   */
  async enqueueSubmit(settlement: SettlementRecord): Promise<void> {
    const { batchWaitMs } = this.config.settlement;
    try {
      await this.queue.add(
        'settlement.submit',
        { network: settlement.network, asset: settlement.asset },
        {
          ...SETTLEMENT_JOB_OPTIONS,
          backoff: { ...SETTLEMENT_JOB_OPTIONS.backoff },
          jobId: settlementSubmitJobId({
            origin: 'settle',
            network: settlement.network,
            asset: settlement.asset,
            window: batchWindowOf({ batchWaitMs, nowMs: Date.now() }),
          }),
          delay: batchWaitMs,
        },
      );
    } catch (error: unknown) {
      this.logger.warn(
        {
          settlementId: settlement.id,
          err: { message: error instanceof Error ? error.message : String(error) },
        },
        'settlement not enqueued; the outbox sweep will pick it up',
      );
    }
  }
}
