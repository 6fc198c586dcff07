import { Inject, Injectable } from '@nestjs/common';
import { type BudgetCheck, type HoldStore, type RateLimitCheck, type Standings } from '@proco/ledger';
import {
  budgetChecksFor,
  evaluatePolicy,
  type PaymentRequest,
  type PolicyDecision,
  type PolicyDocument,
  rateLimitChecksFor,
  type UsageSnapshot,
} from '@proco/policy';
import { type PolicyVersions } from '@proco/persistence';
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

  /**
   * Evaluates under the current documents (read now, and remembered for the purchase path) and the
   * usage the ledger reports now; `versions` names the documents, for the database to confirm.
   */
  async evaluate(params: EvaluatePaymentParams): Promise<EvaluatedPayment & { versions: PolicyVersions }> {
    const { documents, versions } = await this.policies.effectivePolicies(params.orgId, params.agentId, true);
    const checks = checksFor({ documents, request: params.request });
    const standings = await this.holds.usage({
      orgId: params.orgId,
      agentId: params.agentId,
      checks: checks.budgetChecks,
      rateLimits: checks.rateLimitChecks,
      now: params.now,
    });
    return { ...decide({ documents, request: params.request, now: params.now, standings }), versions };
  }
}

/** Parameters of `decide`. */
export interface DecideParams {
  readonly documents: EffectiveDocuments;
  readonly request: PaymentRequest;
  readonly now: Date;
  /**
   * Where the payment's budgets and rate limits stand, before it. Null evaluates as if nothing
   * had been spent: an optimistic decision in which only rules that need no usage can deny, for
   * a caller whose atomic reserve then enforces the budgets (`PaymentStore.begin`).
   */
  readonly standings: Standings | null;
}

/** The policy documents that apply to one agent. */
export type EffectiveDocuments = { readonly org?: PolicyDocument; readonly agent?: PolicyDocument };

/** The checks the ledger must enforce for a request under these documents. Pure. */
export function checksFor(params: { documents: EffectiveDocuments; request: PaymentRequest }): {
  budgetChecks: BudgetCheck[];
  rateLimitChecks: RateLimitCheck[];
} {
  const { documents, request } = params;
  const scope = { network: request.network, asset: request.asset.toLowerCase() };
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
  return { budgetChecks, rateLimitChecks };
}

/** A decision from documents and standings, with the checks a reserve must enforce. Pure. */
export function decide(params: DecideParams): EvaluatedPayment {
  const { documents, request, standings } = params;
  const usage: UsageSnapshot = {
    usedAtomicByBudgetKey: Object.fromEntries(
      (standings?.budgets ?? []).map((standing) => [standing.key, standing.usedAtomic]),
    ),
    paymentCountByRateLimitKey: Object.fromEntries(
      (standings?.rateLimits ?? []).map((standing) => [standing.key, standing.usedCount]),
    ),
  };
  const decision = evaluatePolicy({ ...documents, usage, request, now: params.now });
  return { decision, ...checksFor({ documents, request }) };
}
