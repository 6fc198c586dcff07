import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type JobPayloads, WEBHOOKS_QUEUE } from '@proco/jobs';
import { type Queue } from 'bullmq';
import { JobScheduleKeeper } from '../job-schedules';

/**
 * How often new audit events are turned into deliveries: the longest an event waits before its
 * first attempt is queued, when the queue is not backed up.
 */
export const WEBHOOK_DISPATCH_INTERVAL_MS = 2_000;
/** Failed dispatch runs kept for inspection (a failed run is simply followed by the next one). */
const FAILED_DISPATCH_RUNS_KEPT = 100;

/**
 * Registers the repeating `webhooks.dispatch` job on the webhooks queue (not the maintenance
 * queue, whose long audit verification would hold it up), and again whenever Redis lost it.
 * Idempotent across replicas.
 */
@Injectable()
export class WebhookScheduleService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly keeper: JobScheduleKeeper;

  constructor(@InjectQueue(WEBHOOKS_QUEUE) queue: Queue<JobPayloads['webhooks.dispatch']>) {
    this.keeper = new JobScheduleKeeper(queue, [
      {
        name: 'webhooks.dispatch',
        everyMs: WEBHOOK_DISPATCH_INTERVAL_MS,
        // One attempt: the next run, two seconds later, is the retry.
        options: { attempts: 1, removeOnComplete: true, removeOnFail: FAILED_DISPATCH_RUNS_KEPT },
      },
    ]);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.keeper.start();
  }

  onApplicationShutdown(): void {
    this.keeper.stop();
  }
}
