/**
 * The typed job map shared by producers and processors: one queue per concern, one payload type
 * per job name. Payloads carry ids only, never key material.
 */
export const MAINTENANCE_QUEUE = 'maintenance';

export interface JobPayloads {
  'audit.verify-chain': { readonly requestedBy: 'schedule' | 'operator' };
  'holds.expire-due': { readonly requestedBy: 'schedule' | 'operator' };
  'payments.fail-stuck': { readonly requestedBy: 'schedule' | 'operator' };
}

export type JobName = keyof JobPayloads;

/** One job of the map: its name and payload, discriminated by name. */
export type JobItem = {
  [Name in JobName]: { readonly name: Name; readonly data: JobPayloads[Name] };
}[JobName];

/** The payload type of one job name. */
export type JobOf<Name extends JobName> = JobPayloads[Name];

/** Attempts and backoff for maintenance jobs: a failed run is retried, a few times, not forever. */
export const MAINTENANCE_JOB_ATTEMPTS = 3;
export const MAINTENANCE_JOB_BACKOFF_MS = 5_000;
/** Finished jobs kept for inspection, bounded so Redis does not grow without limit. */
export const FINISHED_JOBS_KEPT = 100;
