// Leaf rules that read the usage snapshot: rate limits and budgets. They are the only stateful
// rules, so they come last in precedence; their standings are reported whatever the outcome.
import { budgetChecksFor, budgetKey, budgetTouches, rateLimitChecksFor, rateLimitKey } from './budget-checks';
import type { NormalizedPayment } from './payment-request';
import type {
  BudgetStanding,
  PolicyFinding,
  PolicyLevel,
  RateLimitStanding,
  UsageSnapshot,
} from './policy-decision';
import type { PolicyDocument } from './policy-document.schema';
import { UsageSnapshotInvalidError } from './policy.errors';

/** Parameters of `usageFindings`. */
export interface UsageFindingsParams {
  readonly level: PolicyLevel;
  readonly document: PolicyDocument;
  readonly payment: NormalizedPayment;
  readonly usage: UsageSnapshot;
}

/** Rate limits and budgets of one level that this payment would exceed. */
export function usageFindings({ level, document, payment, usage }: UsageFindingsParams): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const [index, rateLimit] of (document.rateLimits ?? []).entries()) {
    const used = paymentCountOf(usage, rateLimitKey({ level, rateLimitId: rateLimit.id }));
    if (used + 1 > rateLimit.maxPayments) {
      findings.push({
        reason: 'rate_limit_exceeded',
        rule: { level, kind: 'rateLimits', id: rateLimit.id, index },
      });
    }
  }
  for (const [index, budget] of (document.budgets ?? []).entries()) {
    if (!budgetTouches({ budget, network: payment.network, asset: payment.asset })) continue;
    const used = usedAtomicOf(usage, budgetKey({ level, budgetId: budget.id }));
    if (used + payment.amountAtomic > BigInt(budget.limitAtomic)) {
      findings.push({ reason: 'budget_exceeded', rule: { level, kind: 'budgets', id: budget.id, index } });
    }
  }
  return findings;
}

/** Parameters of `usageStandings`. */
export interface UsageStandingsParams {
  readonly org: PolicyDocument | undefined;
  readonly agent: PolicyDocument | undefined;
  readonly payment: NormalizedPayment;
  readonly usage: UsageSnapshot;
  /** Whether the payment is allowed, so that remaining amounts include it. */
  readonly allowed: boolean;
}

/** Standings of every budget and rate limit the payment counts against, org level first. */
export function usageStandings(params: UsageStandingsParams): {
  budgets: BudgetStanding[];
  rateLimits: RateLimitStanding[];
} {
  const { org, agent, payment, usage, allowed } = params;
  const spentAtomic = allowed ? payment.amountAtomic : 0n;
  const spentCount = allowed ? 1 : 0;
  const budgets = budgetChecksFor({ org, agent, request: payment }).map((check): BudgetStanding => {
    const usedAtomic = usedAtomicOf(usage, check.key);
    const remainingAtomic = check.limitAtomic - usedAtomic - spentAtomic;
    return { ...check, usedAtomic, remainingAtomic: remainingAtomic > 0n ? remainingAtomic : 0n };
  });
  const rateLimits = rateLimitChecksFor({ org, agent }).map((check): RateLimitStanding => {
    const usedCount = paymentCountOf(usage, check.key);
    return { ...check, usedCount, remainingCount: Math.max(0, check.maxPayments - usedCount - spentCount) };
  });
  return { budgets, rateLimits };
}

function usedAtomicOf(usage: UsageSnapshot, key: string): bigint {
  // Own properties only: a key must never resolve to something inherited from Object.prototype.
  const used = Object.hasOwn(usage.usedAtomicByBudgetKey, key) ? usage.usedAtomicByBudgetKey[key] : undefined;
  if (used === undefined) return 0n;
  if (typeof used !== 'bigint' || used < 0n) {
    throw new UsageSnapshotInvalidError({ key, detail: 'must be a non-negative bigint' });
  }
  return used;
}

function paymentCountOf(usage: UsageSnapshot, key: string): number {
  const count = Object.hasOwn(usage.paymentCountByRateLimitKey, key)
    ? usage.paymentCountByRateLimitKey[key]
    : undefined;
  if (count === undefined) return 0;
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new UsageSnapshotInvalidError({ key, detail: 'must be a non-negative integer' });
  }
  return count;
}
