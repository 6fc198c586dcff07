import { type Prisma } from '@proco/persistence';
import { type WebhookAttemptView, type WebhookDeliveryView, type WebhookEndpointView } from './webhooks.dto';

/** Attempts shown per delivery: the latest ones (a delivery makes at most ten per round). */
export const WEBHOOK_ATTEMPTS_SHOWN_MAX = 20;

/** What a delivery view reads: the row and its latest attempts, newest first. */
export const DELIVERY_WITH_ATTEMPTS = {
  attemptsMade: { orderBy: { attempt: 'desc' }, take: WEBHOOK_ATTEMPTS_SHOWN_MAX },
} as const satisfies Prisma.WebhookDeliveryInclude;

export type WebhookEndpointRow = Prisma.WebhookEndpointGetPayload<object>;
export type WebhookDeliveryRow = Prisma.WebhookDeliveryGetPayload<{ include: typeof DELIVERY_WITH_ATTEMPTS }>;

/** An endpoint as the API shows it: never a secret or its ciphertext. */
export function toWebhookEndpointView(row: WebhookEndpointRow): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.eventTypes,
    status: row.status,
    previousSecretExpiresAt: row.previousSecretExpiresAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toWebhookDeliveryView(row: WebhookDeliveryRow): WebhookDeliveryView {
  const attemptLog: WebhookAttemptView[] = [...row.attemptsMade].reverse().map((attempt) => ({
    attempt: attempt.attempt,
    startedAt: attempt.startedAt.toISOString(),
    durationMs: attempt.durationMs,
    statusCode: attempt.statusCode,
    error: attempt.error,
  }));
  return {
    id: row.id,
    endpointId: row.endpointId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    attemptsLeft: row.attemptsLeft,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    payload: row.payload,
    attemptLog,
  };
}

/**
 * What the audit log keeps of an endpoint URL: its origin. The log is immutable and readable with
 * a read key, and receivers often put a token in the path or query of their URL, so the rest stays
 * out of it.
 */
export function urlOriginOf(url: string): string {
  return new URL(url).origin;
}
