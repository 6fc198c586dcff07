import { type PolicyDecision } from '@proco/policy';

/** A policy decision on the wire: amounts as decimal strings, every budget it touches included. */
export interface DecisionView {
  readonly outcome: PolicyDecision['outcome'];
  readonly reason: string | null;
  readonly rule: PolicyDecision['rule'];
  readonly budgets: readonly {
    readonly key: string;
    readonly level: 'org' | 'agent';
    readonly budgetId: string;
    readonly network: string;
    readonly asset: string;
    readonly window: PolicyDecision['budgets'][number]['window'];
    readonly limit: string;
    readonly used: string;
    readonly remaining: string;
  }[];
  readonly rateLimits: readonly {
    readonly key: string;
    readonly level: 'org' | 'agent';
    readonly rateLimitId: string;
    readonly windowSeconds: number;
    readonly maxPayments: number;
    readonly used: number;
    readonly remaining: number;
  }[];
}

export function toDecisionView(decision: PolicyDecision): DecisionView {
  return {
    outcome: decision.outcome,
    reason: decision.reason,
    rule: decision.rule,
    budgets: decision.budgets.map((budget) => ({
      key: budget.key,
      level: budget.level,
      budgetId: budget.budgetId,
      network: budget.network,
      asset: budget.asset,
      window: budget.window,
      limit: budget.limitAtomic.toString(),
      used: budget.usedAtomic.toString(),
      remaining: budget.remainingAtomic.toString(),
    })),
    rateLimits: decision.rateLimits.map((limit) => ({
      key: limit.key,
      level: limit.level,
      rateLimitId: limit.rateLimitId,
      windowSeconds: limit.windowSeconds,
      maxPayments: limit.maxPayments,
      used: limit.usedCount,
      remaining: limit.remainingCount,
    })),
  };
}
