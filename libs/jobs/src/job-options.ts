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
  readonly removeOnComplete: number;
  readonly removeOnFail: number;
}

/** The options of every maintenance job: bounded exponential retries, bounded retention. */
export const MAINTENANCE_JOB_OPTIONS: ProcoJobOptions = Object.freeze({
  attempts: MAINTENANCE_JOB_ATTEMPTS,
  backoff: Object.freeze({ type: 'exponential' as const, delay: MAINTENANCE_JOB_BACKOFF_MS }),
  removeOnComplete: FINISHED_JOBS_KEPT,
  removeOnFail: FINISHED_JOBS_KEPT,
});
