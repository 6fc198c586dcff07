import type { HoldStatus } from './hold';

/** Stable codes for every failure `@proco/ledger` can report. */
export type LedgerErrorCode =
  | 'hold_not_pending'
  | 'post_exceeds_hold'
  | 'post_amount_not_positive'
  | 'hold_not_due'
  | 'hold_not_found'
  | 'hold_conflict'
  | 'reserve_params_invalid'
  | 'hold_invariant_violated'
  | 'void_reason_invalid';

/** Base class of errors thrown by `@proco/ledger`; callers branch on `code`. */
export class LedgerError extends Error {
  override readonly name: string = 'LedgerError';
  readonly code: LedgerErrorCode;

  constructor(params: { code: LedgerErrorCode; message: string; cause?: unknown }) {
    super(params.message, params.cause === undefined ? undefined : { cause: params.cause });
    this.code = params.code;
  }
}

/** The hold already resolved (posted, voided or expired): a hold resolves at most once. */
export class HoldNotPendingError extends LedgerError {
  override readonly name = 'HoldNotPendingError';
  readonly holdId: string;
  readonly status: HoldStatus;

  constructor(params: { holdId: string; status: HoldStatus }) {
    super({ code: 'hold_not_pending', message: `Hold ${params.holdId} is ${params.status}, not pending.` });
    this.holdId = params.holdId;
    this.status = params.status;
  }
}

/** A post asked for more than the hold reserved (posted <= held, invariant 2). */
export class PostExceedsHoldError extends LedgerError {
  override readonly name = 'PostExceedsHoldError';
  readonly holdId: string;
  readonly heldAtomic: bigint;
  readonly postedAtomic: bigint;

  constructor(params: { holdId: string; heldAtomic: bigint; postedAtomic: bigint }) {
    super({
      code: 'post_exceeds_hold',
      message: `Hold ${params.holdId} reserved ${params.heldAtomic}; cannot post ${params.postedAtomic}.`,
    });
    this.holdId = params.holdId;
    this.heldAtomic = params.heldAtomic;
    this.postedAtomic = params.postedAtomic;
  }
}

/** A post of zero or less: a payment that moved nothing is voided, not posted. */
export class PostAmountNotPositiveError extends LedgerError {
  override readonly name = 'PostAmountNotPositiveError';
  readonly holdId: string;

  constructor(params: { holdId: string; postedAtomic: bigint }) {
    super({
      code: 'post_amount_not_positive',
      message: `Cannot post ${params.postedAtomic} to hold ${params.holdId}; void it instead.`,
    });
    this.holdId = params.holdId;
  }
}

/** An expiry before the hold's `expiresAt`. */
export class HoldNotDueError extends LedgerError {
  override readonly name = 'HoldNotDueError';
  readonly holdId: string;
  readonly expiresAt: Date;

  constructor(params: { holdId: string; expiresAt: Date }) {
    super({
      code: 'hold_not_due',
      message: `Hold ${params.holdId} expires at ${params.expiresAt.toISOString()}, not before.`,
    });
    this.holdId = params.holdId;
    this.expiresAt = params.expiresAt;
  }
}

/** No hold has this id. */
export class HoldNotFoundError extends LedgerError {
  override readonly name = 'HoldNotFoundError';
  readonly holdId: string;

  constructor(params: { holdId: string }) {
    super({ code: 'hold_not_found', message: `No hold ${params.holdId}.` });
    this.holdId = params.holdId;
  }
}

/** A reserve reused a hold id or payment id with different fields: never a second hold. */
export class HoldConflictError extends LedgerError {
  override readonly name = 'HoldConflictError';
  readonly holdId: string;
  readonly paymentId: string;

  constructor(params: { holdId: string; paymentId: string; cause?: unknown }) {
    super({
      code: 'hold_conflict',
      message: `Hold ${params.holdId} / payment ${params.paymentId} already exists with different fields.`,
      cause: params.cause,
    });
    this.holdId = params.holdId;
    this.paymentId = params.paymentId;
  }
}

/** One field of reserve parameters that broke a rule, named by its path. */
export interface ReserveParamsIssue {
  readonly path: string;
  readonly message: string;
}

/** Reserve parameters broke a bound or a consistency rule; every issue is listed. */
export class ReserveParamsInvalidError extends LedgerError {
  override readonly name = 'ReserveParamsInvalidError';
  readonly issues: readonly ReserveParamsIssue[];

  constructor(params: { issues: readonly ReserveParamsIssue[] }) {
    super({
      code: 'reserve_params_invalid',
      message: `Invalid reserve: ${params.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    });
    this.issues = params.issues;
  }
}

/** A hold read back from storage breaks an invariant: a bug or a tampered row, never user input. */
export class HoldInvariantViolatedError extends LedgerError {
  override readonly name = 'HoldInvariantViolatedError';
  readonly holdId: string;
  readonly violations: readonly string[];

  constructor(params: { holdId: string; violations: readonly string[] }) {
    super({
      code: 'hold_invariant_violated',
      message: `Hold ${params.holdId} breaks: ${params.violations.join('; ')}.`,
    });
    this.holdId = params.holdId;
    this.violations = params.violations;
  }
}

/** A void reason that is not a short snake_case code. */
export class VoidReasonInvalidError extends LedgerError {
  override readonly name = 'VoidReasonInvalidError';

  constructor(params: { lengthMax: number }) {
    super({
      code: 'void_reason_invalid',
      message: `A void reason is a snake_case code of at most ${params.lengthMax} characters.`,
    });
  }
}
