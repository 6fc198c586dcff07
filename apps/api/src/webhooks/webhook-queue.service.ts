import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { type JobPayloads, WEBHOOK_JOB_OPTIONS, WEBHOOKS_QUEUE, webhookDeliverJobId } from '@proco/jobs';
import { type Queue } from 'bullmq';

/** Enqueues delivery attempts the API asked for (redeliveries and test events). */
@Injectable()
export class WebhookQueueService {
  private readonly logger = new Logger(WebhookQueueService.name);

  constructor(@InjectQueue(WEBHOOKS_QUEUE) private readonly queue: Queue<JobPayloads['webhooks.deliver']>) {}

  /**
   * Queues attempt `attempt` of a delivery. A failure to enqueue loses nothing: the delivery row is
   * the outbox, and the worker's sweep queues pending deliveries that are due and have no job.
   */
  async enqueue(params: { deliveryId: string; attempt: number }): Promise<void> {
    try {
      await this.queue.add(
        'webhooks.deliver',
        { deliveryId: params.deliveryId },
        {
          ...WEBHOOK_JOB_OPTIONS,
          backoff: { ...WEBHOOK_JOB_OPTIONS.backoff },
          jobId: webhookDeliverJobId(params),
        },
      );
    } catch (error: unknown) {
      this.logger.warn(
        {
          deliveryId: params.deliveryId,
          err: { message: error instanceof Error ? error.message : String(error) },
        },
        'webhook delivery not enqueued; the sweep will pick it up',
      );
    }
  }
}
