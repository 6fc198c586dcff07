/**
 * Webhook events and how they come from the audit log. Every state change is already recorded
 * in `audit_events` in the transaction that makes it, so the audit chain of an org is its event
 * outbox: the dispatcher reads it in sequence order and maps the actions below to events.
 */

/** Every event type an endpoint can subscribe to. */
export const WEBHOOK_EVENT_TYPES = Object.freeze([
  'payment.signed',
  'payment.settled',
  'payment.failed',
  'approval.required',
  'hold.expired',
  'settlement.confirmed',
  'settlement.failed',
] as const);

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Subscribes an endpoint to every event type, present and future. */
export const WEBHOOK_ALL_EVENTS = '*';

/** The type of the event `POST /v1/webhooks/:id/test` sends; it is never subscribed to. */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';

/** True when `value` names an event type endpoints can subscribe to. */
export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** Whether an endpoint subscribed to `eventTypes` receives events of `type`. */
export function isSubscribed(params: {
  readonly eventTypes: readonly string[];
  readonly type: string;
}): boolean {
  return params.eventTypes.includes(WEBHOOK_ALL_EVENTS) || params.eventTypes.includes(params.type);
}

/** The parts of an audit event the mapping reads. */
export interface AuditEventForWebhook {
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
  /**
   * For `settlement.failed`: the id of this org's payment the failed authorization belongs to,
   * when there is one (the dispatcher looks it up); `null` when the settlement pays no payment
   * of this org.
   */
  readonly settlementPaymentId?: string | null;
}

/** A webhook event made from an audit event: its type and its `data` member. */
export interface MappedWebhookEvent {
  readonly type: WebhookEventType;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Audit actions whose events are about webhooks themselves; they are never delivered. */
const WEBHOOK_AUDIT_ACTION_PREFIX = 'webhook.';

/** The subject of an audit event as a `<type>Id` member (`paymentId`, `holdId`, …). */
function subjectMember(event: AuditEventForWebhook): Record<string, string> {
  if (event.subjectId === null || !/^[a-z][a-z_]*$/.test(event.subjectType)) return {};
  const camel = event.subjectType.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
  return { [`${camel}Id`]: event.subjectId };
}

/** The event's data: the audit record's fields plus its subject's id. */
const dataOf = (event: AuditEventForWebhook, extra: Record<string, unknown> = {}) => ({
  ...event.data,
  ...subjectMember(event),
  ...extra,
});

type Mapper = (event: AuditEventForWebhook) => MappedWebhookEvent | null;

/**
 * Audit action -> webhook event. An action missing here (agent or key changes, holds reserved or
 * voided, and every `webhook.*` action, so deliveries can never feed themselves) sends nothing.
 */
const MAPPERS: Readonly<Record<string, Mapper>> = Object.freeze({
  'payment.authorized': (event) => ({ type: 'payment.signed', data: dataOf(event) }),
  // Its audit record names the amount `amount`; events name every amount `amountAtomic`.
  'payment.held_for_approval': (event) => {
    const { amount, ...rest } = event.data;
    return {
      type: 'approval.required',
      data: dataOf({ ...event, data: rest }, amount === undefined ? {} : { amountAtomic: amount }),
    };
  },
  // The hold of a payment is posted when its authorization settled on chain.
  'hold.posted': (event) => ({ type: 'payment.settled', data: dataOf(event) }),
  'payment.failed': (event) => ({ type: 'payment.failed', data: dataOf(event) }),
  'hold.expired': (event) => ({ type: 'hold.expired', data: dataOf(event) }),
  'settlement.confirmed': (event) => ({ type: 'settlement.confirmed', data: dataOf(event) }),
  // A failed settlement of one of this org's own payments is that payment failing; a settlement
  // the org ran as a facilitator for someone else's payment is reported as itself.
  'settlement.failed': (event) =>
    typeof event.settlementPaymentId === 'string'
      ? {
          type: 'payment.failed',
          data: dataOf(event, { paymentId: event.settlementPaymentId, failure: 'settlement_failed' }),
        }
      : { type: 'settlement.failed', data: dataOf(event) },
});

/** The webhook event an audit event stands for, or `null` when it stands for none. */
export function webhookEventOf(event: AuditEventForWebhook): MappedWebhookEvent | null {
  if (event.action.startsWith(WEBHOOK_AUDIT_ACTION_PREFIX)) return null;
  const mapper = Object.hasOwn(MAPPERS, event.action) ? MAPPERS[event.action] : undefined;
  return mapper === undefined ? null : mapper(event);
}

/** The audit actions the dispatcher has to look at (a filter for its query). */
export const WEBHOOK_SOURCE_AUDIT_ACTIONS: readonly string[] = Object.freeze(Object.keys(MAPPERS));

/**
 * The id of the event made from one audit event: stable (the org's chain and the event's sequence),
 * so a receiver can use it to drop duplicates.
 */
export function webhookEventIdOf(params: { readonly orgId: string; readonly sequence: bigint }): string {
  return `evt_${params.orgId.replace(/-/g, '').toLowerCase()}_${params.sequence.toString()}`;
}

/** What a receiver gets as the request body (JSON). */
export interface WebhookPayload {
  readonly id: string;
  readonly type: string;
  /** When the change happened (the audit event's time), ISO 8601. */
  readonly createdAt: string;
  readonly orgId: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export function webhookPayloadOf(params: {
  readonly eventId: string;
  readonly type: string;
  readonly occurredAt: Date;
  readonly orgId: string;
  readonly data: Readonly<Record<string, unknown>>;
}): WebhookPayload {
  return {
    id: params.eventId,
    type: params.type,
    createdAt: params.occurredAt.toISOString(),
    orgId: params.orgId,
    data: params.data,
  };
}
