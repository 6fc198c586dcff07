// What a reserve must check atomically: budgets (money per window) and rate limits (payments per
// window), each scoped to the whole org or to one agent. The caller (policy) builds them; the store
// enforces them in one statement and reports a standing per key.

const MILLISECONDS_PER_SECOND = 1000;

/** Which holds a check counts: every agent's in the org, or the paying agent's only. */
export type CheckScope = 'org' | 'agent';

/** How far back a budget counts: a rolling window of any length, or the whole lifetime. */
export type BudgetWindow =
  { readonly kind: 'rolling'; readonly durationSeconds: number } | { readonly kind: 'lifetime' };

/** A budget the reserve must respect: pending plus posted holds in the window stay <= limit. */
export interface BudgetCheck {
  /** Deterministic, built by the caller, e.g. `org:<orgId>:<budgetId>`; names the check in results. */
  readonly key: string;
  readonly scope: CheckScope;
  /** CAIP-2 network id, e.g. `eip155:8453`. */
  readonly network: string;
  /** Lowercase 0x address of the token. */
  readonly asset: string;
  readonly limitAtomic: bigint;
  readonly window: BudgetWindow;
}

/** A rate limit the reserve must respect: pending plus posted payments in the window stay <= max. */
export interface RateLimitCheck {
  readonly key: string;
  readonly scope: CheckScope;
  readonly maxPayments: number;
  readonly windowSeconds: number;
}

/** Parameters of `windowStartOf`. */
export interface WindowStartOfParams {
  readonly window: BudgetWindow;
  readonly now: Date;
}

/**
 * The first instant a window counts: holds created at or after it belong to the window (so a hold
 * exactly `durationSeconds` old still counts, one millisecond older does not). `null` for a
 * lifetime window, which counts every hold. Holds created after `now` (another replica's clock
 * running ahead) also count: counting them can only deny, never overspend.
 */
export function windowStartOf({ window, now }: WindowStartOfParams): Date | null {
  if (window.kind === 'lifetime') return null;
  return new Date(now.getTime() - window.durationSeconds * MILLISECONDS_PER_SECOND);
}

/** Where one budget stands for one payment. */
export interface BudgetStanding {
  readonly key: string;
  readonly scope: CheckScope;
  readonly limitAtomic: bigint;
  /** Pending plus posted holds in the window before this payment's hold. */
  readonly usedAtomic: bigint;
  /** Room left after this payment's hold if it was reserved, else the room there was; never negative. */
  readonly remainingAtomic: bigint;
}

/** Where one rate limit stands for one payment. */
export interface RateLimitStanding {
  readonly key: string;
  readonly scope: CheckScope;
  readonly maxPayments: number;
  /** Pending plus posted payments in the window before this one. */
  readonly usedCount: number;
  /** Payments left after this one if it was reserved, else the room there was; never negative. */
  readonly remainingCount: number;
}

/** Standings of every check, in the order the checks were given. */
export interface Standings {
  readonly budgets: readonly BudgetStanding[];
  readonly rateLimits: readonly RateLimitStanding[];
}

/** Parameters of `budgetStandingOf`. */
export interface BudgetStandingOfParams {
  readonly check: BudgetCheck;
  readonly usedAtomic: bigint;
  /** The amount this standing includes: the hold's amount if reserved, 0 otherwise. */
  readonly addedAtomic: bigint;
}

/** The standing of a budget given its usage. */
export function budgetStandingOf({ check, usedAtomic, addedAtomic }: BudgetStandingOfParams): BudgetStanding {
  const remaining = check.limitAtomic - usedAtomic - addedAtomic;
  return {
    key: check.key,
    scope: check.scope,
    limitAtomic: check.limitAtomic,
    usedAtomic,
    remainingAtomic: remaining > 0n ? remaining : 0n,
  };
}

/** Parameters of `rateLimitStandingOf`. */
export interface RateLimitStandingOfParams {
  readonly check: RateLimitCheck;
  readonly usedCount: number;
  /** 1 if this standing includes the reserved payment, 0 otherwise. */
  readonly addedCount: 0 | 1;
}

/** The standing of a rate limit given its usage. */
export function rateLimitStandingOf({
  check,
  usedCount,
  addedCount,
}: RateLimitStandingOfParams): RateLimitStanding {
  return {
    key: check.key,
    scope: check.scope,
    maxPayments: check.maxPayments,
    usedCount,
    remainingCount: Math.max(0, check.maxPayments - usedCount - addedCount),
  };
}

/** Parameters of `hasRoom`. */
export interface HasRoomParams {
  readonly limitAtomic: bigint;
  readonly usedAtomic: bigint;
  readonly amountAtomic: bigint;
}

/** Whether a budget can take the amount: used + amount <= limit (invariant 1). */
export function hasRoom({ limitAtomic, usedAtomic, amountAtomic }: HasRoomParams): boolean {
  return usedAtomic + amountAtomic <= limitAtomic;
}
