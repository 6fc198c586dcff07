import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { type JobPayloads, WEBHOOKS_QUEUE } from '@proco/jobs';
import { type Queue } from 'bullmq';

/**
 * How often new audit events are turned into deliveries: the longest an event waits before its
 * first attempt is queued, when the queue is not backed up.
 */
export const WEBHOOK_DISPATCH_INTERVAL_MS = 2_000;
/** Failed dispatch runs kept for inspection (a failed run is simply followed by the next one). */
const FAILED_DISPATCH_RUNS_KEPT = 100;

/**
 * Registers the repeating `webhooks.dispatch` job on the webhooks queue (not the maintenance
 * queue, whose long audit verification would hold it up). Idempotent across replicas.
 */
@Injectable()
export class WebhookScheduleService implements OnApplicationBootstrap {
  constructor(@InjectQueue(WEBHOOKS_QUEUE) private readonly queue: Queue<JobPayloads['webhooks.dispatch']>) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      'webhooks.dispatch',
      { every: WEBHOOK_DISPATCH_INTERVAL_MS },
      {
        name: 'webhooks.dispatch',
        data: { requestedBy: 'schedule' },
        // One attempt: the next run, two seconds later, is the retry.
        opts: { attempts: 1, removeOnComplete: true, removeOnFail: FAILED_DISPATCH_RUNS_KEPT },
      },
    );
  }
}
