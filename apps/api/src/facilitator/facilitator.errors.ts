import { type X402ErrorCode, type X402Issue } from '@proco/x402';
import { DomainError } from '../common/api.errors';

/** Codes the facilitator answers with as problems; refused payments are `isValid: false` instead. */
export type FacilitatorErrorCode = X402ErrorCode;

/**
 * The body is not a facilitator request Proco can read (not JSON of the right shape, an unknown
 * version, malformed payload or requirements): a 400 with the x402 layer's stable code and, when
 * known, every offending path.
 */
export class FacilitatorRequestRejectedError extends DomainError<FacilitatorErrorCode> {
  constructor(
    readonly code: FacilitatorErrorCode,
    message: string,
    readonly issues: readonly X402Issue[],
    options: { cause: unknown },
  ) {
    super(message, options);
  }

  override details(): Record<string, unknown> {
    if (this.issues.length === 0) return {};
    return { errors: this.issues.map((issue) => ({ field: issue.path, message: issue.message })) };
  }
}

/** One payer's verifies reached `PAYER_VERIFY_LIMIT_PER_WINDOW`; retry after the window. */
export class PayerRateLimitedError extends DomainError<'rate_limited'> {
  readonly code = 'rate_limited';
  constructor(readonly windowMs: number) {
    super('Too many verifies for this payer; retry after the window.');
  }
  override details(): Record<string, unknown> {
    return { retryable: true, windowSeconds: Math.ceil(this.windowMs / 1_000) };
  }
}
