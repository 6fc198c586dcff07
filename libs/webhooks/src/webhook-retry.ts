/**
 * Delivery attempts of one event before it is marked `failed` (an operator can still redeliver
 * it). With the default 30 s base the retries wait 30 s, then 1, 2, 4, 8, 16, 32 and 64 min, then
 * 2 h: about four hours from the first attempt to the last.
 */
export const WEBHOOK_DELIVERY_ATTEMPTS_MAX = 10;
/** The longest wait between two attempts. */
export const WEBHOOK_RETRY_DELAY_MAX_MS = 2 * 60 * 60 * 1_000;
/** Each wait is scaled by a random factor in [1 - this, 1 + this], so retries of many events spread out. */
export const WEBHOOK_RETRY_JITTER_RATIO = 0.1;

export interface WebhookRetryDelayParams {
  /** The attempt that just failed, from 1. */
  readonly attempt: number;
  /** The wait after the first failed attempt. */
  readonly baseDelayMs: number;
  /** A number in [0, 1) (`Math.random()`); a parameter so the schedule is testable. */
  readonly random: number;
}

/**
 * The wait before the next attempt: `base x 2^(attempt - 1)`, capped at two hours, with a little
 * jitter. Bounded whatever the inputs.
 */
export function webhookRetryDelayMs(params: WebhookRetryDelayParams): number {
  const attempt = Math.max(1, Math.min(Math.trunc(params.attempt), WEBHOOK_DELIVERY_ATTEMPTS_MAX));
  const exponential = Math.min(params.baseDelayMs * 2 ** (attempt - 1), WEBHOOK_RETRY_DELAY_MAX_MS);
  const random = Math.min(Math.max(params.random, 0), 1);
  const factor = 1 - WEBHOOK_RETRY_JITTER_RATIO + 2 * WEBHOOK_RETRY_JITTER_RATIO * random;
  return Math.max(0, Math.min(Math.round(exponential * factor), WEBHOOK_RETRY_DELAY_MAX_MS));
}
