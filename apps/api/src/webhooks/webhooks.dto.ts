import { WEBHOOK_ALL_EVENTS, WEBHOOK_EVENT_TYPES, WEBHOOK_URL_LENGTH_MAX } from '@proco/webhooks';
import { z } from 'zod';
import { PageQuerySchema } from '../common/pagination';
import { textSchema } from '../common/text.schema';

/** Descriptions; the column is VARCHAR(500). */
export const WEBHOOK_DESCRIPTION_LENGTH_MAX = 500;
/** How long a rotated-out secret keeps signing beside the new one unless told otherwise: a day. */
export const PREVIOUS_SECRET_LIFETIME_DEFAULT_SECONDS = 24 * 60 * 60;
/** The longest a rotated-out secret may keep signing: a week. */
export const PREVIOUS_SECRET_LIFETIME_MAX_SECONDS = 7 * 24 * 60 * 60;

const urlSchema = textSchema({ min: 1, max: WEBHOOK_URL_LENGTH_MAX });

/**
 * The event types an endpoint receives: names from the catalogue, or `*` for all. Duplicates are
 * dropped and `*` absorbs the rest, so what is stored is what will be delivered.
 */
const eventsSchema = z
  .array(z.enum([WEBHOOK_ALL_EVENTS, ...WEBHOOK_EVENT_TYPES]))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length + 1)
  .transform((events) =>
    events.includes(WEBHOOK_ALL_EVENTS) ? [WEBHOOK_ALL_EVENTS] : [...new Set(events)].sort(),
  );

export const CreateWebhookSchema = z.strictObject({
  url: urlSchema,
  events: eventsSchema.default([WEBHOOK_ALL_EVENTS]),
  description: textSchema({ min: 0, max: WEBHOOK_DESCRIPTION_LENGTH_MAX }).optional(),
});
export type CreateWebhook = z.output<typeof CreateWebhookSchema>;

export const UpdateWebhookSchema = z
  .strictObject({
    url: urlSchema.optional(),
    events: eventsSchema.optional(),
    /** `null` clears it. */
    description: textSchema({ min: 0, max: WEBHOOK_DESCRIPTION_LENGTH_MAX }).nullable().optional(),
    /** `false` disables the endpoint: its deliveries wait, and new events are not queued for it. */
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field to change' });
export type UpdateWebhook = z.output<typeof UpdateWebhookSchema>;

// A POST without a body arrives as `undefined`; it means "the defaults".
export const RotateWebhookSecretSchema = z.preprocess(
  (value) => value ?? {},
  z.strictObject({
    /** How long the previous secret keeps signing beside the new one; 0 retires it at once. */
    previousSecretLifetimeSeconds: z
      .number()
      .int()
      .min(0)
      .max(PREVIOUS_SECRET_LIFETIME_MAX_SECONDS)
      .default(PREVIOUS_SECRET_LIFETIME_DEFAULT_SECONDS),
  }),
);
export type RotateWebhookSecret = z.output<typeof RotateWebhookSecretSchema>;

export const ListWebhookDeliveriesQuerySchema = PageQuerySchema.extend({
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
});
export type ListWebhookDeliveriesQuery = z.output<typeof ListWebhookDeliveriesQuerySchema>;

/** An endpoint as listed: never its secret. */
export interface WebhookEndpointView {
  readonly id: string;
  readonly url: string;
  readonly description: string | null;
  /** Event types it receives; `["*"]` for all. */
  readonly events: readonly string[];
  readonly status: 'active' | 'disabled';
  /** Until when the secret before the last rotation still signs deliveries, if it does. */
  readonly previousSecretExpiresAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The answer to a creation: the only time the signing secret is shown. */
export interface CreatedWebhookEndpointView extends WebhookEndpointView {
  readonly secret: string;
}

/** The answer to a rotation: the new secret, shown this once. */
export interface RotatedWebhookSecretView {
  readonly id: string;
  readonly secret: string;
  readonly previousSecretExpiresAt: string | null;
}

/** One HTTP attempt of a delivery. */
export interface WebhookAttemptView {
  readonly attempt: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly statusCode: number | null;
  readonly error: string | null;
}

/** One event for one endpoint, with its attempts (the latest ones, oldest first). */
export interface WebhookDeliveryView {
  readonly id: string;
  readonly endpointId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly attemptsLeft: number;
  readonly nextAttemptAt: string | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
  /** The body as sent (each attempt signs it afresh with its own timestamp). */
  readonly payload: unknown;
  readonly attemptLog: readonly WebhookAttemptView[];
}
