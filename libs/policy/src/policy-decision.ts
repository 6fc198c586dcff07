import type { BudgetWindow } from './policy-document.schema';
import type { PolicyDenyReason, PolicyHoldReason, PolicyReason } from './policy-reasons';

/**
 * Which policy a rule comes from. It is also the scope of the spend its budgets and rate limits
 * count: an org-level budget counts every agent's payments, an agent-level one that agent's only.
 */
export type PolicyLevel = 'org' | 'agent';

/** The rule kinds, named like the policy document's fields. */
export type PolicyRuleKind =
  | 'networks'
  | 'assets'
  | 'payees'
  | 'hosts'
  | 'paths'
  | 'methods'
  | 'maxPerPayment'
  | 'maxPerPaymentUsd'
  | 'priceCeilings'
  | 'activeHours'
  | 'rateLimits'
  | 'budgets'
  | 'approvalThreshold';

/**
 * The rule that decided. `index` is the position of the entry in its array (the matching deny
 * entry, the exceeded budget, …), or `null` when no single entry is to blame (an allow list that
 * nothing matched, outside every active-hours window, a single-valued USD rule).
 */
export interface PolicyRuleRef {
  readonly level: PolicyLevel;
  readonly kind: PolicyRuleKind;
  readonly id?: string;
  readonly index: number | null;
}

/** One failing rule; a decision reports the one whose reason has the highest precedence. */
export interface PolicyFinding {
  readonly reason: PolicyReason;
  readonly rule: PolicyRuleRef;
}

/** A budget the payment counts against, with its standing. */
export interface BudgetStanding {
  /** The ledger's counter key (`budgetKey`). */
  readonly key: string;
  readonly level: PolicyLevel;
  readonly budgetId: string;
  readonly network: string;
  readonly asset: string;
  readonly window: BudgetWindow;
  readonly limitAtomic: bigint;
  /** Pending plus posted holds in the window before this payment. */
  readonly usedAtomic: bigint;
  /** After this payment when it is allowed, before it otherwise; never negative. */
  readonly remainingAtomic: bigint;
}

/** A rate limit the payment counts against, with its standing. */
export interface RateLimitStanding {
  /** The ledger's counter key (`rateLimitKey`). */
  readonly key: string;
  readonly level: PolicyLevel;
  readonly rateLimitId: string;
  readonly windowSeconds: number;
  readonly maxPayments: number;
  /** Payments (pending plus posted holds) in the window before this payment. */
  readonly usedCount: number;
  /** After this payment when it is allowed, before it otherwise; never negative. */
  readonly remainingCount: number;
}

interface PolicyDecisionBase {
  /** Every budget the payment touches, org level first, in document order; also on deny. */
  readonly budgets: readonly BudgetStanding[];
  /** Every rate limit the payment counts against, org level first, in document order. */
  readonly rateLimits: readonly RateLimitStanding[];
  /** Every failing rule, in precedence order; the first one decided. Empty on allow. */
  readonly findings: readonly PolicyFinding[];
}

/** The outcome of `evaluatePolicy`: allow, deny with a reason, or hold for an operator's approval. */
export type PolicyDecision =
  | (PolicyDecisionBase & { readonly outcome: 'allow'; readonly reason: null; readonly rule: null })
  | (PolicyDecisionBase & {
      readonly outcome: 'deny';
      readonly reason: PolicyDenyReason;
      readonly rule: PolicyRuleRef;
    })
  | (PolicyDecisionBase & {
      readonly outcome: 'hold_for_approval';
      readonly reason: PolicyHoldReason;
      readonly rule: PolicyRuleRef;
    });

/** What the ledger holds for the usage snapshot: spend and payment counts per counter key. */
export interface UsageSnapshot {
  /** Pending plus posted holds in each budget's window, by `budgetKey`; a missing key is 0. */
  readonly usedAtomicByBudgetKey: Readonly<Record<string, bigint>>;
  /** Pending plus posted payments in each rate limit's window, by `rateLimitKey`; missing is 0. */
  readonly paymentCountByRateLimitKey: Readonly<Record<string, number>>;
}
