import { Processor, WorkerHost } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown } from '@nestjs/common';
import { type JobItem, WEBHOOKS_QUEUE } from '@proco/jobs';
import { type Job } from 'bullmq';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookDispatchService } from './webhook-dispatch.service';

/**
 * Attempts in flight at once per worker process. Each waits at most on one receiver (bounded by
 * the webhook timeout), so a few slow receivers cannot stall everyone else's deliveries.
 */
export const WEBHOOK_WORKER_CONCURRENCY = 16;

/**
 * The one BullMQ worker of the webhooks queue, routing each job by name: `webhooks.dispatch`
 * (turn new audit events into deliveries, sweep the outbox) and `webhooks.deliver` (one attempt).
 * Retrying either is safe: dispatch inserts with ON CONFLICT DO NOTHING under a cursor lock, and
 * an attempt first claims its delivery with a conditional update, so a duplicate job finds
 * nothing due and does nothing.
 */
@Processor(WEBHOOKS_QUEUE, { concurrency: WEBHOOK_WORKER_CONCURRENCY })
export class WebhooksProcessor extends WorkerHost implements BeforeApplicationShutdown {
  constructor(
    private readonly dispatcher: WebhookDispatchService,
    private readonly deliveries: WebhookDeliveryService,
  ) {
    super();
  }

  /** Stops taking jobs and waits for running ones before Prisma disconnects. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  async process(job: Job): Promise<unknown> {
    const item = { name: job.name, data: job.data as unknown } as JobItem;
    switch (item.name) {
      case 'webhooks.dispatch':
        return this.dispatcher.dispatch();
      case 'webhooks.deliver':
        return this.deliveries.attempt(item.data.deliveryId);
      default:
        throw new Error(`Unknown webhook job ${job.name}.`);
    }
  }
}
