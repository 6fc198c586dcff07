import { type Provider } from '@nestjs/common';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookDispatchService } from './webhook-dispatch.service';
import { WebhookScheduleService } from './webhook-schedule.service';
import { WebhooksProcessor } from './webhooks.processor';

/** Everything the worker needs for webhooks (the module registers the `webhooks` queue). */
export const WEBHOOK_WORKER_PROVIDERS: readonly Provider[] = [
  WebhookDispatchService,
  WebhookDeliveryService,
  WebhooksProcessor,
  WebhookScheduleService,
];
