import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type AuditActor, AuditLogRepository, PrismaService, type Transaction } from '@proco/persistence';
import { mintWebhookSecret } from '@proco/webhooks';
import { type OperatorPrincipal } from '../auth/principal';
import { WebhookSecretsService } from './webhook-secrets.service';
import { WebhookUrlPolicyService } from './webhook-url-policy.service';
import { toWebhookEndpointView, urlOriginOf, type WebhookEndpointRow } from './webhook-views';
import {
  type CreatedWebhookEndpointView,
  type CreateWebhook,
  type RotatedWebhookSecretView,
  type RotateWebhookSecret,
  type UpdateWebhook,
  type WebhookEndpointView,
} from './webhooks.dto';
import { WebhookEndpointLimitReachedError, WebhookEndpointNotFoundError } from './webhooks.errors';

/** Endpoints one org may register. */
export const WEBHOOK_ENDPOINTS_PER_ORG_MAX = 20;
/** First key of the advisory lock that serialises endpoint creation per org (the second is the org). */
export const WEBHOOK_ENDPOINTS_LOCK_CLASS = 0x77686b73; // "whks"

const AUDIT_SUBJECT_TYPE = 'webhook_endpoint';

/**
 * Operators' webhook endpoints: register (the signing secret is shown once), list, change,
 * disable, delete and rotate the secret. Every query is scoped to the caller's org, and every
 * change is audited as a `webhook.*` action, which is never itself delivered.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    private readonly secrets: WebhookSecretsService,
    private readonly urlPolicy: WebhookUrlPolicyService,
  ) {}

  /**
   * Registers an endpoint; it receives the events recorded after this call.
   * Errors: `webhook_url_refused`, `webhook_endpoint_limit_reached`.
   */
  async create(
    operator: OperatorPrincipal,
    input: CreateWebhook,
    requestId?: string,
  ): Promise<CreatedWebhookEndpointView> {
    await this.urlPolicy.assertAllowed(input.url);
    const id = randomUUID();
    const secret = mintWebhookSecret();
    const sealed = this.secrets.seal({ orgId: operator.orgId, endpointId: id, secret });
    const created = await this.prisma.$transaction(async (tx) => {
      // Counting and inserting under one lock per org keeps the limit exact under concurrency.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${WEBHOOK_ENDPOINTS_LOCK_CLASS}::int, hashtext(${operator.orgId}))`;
      const existing = await tx.webhookEndpoint.count({ where: { orgId: operator.orgId } });
      if (existing >= WEBHOOK_ENDPOINTS_PER_ORG_MAX) {
        throw new WebhookEndpointLimitReachedError(WEBHOOK_ENDPOINTS_PER_ORG_MAX);
      }
      // The endpoint starts after its own creation event: it receives what happens from now on.
      const event = await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: actorOf(operator),
        action: 'webhook.created',
        subject: { type: AUDIT_SUBJECT_TYPE, id },
        data: { urlOrigin: urlOriginOf(input.url), events: input.events },
        requestId,
      });
      return tx.webhookEndpoint.create({
        data: {
          id,
          orgId: operator.orgId,
          url: input.url,
          description: input.description ?? null,
          eventTypes: input.events,
          secretCiphertext: new Uint8Array(sealed.ciphertext),
          secretDataKeyCiphertext: new Uint8Array(sealed.dataKeyCiphertext),
          secretKekId: sealed.kekId,
          startSequence: event.sequence,
        },
      });
    });
    return { ...toWebhookEndpointView(created), secret };
  }

  async list(operator: OperatorPrincipal): Promise<{ items: WebhookEndpointView[] }> {
    const rows = await this.prisma.webhookEndpoint.findMany({
      where: { orgId: operator.orgId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: WEBHOOK_ENDPOINTS_PER_ORG_MAX,
    });
    return { items: rows.map(toWebhookEndpointView) };
  }

  /** Errors: `webhook_endpoint_not_found` (also for another org's endpoint). */
  async find(operator: OperatorPrincipal, id: string): Promise<WebhookEndpointView> {
    return toWebhookEndpointView(await this.findRow(this.prisma, operator, id));
  }

  /** Errors: `webhook_endpoint_not_found`, `webhook_url_refused`. */
  async update(
    operator: OperatorPrincipal,
    id: string,
    input: UpdateWebhook,
    requestId?: string,
  ): Promise<WebhookEndpointView> {
    if (input.url !== undefined) await this.urlPolicy.assertAllowed(input.url);
    const updated = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.webhookEndpoint.updateMany({
        where: { id, orgId: operator.orgId },
        data: {
          ...(input.url === undefined ? {} : { url: input.url }),
          ...(input.events === undefined ? {} : { eventTypes: input.events }),
          ...(input.description === undefined ? {} : { description: input.description }),
          ...(input.enabled === undefined ? {} : { status: input.enabled ? 'active' : 'disabled' }),
        },
      });
      if (count === 0) throw new WebhookEndpointNotFoundError(id);
      await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: actorOf(operator),
        action: 'webhook.updated',
        subject: { type: AUDIT_SUBJECT_TYPE, id },
        data: {
          ...(input.url === undefined ? {} : { urlOrigin: urlOriginOf(input.url) }),
          ...(input.events === undefined ? {} : { events: input.events }),
          ...(input.description === undefined ? {} : { descriptionChanged: true }),
          ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
        },
        requestId,
      });
      return this.findRow(tx, operator, id);
    });
    return toWebhookEndpointView(updated);
  }

  /** Deletes an endpoint with its deliveries. Errors: `webhook_endpoint_not_found`. */
  async remove(operator: OperatorPrincipal, id: string, requestId?: string): Promise<WebhookEndpointView> {
    const removed = await this.prisma.$transaction(async (tx) => {
      const row = await this.findRow(tx, operator, id);
      await tx.webhookEndpoint.delete({ where: { id } });
      await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: actorOf(operator),
        action: 'webhook.deleted',
        subject: { type: AUDIT_SUBJECT_TYPE, id },
        data: { urlOrigin: urlOriginOf(row.url) },
        requestId,
      });
      return row;
    });
    return toWebhookEndpointView(removed);
  }

  /**
   * Starts signing with a fresh secret (shown once). The previous one keeps signing beside it for
   * `previousSecretLifetimeSeconds`, so receivers can switch without dropping a delivery; a secret
   * rotated out before that is dropped. Errors: `webhook_endpoint_not_found`.
   */
  async rotateSecret(
    operator: OperatorPrincipal,
    id: string,
    input: RotateWebhookSecret,
    requestId?: string,
  ): Promise<RotatedWebhookSecretView> {
    const secret = mintWebhookSecret();
    const sealed = this.secrets.seal({ orgId: operator.orgId, endpointId: id, secret });
    const rotated = await this.prisma.$transaction(async (tx) => {
      const [locked] = await tx.$queryRaw<{ id: string }[]>`
        SELECT "id"::text AS id FROM "webhook_endpoints"
         WHERE "id" = ${id}::uuid AND "org_id" = ${operator.orgId}::uuid FOR UPDATE`;
      if (locked === undefined) throw new WebhookEndpointNotFoundError(id);
      const row = await this.findRow(tx, operator, id);
      const keepPrevious = input.previousSecretLifetimeSeconds > 0;
      const previousSecretExpiresAt = keepPrevious
        ? new Date(Date.now() + input.previousSecretLifetimeSeconds * 1_000)
        : null;
      const updated = await tx.webhookEndpoint.update({
        where: { id },
        data: {
          secretCiphertext: new Uint8Array(sealed.ciphertext),
          secretDataKeyCiphertext: new Uint8Array(sealed.dataKeyCiphertext),
          secretKekId: sealed.kekId,
          previousSecretCiphertext: keepPrevious ? new Uint8Array(row.secretCiphertext) : null,
          previousSecretDataKeyCiphertext: keepPrevious ? new Uint8Array(row.secretDataKeyCiphertext) : null,
          previousSecretKekId: keepPrevious ? row.secretKekId : null,
          previousSecretExpiresAt,
        },
      });
      await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: actorOf(operator),
        action: 'webhook.secret_rotated',
        subject: { type: AUDIT_SUBJECT_TYPE, id },
        data: { previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? null },
        requestId,
      });
      return updated;
    });
    return { id, secret, previousSecretExpiresAt: rotated.previousSecretExpiresAt?.toISOString() ?? null };
  }

  private async findRow(
    client: Transaction | PrismaService,
    operator: OperatorPrincipal,
    id: string,
  ): Promise<WebhookEndpointRow> {
    const row = await client.webhookEndpoint.findFirst({ where: { id, orgId: operator.orgId } });
    if (row === null) throw new WebhookEndpointNotFoundError(id);
    return row;
  }
}

function actorOf(operator: OperatorPrincipal): AuditActor {
  return { type: 'operator', id: operator.apiKeyId };
}
