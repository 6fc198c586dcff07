import { type X402ErrorCode } from '@proco/x402';
import { DomainError } from '../common/api.errors';
import { type DecisionView } from '../policies/decision.view';

export type PaymentsErrorCode =
  | 'payment_denied'
  | 'no_payable_requirement'
  | 'idempotency_key_conflict'
  | 'idempotency_key_in_progress'
  | 'payment_failed'
  | 'payment_not_found'
  | 'payment_rejected'
  | 'approval_not_pending'
  | 'policy_changed'
  | 'approval_in_progress'
  | X402ErrorCode;

/** Why one offered requirement was not paid: a wire-level reason or our configuration. */
export interface RequirementRejection {
  /** Position in the seller's `accepts`. */
  readonly index: number;
  readonly reason: string;
}

/**
 * Policy (or the ledger, when the atomic reserve found no room) refused every payable option.
 * `decision` is the cheapest candidate's: its reason code and the budgets it touches.
 */
export class PaymentDeniedError extends DomainError<'payment_denied'> {
  readonly code = 'payment_denied';
  constructor(
    readonly decision: DecisionView,
    readonly paymentId: string | null,
  ) {
    super(`The payment was denied: ${decision.reason ?? 'denied'}.`);
  }
  override details(): Record<string, unknown> {
    return {
      reason: this.decision.reason,
      ...(this.paymentId === null ? {} : { paymentId: this.paymentId }),
      decision: this.decision,
    };
  }
}

/** No offered requirement is one Proco can pay on a configured network and asset. */
export class NoPayableRequirementError extends DomainError<'no_payable_requirement'> {
  readonly code = 'no_payable_requirement';
  constructor(readonly rejections: readonly RequirementRejection[]) {
    super('None of the offered payment requirements can be paid by Proco on a configured network and asset.');
  }
  override details(): Record<string, unknown> {
    return { requirements: this.rejections };
  }
}

/** The idempotency key was already used by this agent for a different request. */
export class IdempotencyKeyConflictError extends DomainError<'idempotency_key_conflict'> {
  readonly code = 'idempotency_key_conflict';
  constructor() {
    super('This idempotency key was already used for a different payment request.');
  }
}

/** A twin request with the same key is still being authorized; retrying shortly is safe. */
export class IdempotencyKeyInProgressError extends DomainError<'idempotency_key_in_progress'> {
  readonly code = 'idempotency_key_in_progress';
  constructor(readonly paymentId: string) {
    super('A request with this idempotency key is still in progress; retry shortly.');
  }
  override details(): Record<string, unknown> {
    return { paymentId: this.paymentId, retryable: true };
  }
}

/** The purchase under this key failed after it started (its hold was voided); use a new key. */
export class PaymentFailedError extends DomainError<'payment_failed'> {
  readonly code = 'payment_failed';
  constructor(readonly paymentId: string) {
    super(`Payment ${paymentId} failed and was not authorized; retry with a new idempotency key.`);
  }
  override details(): Record<string, unknown> {
    return { paymentId: this.paymentId };
  }
}

/** Also what other agents see for this agent's payment: the same 404. */
export class PaymentNotFoundError extends DomainError<'payment_not_found'> {
  readonly code = 'payment_not_found';
  constructor(readonly paymentId: string) {
    super(`Payment ${paymentId} does not exist.`);
  }
}

/** An operator rejected this payment while it waited for approval; nothing was reserved or signed. */
export class PaymentRejectedError extends DomainError<'payment_rejected'> {
  readonly code = 'payment_rejected';
  constructor(readonly paymentId: string) {
    super(`Payment ${paymentId} was rejected by an operator.`);
  }
  override details(): Record<string, unknown> {
    return { paymentId: this.paymentId };
  }
}

/**
 * An approve or reject found the payment no longer waiting for approval: another operator (or a
 * concurrent request) decided it first, or it never waited. `status` is where it stands now.
 */
export class ApprovalNotPendingError extends DomainError<'approval_not_pending'> {
  readonly code = 'approval_not_pending';
  constructor(
    readonly paymentId: string,
    readonly status: string,
  ) {
    super(`Payment ${paymentId} is ${status}, not pending approval.`);
  }
  override details(): Record<string, unknown> {
    return { paymentId: this.paymentId, status: this.status };
  }
}

/** A seller's 402 (or what the agent made of it) that the x402 layer refused, keeping its code. */
export class PaymentRequiredRejectedError extends DomainError<X402ErrorCode> {
  constructor(
    readonly code: X402ErrorCode,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The agent's policy changed again and again while this purchase was being decided (each time
 * between the evaluation and the reserve), so no decision could be made under a current policy.
 * Nothing was reserved or signed; retrying is safe.
 */
export class PolicyChangedError extends DomainError<'policy_changed'> {
  readonly code = 'policy_changed';
  constructor(readonly agentId: string) {
    super('The policy changed repeatedly while the payment was being decided; retry.');
  }
  override details(): Record<string, unknown> {
    return { retryable: true };
  }
}

/** Another approval of this payment is still signing; asking again shortly gives its outcome. */
export class ApprovalInProgressError extends DomainError<'approval_in_progress'> {
  readonly code = 'approval_in_progress';
  constructor(readonly paymentId: string) {
    super(`An approval of payment ${paymentId} is still being signed; retry shortly.`);
  }
  override details(): Record<string, unknown> {
    return { paymentId: this.paymentId, retryable: true };
  }
}
