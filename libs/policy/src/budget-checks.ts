import { addressesEqual } from './address.util';
import type { PolicyLevel } from './policy-decision';
import type { BudgetRule, BudgetWindow, PolicyDocument } from './policy-document.schema';

const MILLISECONDS_PER_SECOND = 1000;

/** Parameters of `budgetKey`. */
export interface BudgetKeyParams {
  readonly level: PolicyLevel;
  readonly budgetId: string;
}

/**
 * The counter key of a budget, shared by the engine's usage snapshot and the ledger store. The
 * store scopes it further by org (org level) or by agent (agent level).
 */
export function budgetKey({ level, budgetId }: BudgetKeyParams): string {
  return `${level}:budget:${budgetId}`;
}

/** Parameters of `rateLimitKey`. */
export interface RateLimitKeyParams {
  readonly level: PolicyLevel;
  readonly rateLimitId: string;
}

/** The counter key of a rate limit, scoped like `budgetKey`. */
export function rateLimitKey({ level, rateLimitId }: RateLimitKeyParams): string {
  return `${level}:rate_limit:${rateLimitId}`;
}

/** A budget limit the ledger store must enforce atomically when it reserves a hold. */
export interface BudgetCheck {
  readonly key: string;
  readonly level: PolicyLevel;
  readonly budgetId: string;
  readonly network: string;
  readonly asset: string;
  readonly limitAtomic: bigint;
  readonly window: BudgetWindow;
}

/** A rate limit the ledger store must enforce atomically when it reserves a hold. */
export interface RateLimitCheck {
  readonly key: string;
  readonly level: PolicyLevel;
  readonly rateLimitId: string;
  readonly maxPayments: number;
  readonly windowSeconds: number;
}

/** Parameters of `budgetChecksFor` and `rateLimitChecksFor`. */
export interface ChecksForParams {
  readonly org?: PolicyDocument | undefined;
  readonly agent?: PolicyDocument | undefined;
  /** Only the asset matters for budgets; rate limits count every payment. */
  readonly request: { readonly network: string; readonly asset: string };
}

/**
 * The budgets a payment in this asset counts against, org level first, in document order. The
 * ledger store enforces exactly these in its conditional reserve, so the pure evaluation and the
 * SQL agree on which limits exist.
 */
export function budgetChecksFor({ org, agent, request }: ChecksForParams): BudgetCheck[] {
  return levelsOf({ org, agent }).flatMap(({ level, document }) =>
    (document.budgets ?? [])
      .filter((budget) => budgetTouches({ budget, network: request.network, asset: request.asset }))
      .map((budget) => ({
        key: budgetKey({ level, budgetId: budget.id }),
        level,
        budgetId: budget.id,
        network: budget.asset.network,
        asset: budget.asset.asset,
        limitAtomic: BigInt(budget.limitAtomic),
        window: budget.window,
      })),
  );
}

/** The rate limits every payment counts against, org level first, in document order. */
export function rateLimitChecksFor({ org, agent }: Omit<ChecksForParams, 'request'>): RateLimitCheck[] {
  return levelsOf({ org, agent }).flatMap(({ level, document }) =>
    (document.rateLimits ?? []).map((rateLimit) => ({
      key: rateLimitKey({ level, rateLimitId: rateLimit.id }),
      level,
      rateLimitId: rateLimit.id,
      maxPayments: rateLimit.maxPayments,
      windowSeconds: rateLimit.windowSeconds,
    })),
  );
}

/** Parameters of `budgetTouches`. */
export interface BudgetTouchesParams {
  readonly budget: BudgetRule;
  readonly network: string;
  readonly asset: string;
}

/** Whether a payment in this asset counts against the budget. */
export function budgetTouches({ budget, network, asset }: BudgetTouchesParams): boolean {
  return budget.asset.network === network && addressesEqual({ left: budget.asset.asset, right: asset });
}

/** Parameters of `windowStart`. */
export interface WindowStartParams {
  readonly window: BudgetWindow;
  readonly now: Date;
}

/**
 * The first instant a window counts: holds created at or after it belong to the window. `null`
 * for a lifetime window, which counts every hold ever made.
 */
export function windowStart({ window, now }: WindowStartParams): Date | null {
  if (window.kind === 'lifetime') return null;
  return new Date(now.getTime() - window.durationSeconds * MILLISECONDS_PER_SECOND);
}

/** Parameters of `levelsOf`. */
export interface LevelsOfParams {
  readonly org?: PolicyDocument | undefined;
  readonly agent?: PolicyDocument | undefined;
}

/** The documents present, org level first: the order every result lists levels in. */
export function levelsOf({ org, agent }: LevelsOfParams): { level: PolicyLevel; document: PolicyDocument }[] {
  const levels: { level: PolicyLevel; document: PolicyDocument }[] = [];
  if (org !== undefined) levels.push({ level: 'org', document: org });
  if (agent !== undefined) levels.push({ level: 'agent', document: agent });
  return levels;
}
