// The port the payments and settlement services use to reserve and resolve holds. Declared here,
// by its consumers; libs/persistence implements it on PostgreSQL.
import type { BudgetCheck, RateLimitCheck, Standings } from './budget-check';
import type { Hold } from './hold';

/** Parameters of `HoldStore.reserve`. */
export interface ReserveParams {
  /** Client-generated hold id (a UUID), so a retried reserve names the same hold. */
  readonly holdId: string;
  readonly orgId: string;
  readonly agentId: string;
  /** The payment the hold is for (a UUID); one hold per payment. */
  readonly paymentId: string;
  readonly network: string;
  /** Lowercase 0x address of the token. */
  readonly asset: string;
  readonly amountAtomic: bigint;
  /**
   * Becomes the hold's `createdAt`, the instant windows count it from, and the instant windows end
   * at. `null` (what production passes): the store's own clock, read once it holds its locks, so
   * every process agrees on windows whatever its own clock says, and a hold that waited for another
   * is never stamped before it. A `Date` is used as is (tests simulate time with it).
   */
  readonly now: Date | null;
  /** The authorization's validBefore: after it the unsettled hold may expire. */
  readonly expiresAt: Date;
  /** Every budget the payment counts against, all for the hold's network and asset. */
  readonly checks: readonly BudgetCheck[];
  readonly rateLimits: readonly RateLimitCheck[];
}

/** The result of `HoldStore.reserve`. */
export type ReserveResult =
  | {
      readonly ok: true;
      /** The hold as stored: its `createdAt` is the instant the store stamped, whatever `now` was. */
      readonly hold: Hold;
      /**
       * Standings with this hold included. For a replay (`replayed: true`) they are read now and
       * `usedAtomic`/`usedCount` already contain the replayed hold.
       */
      readonly standings: Standings;
      /** True when a hold for this payment already existed with the same fields and was returned. */
      readonly replayed: boolean;
    }
  | {
      readonly ok: false;
      readonly reason: 'budget_exceeded';
      readonly failedKey: string;
      readonly limitAtomic: bigint;
      /** What the budget had used when the reserve was refused; used + amount > limit. */
      readonly usedAtomic: bigint;
      readonly standings: Standings;
    }
  | {
      readonly ok: false;
      readonly reason: 'rate_limit_exceeded';
      readonly failedKey: string;
      readonly maxPayments: number;
      readonly usedCount: number;
      readonly standings: Standings;
    };

/** Parameters of `HoldStore.post`. */
export interface PostParams {
  readonly holdId: string;
  /** What settlement moved: 0 < amount <= held (partial for `upto`). */
  readonly amountAtomic: bigint;
  readonly now: Date;
}

/** Parameters of `HoldStore.void`. */
export interface VoidParams {
  readonly holdId: string;
  readonly now: Date;
  /** Stable snake_case cause, e.g. `settlement_failed`. */
  readonly reason: string;
}

/** Why a post or void changed nothing. */
export type HoldTransitionRejection = 'hold_not_found' | 'hold_not_pending' | 'post_exceeds_hold';

/** The result of `HoldStore.post` and `HoldStore.void`. */
export type HoldTransitionResult =
  | { readonly changed: true; readonly hold: Hold }
  | {
      readonly changed: false;
      readonly rejection: HoldTransitionRejection;
      /** The hold as it is now; null when it does not exist. */
      readonly hold: Hold | null;
    };

/** Parameters of `HoldStore.expireDue`. */
export interface ExpireDueParams {
  /** Holds whose `expiresAt <= now` are due; `null`: the store's own clock. */
  readonly now: Date | null;
  /** Most holds to expire in this call (bounded by `EXPIRE_BATCH_SIZE_MAX`). */
  readonly limit: number;
}

/** The result of `HoldStore.expireDue`. */
export interface ExpireDueResult {
  /** The holds this call expired; a hold appears in exactly one call's result. */
  readonly expired: readonly Hold[];
}

/** Parameters of `HoldStore.usage`. */
export interface UsageParams {
  readonly orgId: string;
  readonly agentId: string;
  readonly checks: readonly BudgetCheck[];
  readonly rateLimits: readonly RateLimitCheck[];
  /** The instant windows end at; `null`: the store's own clock. */
  readonly now: Date | null;
}

/**
 * Durable holds and the budgets they count against.
 *
 * Locking and atomicity contract (every implementation must keep it):
 * - `reserve` is linearizable per org: checking every budget and rate limit and inserting the hold
 *   happen as one atomic step with respect to every other `reserve` of the same org, so the sum of
 *   pending plus posted holds in any budget's window never exceeds its limit (invariant 1), at any
 *   concurrency and across any number of processes. It reads nothing on one round trip to decide
 *   on another: no read-then-write. A refused reserve writes nothing.
 * - Clock: with `now: null` the hold is stamped, and windows measured, by one clock every process
 *   shares, read inside that atomic step; so a reserve ordered after another of the same org or
 *   agent is never stamped before it. Holds stamped after a window's end (a clock running ahead)
 *   still count in it: counting them can only deny, never overspend.
 * - No false denials: a refusal means the failing check had no room at the instant of the atomic
 *   step. Checks run rate limits first, then budgets, each in the given order; the first failure is
 *   reported and the standings of all checks are returned.
 * - Idempotency: `holdId` and `paymentId` are unique. A reserve repeating an existing hold's fields
 *   (same hold id, payment, org, agent, network, asset, amount) returns that hold with
 *   `replayed: true` and reserves nothing; different fields throw `HoldConflictError`
 *   (`hold_conflict`). Checks are not re-run for a replay.
 * - `post`, `void` and `expireDue` are single conditional writes on `status = 'pending'`: a hold
 *   resolves at most once whatever the concurrency (invariant 2); the losers get
 *   `changed: false` with `hold_not_pending`, never an error. `posted <= held` is enforced by the
 *   write's condition and again by the storage's own constraint.
 * - Every change appends its audit event in the same transaction as the change itself.
 * - Transient conflicts (deadlock, serialization failure) are retried a bounded number of times
 *   inside the implementation; all operations are safe to retry by the caller with the same input.
 * - `usage` reads committed data without locks; it is a snapshot for dry runs and explanations,
 *   never a basis for a later write.
 */
export interface HoldStore {
  /**
   * Reserves `amountAtomic` for a payment if every budget and rate limit has room.
   * @throws ReserveParamsInvalidError (`reserve_params_invalid`), HoldConflictError (`hold_conflict`).
   */
  reserve(params: ReserveParams): Promise<ReserveResult>;
  /** Posts a pending hold; `changed: false` with `hold_not_found`, `hold_not_pending` or `post_exceeds_hold`. */
  post(params: PostParams): Promise<HoldTransitionResult>;
  /** Voids a pending hold; `changed: false` with `hold_not_found` or `hold_not_pending`. */
  void(params: VoidParams): Promise<HoldTransitionResult>;
  /** Expires up to `limit` pending holds whose `expiresAt <= now`. */
  expireDue(params: ExpireDueParams): Promise<ExpireDueResult>;
  /** Where every check stands now, as a reserve of a zero-amount payment would see it. */
  usage(params: UsageParams): Promise<Standings>;
}
