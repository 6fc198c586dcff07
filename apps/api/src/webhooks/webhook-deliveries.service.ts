import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditLogRepository, type Prisma, PrismaService, type Transaction } from '@proco/persistence';
import { WEBHOOK_DELIVERY_ATTEMPTS_MAX, WEBHOOK_TEST_EVENT_TYPE, webhookPayloadOf } from '@proco/webhooks';
import { type OperatorPrincipal } from '../auth/principal';
import { cursorOf, type Page, pageOf, pastCursor } from '../common/pagination';
import { WebhookQueueService } from './webhook-queue.service';
import { DELIVERY_WITH_ATTEMPTS, toWebhookDeliveryView } from './webhook-views';
import { type ListWebhookDeliveriesQuery, type WebhookDeliveryView } from './webhooks.dto';
import {
  WebhookDeliveryInProgressError,
  WebhookDeliveryNotFoundError,
  WebhookEndpointNotFoundError,
} from './webhooks.errors';

const AUDIT_SUBJECT_TYPE = 'webhook_delivery';

/**
 * An endpoint's deliveries and their attempts, newest first; redelivery of one, and test events.
 * Every query is scoped to the caller's org and to the endpoint named in the path.
 */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    private readonly queue: WebhookQueueService,
  ) {}

  /** Errors: `webhook_endpoint_not_found`, `validation_failed` (a malformed cursor). */
  async list(
    operator: OperatorPrincipal,
    endpointId: string,
    query: ListWebhookDeliveriesQuery,
  ): Promise<Page<WebhookDeliveryView>> {
    const cursor = cursorOf(query.cursor);
    await this.assertEndpoint(this.prisma, operator, endpointId);
    const rows = await this.prisma.webhookDelivery.findMany({
      where: {
        endpointId,
        orgId: operator.orgId,
        ...(query.status === undefined ? {} : { status: query.status }),
        ...pastCursor(cursor, 'desc'),
      },
      include: DELIVERY_WITH_ATTEMPTS,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    return pageOf(rows, query.limit, toWebhookDeliveryView);
  }

  /** Errors: `webhook_endpoint_not_found`, `webhook_delivery_not_found`. */
  async find(
    operator: OperatorPrincipal,
    endpointId: string,
    deliveryId: string,
  ): Promise<WebhookDeliveryView> {
    await this.assertEndpoint(this.prisma, operator, endpointId);
    const row = await this.prisma.webhookDelivery.findFirst({
      where: { id: deliveryId, endpointId, orgId: operator.orgId },
      include: DELIVERY_WITH_ATTEMPTS,
    });
    if (row === null) throw new WebhookDeliveryNotFoundError(deliveryId);
    return toWebhookDeliveryView(row);
  }

  /**
   * Sends a delivery again, whatever its state, with a fresh round of attempts; the event keeps
   * its id, so receivers that drop duplicates drop it.
   * Errors: `webhook_endpoint_not_found`, `webhook_delivery_not_found`, `webhook_delivery_in_progress`.
   */
  async redeliver(
    operator: OperatorPrincipal,
    endpointId: string,
    deliveryId: string,
    requestId?: string,
  ): Promise<WebhookDeliveryView> {
    const attempts = await this.prisma.$transaction(async (tx) => {
      await this.assertEndpoint(tx, operator, endpointId);
      // Conditional on no attempt being in flight, so a redelivery never races a running attempt.
      const [row] = await tx.$queryRaw<{ attempts: number }[]>`
        UPDATE "webhook_deliveries"
           SET "status" = 'pending', "attempts_left" = ${WEBHOOK_DELIVERY_ATTEMPTS_MAX},
               "next_attempt_at" = now(), "delivered_at" = NULL, "updated_at" = now()
         WHERE "id" = ${deliveryId}::uuid AND "endpoint_id" = ${endpointId}::uuid
           AND "org_id" = ${operator.orgId}::uuid
           AND ("locked_until" IS NULL OR "locked_until" < now())
        RETURNING "attempts"`;
      if (row === undefined) {
        const exists = await tx.webhookDelivery.count({
          where: { id: deliveryId, endpointId, orgId: operator.orgId },
        });
        throw exists === 0
          ? new WebhookDeliveryNotFoundError(deliveryId)
          : new WebhookDeliveryInProgressError(deliveryId);
      }
      await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: { type: 'operator', id: operator.apiKeyId },
        action: 'webhook.redelivery_requested',
        subject: { type: AUDIT_SUBJECT_TYPE, id: deliveryId },
        data: { endpointId },
        requestId,
      });
      return row.attempts;
    });
    await this.queue.enqueue({ deliveryId, attempt: attempts + 1 });
    return this.find(operator, endpointId, deliveryId);
  }

  /**
   * Queues a `webhook.test` event for the endpoint (whatever it subscribes to), to check a receiver
   * and its signature verification. Errors: `webhook_endpoint_not_found`.
   */
  async sendTest(
    operator: OperatorPrincipal,
    endpointId: string,
    requestId?: string,
  ): Promise<WebhookDeliveryView> {
    const deliveryId = randomUUID();
    await this.prisma.$transaction(async (tx) => {
      await this.assertEndpoint(tx, operator, endpointId);
      const now = new Date();
      const eventId = `evt_test_${randomUUID().replace(/-/g, '')}`;
      await tx.webhookDelivery.create({
        data: {
          id: deliveryId,
          endpointId,
          orgId: operator.orgId,
          eventId,
          eventType: WEBHOOK_TEST_EVENT_TYPE,
          // Plain JSON values only (strings), so the cast to Prisma's JSON input type is exact.
          payload: webhookPayloadOf({
            eventId,
            type: WEBHOOK_TEST_EVENT_TYPE,
            occurredAt: now,
            orgId: operator.orgId,
            data: { endpointId },
          }) as unknown as Prisma.InputJsonValue,
          attemptsLeft: WEBHOOK_DELIVERY_ATTEMPTS_MAX,
          nextAttemptAt: now,
        },
      });
      await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: { type: 'operator', id: operator.apiKeyId },
        action: 'webhook.test_requested',
        subject: { type: AUDIT_SUBJECT_TYPE, id: deliveryId },
        data: { endpointId, eventId },
        requestId,
      });
    });
    await this.queue.enqueue({ deliveryId, attempt: 1 });
    return this.find(operator, endpointId, deliveryId);
  }

  private async assertEndpoint(
    client: Transaction | PrismaService,
    operator: OperatorPrincipal,
    endpointId: string,
  ): Promise<void> {
    const count = await client.webhookEndpoint.count({ where: { id: endpointId, orgId: operator.orgId } });
    if (count === 0) throw new WebhookEndpointNotFoundError(endpointId);
  }
}
