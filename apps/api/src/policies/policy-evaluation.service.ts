import { Inject, Injectable } from '@nestjs/common';
import { type BudgetCheck, type HoldStore, type RateLimitCheck } from '@proco/ledger';
import {
  budgetChecksFor,
  evaluatePolicy,
  type PaymentRequest,
  type PolicyDecision,
  rateLimitChecksFor,
  type UsageSnapshot,
} from '@proco/policy';
import { HOLD_STORE } from './hold-store.provider';
import { PoliciesService } from './policies.service';

export interface EvaluatePaymentParams {
  readonly orgId: string;
  readonly agentId: string;
  readonly request: PaymentRequest;
  readonly now: Date;
}

/** A decision plus the checks the ledger must enforce atomically if the payment goes ahead. */
export interface EvaluatedPayment {
  readonly decision: PolicyDecision;
  readonly budgetChecks: readonly BudgetCheck[];
  readonly rateLimitChecks: readonly RateLimitCheck[];
}

/**
 * Evaluates the policies that apply to an agent (org default and its own) against current usage.
 * The decision is advisory until the hold is reserved: the reserve re-checks the same budgets and
 * rate limits atomically, so a race between two payments can never overspend.
 */
@Injectable()
export class PolicyEvaluationService {
  constructor(
    private readonly policies: PoliciesService,
    @Inject(HOLD_STORE) private readonly holds: HoldStore,
  ) {}

  async evaluate(params: EvaluatePaymentParams): Promise<EvaluatedPayment> {
    const documents = await this.policies.effectiveDocuments(params.orgId, params.agentId);
    const scope = { network: params.request.network, asset: params.request.asset.toLowerCase() };
    // The policy's keys name a check within one payment's context; the ledger's scope (org or
    // agent) decides whose holds count, so the same key means the same budget for every agent.
    const budgetChecks: BudgetCheck[] = budgetChecksFor({ ...documents, request: scope }).map((check) => ({
      key: check.key,
      scope: check.level,
      network: check.network,
      asset: check.asset.toLowerCase(),
      limitAtomic: check.limitAtomic,
      window: check.window,
    }));
    const rateLimitChecks: RateLimitCheck[] = rateLimitChecksFor(documents).map((check) => ({
      key: check.key,
      scope: check.level,
      maxPayments: check.maxPayments,
      windowSeconds: check.windowSeconds,
    }));
    const standings = await this.holds.usage({
      orgId: params.orgId,
      agentId: params.agentId,
      checks: budgetChecks,
      rateLimits: rateLimitChecks,
      now: params.now,
    });
    const usage: UsageSnapshot = {
      usedAtomicByBudgetKey: Object.fromEntries(
        standings.budgets.map((standing) => [standing.key, standing.usedAtomic]),
      ),
      paymentCountByRateLimitKey: Object.fromEntries(
        standings.rateLimits.map((standing) => [standing.key, standing.usedCount]),
      ),
    };
    const decision = evaluatePolicy({ ...documents, usage, request: params.request, now: params.now });
    return { decision, budgetChecks, rateLimitChecks };
  }
}
