import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { WEBHOOKS_QUEUE } from '@proco/jobs';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookQueueService } from './webhook-queue.service';
import { WebhookSecretsModule } from './webhook-secrets.module';
import { WebhookUrlPolicyService } from './webhook-url-policy.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Webhook endpoints and deliveries; the worker's `webhooks` queue sends them. */
@Module({
  imports: [WebhookSecretsModule, BullModule.registerQueue({ name: WEBHOOKS_QUEUE })],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookDeliveriesService, WebhookQueueService, WebhookUrlPolicyService],
})
export class WebhooksModule {}
