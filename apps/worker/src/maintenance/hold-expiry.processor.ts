import { Inject, Injectable, Logger } from '@nestjs/common';
import { type JobOf } from '@proco/jobs';
import { type HoldStore } from '@proco/ledger';
import { type Job } from 'bullmq';
import { HOLD_STORE } from '../hold-store.provider';

/** Most holds one run expires; a backlog drains over the next runs (every 30 s). */
export const HOLD_EXPIRY_BATCH_SIZE = 500;

/** Parameters of `HoldExpiryProcessor.expireDue`. */
export interface ExpireDueHoldsParams {
  /** Null: the database's clock, the one holds are stamped with (tests pass a time to move it). */
  readonly now: Date | null;
  readonly limit: number;
}

/** What one run did, stored as the job's return value. */
export interface HoldExpiryOutcome {
  readonly expired: number;
  /** True when the batch was full, so more holds may be due. */
  readonly batchFull: boolean;
}

/**
 * Expires pending holds whose authorization's `validBefore` has passed with no settlement, which
 * releases their budget (`HoldStore.expireDue`, each with its `hold.expired` audit event).
 *
 * Retrying, or BullMQ running the job twice, is safe: expiring is one conditional update on
 * `status = 'pending'` per hold, so a hold expires once whatever the number of runs, and a second
 * run finds nothing left to expire (concurrent runs split the due holds with SKIP LOCKED).
 *
 * The payment of an expired hold stays `authorized`: its signature was handed out and can no
 * longer settle, but no payment state says "authorized and expired" yet; settlement and
 * reconciliation (the facilitator issue) own the payment's later states.
 */
@Injectable()
export class HoldExpiryProcessor {
  private readonly logger = new Logger(HoldExpiryProcessor.name);

  constructor(@Inject(HOLD_STORE) private readonly holds: HoldStore) {}

  async process(job: Job<JobOf<'holds.expire-due'>>): Promise<HoldExpiryOutcome> {
    const outcome = await this.expireDue({ now: null, limit: HOLD_EXPIRY_BATCH_SIZE });
    if (outcome.expired > 0) this.logger.log({ jobId: job.id, ...outcome }, 'holds expired');
    return outcome;
  }

  /** One bounded batch at `now`; the clock is a parameter so tests can move it. */
  async expireDue(params: ExpireDueHoldsParams): Promise<HoldExpiryOutcome> {
    const { expired } = await this.holds.expireDue(params);
    return { expired: expired.length, batchFull: expired.length >= params.limit };
  }
}
