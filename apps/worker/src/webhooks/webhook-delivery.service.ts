import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectConfig, KEYRING, type ProcoConfig } from '@proco/config';
import { type JobPayloads, WEBHOOK_JOB_OPTIONS, WEBHOOKS_QUEUE, webhookDeliverJobId } from '@proco/jobs';
import { type Keyring, openSecret } from '@proco/keys';
import { PrismaService } from '@proco/persistence';
import {
  createSystemLookup,
  type LookupHost,
  resolveWebhookTarget,
  WEBHOOK_SECRET_PURPOSE,
  WEBHOOK_SIGNATURE_HEADER,
  webhookRetryDelayMs,
  webhookSignatureHeaderOf,
} from '@proco/webhooks';
import { type Queue } from 'bullmq';
import { describeError, sendWebhook, type SendWebhookResult } from './webhook-http.client';

/** A job may run this much before the delivery's `next_attempt_at` (timer and clock skew). */
const DUE_TOLERANCE_MS = 1_000;
/** Lease of an attempt beyond its DNS and HTTP timeouts: time to record the outcome. */
const LEASE_MARGIN_MS = 10_000;
const USER_AGENT = 'Proco-Webhooks/1';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What one `webhooks.deliver` job did, stored as its return value. */
export interface WebhookAttemptOutcome {
  /** `skipped`: nothing was due (delivered, already claimed, not yet due, endpoint disabled or gone). */
  readonly outcome: 'skipped' | 'delivered' | 'retrying' | 'failed';
  readonly attempt?: number;
  readonly statusCode?: number | null;
}

interface ClaimedDelivery {
  readonly id: string;
  readonly org_id: string;
  readonly endpoint_id: string;
  readonly event_id: string;
  readonly event_type: string;
  readonly payload: unknown;
  readonly attempts: number;
  readonly attempts_left: number;
  readonly url: string;
  readonly secret_ciphertext: Uint8Array;
  readonly secret_data_key_ciphertext: Uint8Array;
  readonly secret_kek_id: string;
  readonly previous_secret_ciphertext: Uint8Array | null;
  readonly previous_secret_data_key_ciphertext: Uint8Array | null;
  readonly previous_secret_kek_id: string | null;
  readonly previous_secret_active: boolean;
}

