/**
 * Retry and retention settings of the jobs, as plain values: this library imports no queue
 * client, and BullMQ accepts these objects as job options as they are.
 */

/** Attempts of a maintenance job: a failed run is retried, a few times, not forever. */
export const MAINTENANCE_JOB_ATTEMPTS = 3;
/** The first retry delay of a maintenance job; it doubles on each further attempt. */
export const MAINTENANCE_JOB_BACKOFF_MS = 5_000;
/** Finished jobs kept for inspection, per outcome, bounded so Redis does not grow without limit. */
export const FINISHED_JOBS_KEPT = 100;

/** The subset of BullMQ job options Proco sets. */
export interface ProcoJobOptions {
  readonly attempts: number;
  readonly backoff: { readonly type: 'exponential' | 'fixed'; readonly delay: number };
  /** Completed jobs kept, or `true` to remove a job as soon as it completes. */
  readonly removeOnComplete: number | true;
  readonly removeOnFail: number;
}

/** The options of every maintenance job: bounded exponential retries, bounded retention. */
export const MAINTENANCE_JOB_OPTIONS: ProcoJobOptions = Object.freeze({
  attempts: MAINTENANCE_JOB_ATTEMPTS,
  backoff: Object.freeze({ type: 'exponential' as const, delay: MAINTENANCE_JOB_BACKOFF_MS }),
  removeOnComplete: FINISHED_JOBS_KEPT,
  removeOnFail: FINISHED_JOBS_KEPT,
});

/** Attempts of a settlement job before the sweeper has to pick its work up again. */
export const SETTLEMENT_JOB_ATTEMPTS = 8;
/** The first retry delay of a settlement job; it doubles on each further attempt (about 4 minutes in all). */
export const SETTLEMENT_JOB_BACKOFF_MS = 1_000;

/**
 * The options of every settlement job: bounded exponential retries. A finished job is removed at
 * once, so its id (one per relayer transaction, or per asset and batch window) can be enqueued
 * again by the sweeper; failures are kept, bounded, for inspection.
 */
export const SETTLEMENT_JOB_OPTIONS: ProcoJobOptions = Object.freeze({
  attempts: SETTLEMENT_JOB_ATTEMPTS,
  backoff: Object.freeze({ type: 'exponential' as const, delay: SETTLEMENT_JOB_BACKOFF_MS }),
  removeOnComplete: true,
  removeOnFail: FINISHED_JOBS_KEPT,
});

/**
 * Attempts of a webhook job. A failed HTTP attempt is not a failed job (the delivery records it
 * and schedules its own retry); a job fails only when PostgreSQL or Redis does, and the outbox
 * sweep recovers anything these retries do not.
 */
export const WEBHOOK_JOB_ATTEMPTS = 3;
/** The first retry delay of a failed webhook job; it doubles on each further attempt. */
export const WEBHOOK_JOB_BACKOFF_MS = 1_000;

/** The options of every webhook job: bounded retries, ids freed on completion, failures kept bounded. */
export const WEBHOOK_JOB_OPTIONS: ProcoJobOptions = Object.freeze({
  attempts: WEBHOOK_JOB_ATTEMPTS,
  backoff: Object.freeze({ type: 'exponential' as const, delay: WEBHOOK_JOB_BACKOFF_MS }),
  removeOnComplete: true,
  removeOnFail: FINISHED_JOBS_KEPT,
});
