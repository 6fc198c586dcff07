import { Injectable, Logger } from '@nestjs/common';
import { type JobOf } from '@proco/jobs';
import { AuditLogRepository } from '@proco/persistence';
import { type Job } from 'bullmq';

/** Broken chains listed in one outcome; the count beyond it is still reported. */
export const BROKEN_CHAINS_REPORTED_MAX = 100;

/** One chain that failed verification. */
export interface BrokenAuditChain {
  readonly chain: string;
  readonly brokenAtSequence: string;
  readonly reason: string;
}

/** What one verification run found, stored as the job's return value. */
export interface AuditVerificationOutcome {
  readonly ok: boolean;
  readonly chains: number;
  readonly events: number;
  readonly brokenChains: number;
  readonly broken: readonly BrokenAuditChain[];
}

/**
 * Re-verifies every org's audit hash chain on a schedule, so tampering is noticed even when
 * nobody asks. Retrying is safe: verification only reads. `MaintenanceProcessor` routes
 * `audit.verify-chain` jobs here.
 */
@Injectable()
export class AuditVerificationProcessor {
  private readonly logger = new Logger(AuditVerificationProcessor.name);

  constructor(private readonly audit: AuditLogRepository) {}

  async process(job: Job<JobOf<'audit.verify-chain'>>): Promise<AuditVerificationOutcome> {
    let chains = 0;
    let events = 0;
    let brokenChains = 0;
    const broken: BrokenAuditChain[] = [];
    for await (const page of this.audit.listChains()) {
      for (const chain of page) {
        chains += 1;
        const result = await this.audit.verifyChain(chain);
        if (result.ok) {
          events += result.count;
          continue;
        }
        brokenChains += 1;
        if (broken.length < BROKEN_CHAINS_REPORTED_MAX) {
          broken.push({ chain, brokenAtSequence: result.brokenAtSequence.toString(), reason: result.reason });
        }
      }
    }
    const outcome: AuditVerificationOutcome = {
      ok: brokenChains === 0,
      chains,
      events,
      brokenChains,
      broken,
    };
    if (outcome.ok) {
      this.logger.log({ jobId: job.id, chains, events }, 'audit chains verified');
    } else {
      this.logger.error({ jobId: job.id, chains, brokenChains, broken }, 'audit chain broken');
    }
    return outcome;
  }
}