/**
 * One delivery attempt: claim the delivery (a lease, one attempt counted), sign the body with the
 * endpoint's secret(s), check the URL's addresses again and POST to a checked one, then record the
 * attempt and either finish the delivery or schedule its next attempt with exponential backoff.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);
  private readonly lookup: LookupHost;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(KEYRING) private readonly keyring: Keyring,
    @InjectConfig() private readonly config: ProcoConfig,
    @InjectQueue(WEBHOOKS_QUEUE) private readonly queue: Queue<JobPayloads['webhooks.deliver']>,
  ) {
    this.lookup = createSystemLookup({ timeoutMs: config.webhooks.timeoutMs });
  }

  async attempt(deliveryId: string): Promise<WebhookAttemptOutcome> {
    // Job payloads come from Redis: a malformed id is nothing to deliver, not a failed job to retry.
    if (!UUID_PATTERN.test(deliveryId)) return { outcome: 'skipped' };
    const claimed = await this.claim(deliveryId);
    if (claimed === undefined) return { outcome: 'skipped' };
    const startedAt = new Date();
    const started = performance.now();
    const result = await this.send(claimed);
    const durationMs = Math.max(0, Math.round(performance.now() - started));
    // A status outside HTTP's range (a broken server) is recorded as an error, not as a code.
    const statusCode =
      result.kind === 'response' && result.statusCode >= 100 && result.statusCode <= 599
        ? result.statusCode
        : null;
    const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const error =
      result.kind === 'error'
        ? result.error
        : delivered
          ? null
          : `the receiver answered ${statusCode ?? `an invalid status (${result.statusCode})`}`;
    const outcome = delivered ? 'delivered' : claimed.attempts_left > 0 ? 'retrying' : 'failed';
    const delayMs =
      outcome === 'retrying'
        ? webhookRetryDelayMs({
            attempt: claimed.attempts,
            baseDelayMs: this.config.webhooks.retryBaseMs,
            random: Math.random(),
          })
        : 0;
    const recorded = await this.record({
      claimed,
      outcome,
      startedAt,
      durationMs,
      statusCode,
      error,
      delayMs,
    });
    const log = {
      deliveryId,
      endpointId: claimed.endpoint_id,
      attempt: claimed.attempts,
      statusCode,
      durationMs,
    };
    if (!recorded) {
      this.logger.warn(log, 'webhook attempt not recorded: the delivery changed or was deleted meanwhile');
      return { outcome: 'skipped' };
    }
    if (outcome === 'retrying') {
      await this.enqueueRetry({ deliveryId, attempt: claimed.attempts + 1, delayMs });
    }
    this.logger.debug({ ...log, outcome, error }, 'webhook attempt');
    if (outcome === 'failed') this.logger.warn({ ...log, error }, 'webhook delivery failed for good');
    return { outcome, attempt: claimed.attempts, statusCode };
  }

  /**
   * Takes the delivery if it is pending, due, has attempts left, is not leased, and its endpoint is
   * active (a disabled endpoint's deliveries wait for it). Counting the attempt at claim time keeps
   * attempts bounded even if the process dies mid-attempt.
   */
  private async claim(deliveryId: string): Promise<ClaimedDelivery | undefined> {
    const leaseMs = 2 * this.config.webhooks.timeoutMs + LEASE_MARGIN_MS;
    const [row] = await this.prisma.$queryRaw<ClaimedDelivery[]>`
      UPDATE "webhook_deliveries" AS d
         SET "locked_until" = now() + ${leaseMs} * interval '1 millisecond',
             "attempts" = d."attempts" + 1, "attempts_left" = d."attempts_left" - 1, "updated_at" = now()
        FROM "webhook_endpoints" AS e
       WHERE d."id" = ${deliveryId}::uuid AND e."id" = d."endpoint_id" AND e."status" = 'active'
         AND d."status" = 'pending' AND d."attempts_left" > 0
         AND d."next_attempt_at" <= now() + ${DUE_TOLERANCE_MS} * interval '1 millisecond'
         AND (d."locked_until" IS NULL OR d."locked_until" < now())
      RETURNING d."id"::text AS id, d."org_id"::text AS org_id, d."endpoint_id"::text AS endpoint_id,
                d."event_id", d."event_type", d."payload", d."attempts", d."attempts_left", e."url",
                e."secret_ciphertext", e."secret_data_key_ciphertext", e."secret_kek_id",
                e."previous_secret_ciphertext", e."previous_secret_data_key_ciphertext",
                e."previous_secret_kek_id",
                COALESCE(e."previous_secret_expires_at" > now(), false) AS previous_secret_active`;
    return row;
  }

  private async send(claimed: ClaimedDelivery): Promise<SendWebhookResult> {
    try {
      // DNS is asked again on every attempt and every answer checked: an address allowed at
      // registration may have been swapped for an internal one since (DNS rebinding).
      const target = await resolveWebhookTarget({
        url: claimed.url,
        lookup: this.lookup,
        allowHttp: this.config.environment !== 'production',
        allowPrivateHosts: this.config.webhooks.allowPrivateHosts,
      });
      if (!target.ok) return { kind: 'error', error: `${target.reason}: ${target.message}` };
      const body = JSON.stringify(claimed.payload);
      const signature = webhookSignatureHeaderOf({
        secrets: this.secretsOf(claimed),
        timestampSeconds: Math.floor(Date.now() / 1_000),
        body,
      });
      return await sendWebhook({
        url: target.url,
        address: target.addresses[0]!,
        body,
        timeoutMs: this.config.webhooks.timeoutMs,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': USER_AGENT,
          [WEBHOOK_SIGNATURE_HEADER]: signature,
          'Proco-Event-Id': claimed.event_id,
          'Proco-Event-Type': claimed.event_type,
          'Proco-Delivery-Id': claimed.id,
        },
      });
    } catch (error: unknown) {
      // A secret that cannot be opened (a master key missing from this worker) is an attempt that
      // failed like any other; the error names the cause, never key material.
      return { kind: 'error', error: describeError(error) };
    }
  }

  /** The current secret, then the previous one while it still signs (a rotation in progress). */
  private secretsOf(claimed: ClaimedDelivery): string[] {
    const scope = { orgId: claimed.org_id, id: claimed.endpoint_id };
    const open = (ciphertext: Uint8Array, dataKeyCiphertext: Uint8Array, kekId: string): string => {
      const plaintext = openSecret({
        keyring: this.keyring,
        purpose: WEBHOOK_SECRET_PURPOSE,
        scope,
        sealed: {
          ciphertext: Uint8Array.from(ciphertext),
          dataKeyCiphertext: Uint8Array.from(dataKeyCiphertext),
          kekId,
        },
      });
      try {
        return plaintext.toString('utf8');
      } finally {
        plaintext.fill(0);
      }
    };
    const secrets = [
      open(claimed.secret_ciphertext, claimed.secret_data_key_ciphertext, claimed.secret_kek_id),
    ];
    if (
      claimed.previous_secret_active &&
      claimed.previous_secret_ciphertext !== null &&
      claimed.previous_secret_data_key_ciphertext !== null &&
      claimed.previous_secret_kek_id !== null
    ) {
      secrets.push(
        open(
          claimed.previous_secret_ciphertext,
          claimed.previous_secret_data_key_ciphertext,
          claimed.previous_secret_kek_id,
        ),
      );
    }
    return secrets;
  }

  /**
   * Records the attempt and the delivery's new state in one transaction, only if the delivery is
   * still the one claimed (same attempt count); false when it changed or was deleted meanwhile.
   */
  private async record(params: {
    claimed: ClaimedDelivery;
    outcome: 'delivered' | 'retrying' | 'failed';
    startedAt: Date;
    durationMs: number;
    statusCode: number | null;
    error: string | null;
    delayMs: number;
  }): Promise<boolean> {
    const { claimed, outcome } = params;
    const status = outcome === 'retrying' ? 'pending' : outcome;
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.$executeRaw`
        UPDATE "webhook_deliveries"
           SET "status" = ${status}::"webhook_delivery_status",
               "next_attempt_at" = CASE WHEN ${status} = 'pending'
                                        THEN now() + ${params.delayMs} * interval '1 millisecond' END,
               "delivered_at" = CASE WHEN ${status} = 'delivered' THEN now() END,
               "locked_until" = NULL, "last_status_code" = ${params.statusCode}::int,
               "last_error" = ${params.error}, "updated_at" = now()
         WHERE "id" = ${claimed.id}::uuid AND "attempts" = ${claimed.attempts}::int AND "status" = 'pending'`;
      if (updated === 0) return false;
      await tx.webhookAttempt.create({
        data: {
          deliveryId: claimed.id,
          attempt: claimed.attempts,
          startedAt: params.startedAt,
          durationMs: params.durationMs,
          statusCode: params.statusCode,
          error: params.error,
        },
      });
      return true;
    });
  }

  // A lost enqueue delays the retry and never drops it: the dispatcher's sweep queues due deliveries.
  private async enqueueRetry(params: {
    deliveryId: string;
    attempt: number;
    delayMs: number;
  }): Promise<void> {
    try {
      await this.queue.add(
        'webhooks.deliver',
        { deliveryId: params.deliveryId },
        {
          ...WEBHOOK_JOB_OPTIONS,
          backoff: { ...WEBHOOK_JOB_OPTIONS.backoff },
          jobId: webhookDeliverJobId({ deliveryId: params.deliveryId, attempt: params.attempt }),
          delay: params.delayMs,
        },
      );
    } catch (error: unknown) {
      this.logger.warn(
        { deliveryId: params.deliveryId, err: { message: describeError(error) } },
        'webhook retry not enqueued; the sweep will pick it up',
      );
    }
  }
}
