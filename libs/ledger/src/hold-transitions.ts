// Pure transition rules of a hold. The PostgreSQL store enforces the same rules with conditional
// statements and CHECK constraints; it calls these to explain why a conditional write changed nothing.
import type { Hold } from './hold';
import { HOLD_EXPIRED_REASON } from './hold';
import {
  HoldNotDueError,
  HoldNotPendingError,
  PostAmountNotPositiveError,
  PostExceedsHoldError,
  VoidReasonInvalidError,
} from './ledger.errors';
import { RESOLUTION_REASON_LENGTH_MAX } from './ledger.limits';

const REASON_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Parameters of `postHold`. */
export interface PostHoldParams {
  readonly hold: Hold;
  /** What settlement moved; at most the held amount (partial posts serve `upto` schemes). */
  readonly amountAtomic: bigint;
  readonly now: Date;
}

/**
 * Posts a pending hold for `amountAtomic`.
 * @throws HoldNotPendingError (`hold_not_pending`), PostAmountNotPositiveError
 *   (`post_amount_not_positive`), PostExceedsHoldError (`post_exceeds_hold`).
 */
export function postHold({ hold, amountAtomic, now }: PostHoldParams): Hold {
  assertPending(hold);
  if (amountAtomic <= 0n)
    throw new PostAmountNotPositiveError({ holdId: hold.id, postedAtomic: amountAtomic });
  if (amountAtomic > hold.amountAtomic) {
    throw new PostExceedsHoldError({
      holdId: hold.id,
      heldAtomic: hold.amountAtomic,
      postedAtomic: amountAtomic,
    });
  }
  return {
    ...hold,
    status: 'posted',
    postedAmountAtomic: amountAtomic,
    resolvedAt: now,
    resolutionReason: null,
  };
}

/** Parameters of `voidHold`. */
export interface VoidHoldParams {
  readonly hold: Hold;
  readonly now: Date;
  /** Stable snake_case cause, e.g. `settlement_failed`. */
  readonly reason: string;
}

/**
 * Voids a pending hold, releasing its budget.
 * @throws VoidReasonInvalidError (`void_reason_invalid`), HoldNotPendingError (`hold_not_pending`).
 */
export function voidHold({ hold, now, reason }: VoidHoldParams): Hold {
  assertVoidReason(reason);
  assertPending(hold);
  return { ...hold, status: 'voided', resolvedAt: now, resolutionReason: reason };
}

/** Parameters of `expireHold`. */
export interface ExpireHoldParams {
  readonly hold: Hold;
  readonly now: Date;
}

/**
 * Expires a pending hold whose `expiresAt` has passed, releasing its budget.
 * @throws HoldNotPendingError (`hold_not_pending`), HoldNotDueError (`hold_not_due`).
 */
export function expireHold({ hold, now }: ExpireHoldParams): Hold {
  assertPending(hold);
  if (now.getTime() < hold.expiresAt.getTime()) {
    throw new HoldNotDueError({ holdId: hold.id, expiresAt: hold.expiresAt });
  }
  return { ...hold, status: 'expired', resolvedAt: now, resolutionReason: HOLD_EXPIRED_REASON };
}

/** Whether a pending hold may expire at `now`. */
export function isHoldDue({ hold, now }: ExpireHoldParams): boolean {
  return hold.status === 'pending' && hold.expiresAt.getTime() <= now.getTime();
}

function assertPending(hold: Hold): void {
  if (hold.status !== 'pending') throw new HoldNotPendingError({ holdId: hold.id, status: hold.status });
}

/**
 * Checks a void reason is a snake_case code of bounded length (it is stored and audited).
 * @throws VoidReasonInvalidError (`void_reason_invalid`).
 */
export function assertVoidReason(reason: string): string {
  if (reason.length > RESOLUTION_REASON_LENGTH_MAX || !REASON_PATTERN.test(reason)) {
    throw new VoidReasonInvalidError({ lengthMax: RESOLUTION_REASON_LENGTH_MAX });
  }
  return reason;
}
