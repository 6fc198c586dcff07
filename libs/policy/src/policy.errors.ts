/** Stable codes for every failure `@proco/policy` can report. */
export type PolicyErrorCode =
  'policy_invalid' | 'payment_request_invalid' | 'usage_snapshot_invalid' | 'decimal_invalid';

/** One offending field of a rejected policy document, located by its dotted path (`budgets.0.id`). */
export interface PolicyValidationIssue {
  readonly field: string;
  readonly message: string;
}

/** Base class of errors thrown by `@proco/policy`; callers branch on `code`. */
export class PolicyError extends Error {
  override readonly name: string = 'PolicyError';
  readonly code: PolicyErrorCode;

  constructor(params: { code: PolicyErrorCode; message: string; cause?: unknown }) {
    super(params.message, params.cause === undefined ? undefined : { cause: params.cause });
    this.code = params.code;
  }
}

/** A policy document failed validation; `issues` lists every offending field. */
export class PolicyValidationError extends PolicyError {
  override readonly name = 'PolicyValidationError';
  readonly issues: readonly PolicyValidationIssue[];

  constructor(params: { issues: readonly PolicyValidationIssue[]; cause?: unknown }) {
    super({
      code: 'policy_invalid',
      message: params.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
      cause: params.cause,
    });
    this.issues = params.issues;
  }
}

/** The payment request handed to the engine breaks its contract (URL, amount, rate). */
export class PaymentRequestInvalidError extends PolicyError {
  override readonly name = 'PaymentRequestInvalidError';
  readonly field: string;

  constructor(params: { field: string; detail: string }) {
    super({ code: 'payment_request_invalid', message: `Payment request ${params.field}: ${params.detail}.` });
    this.field = params.field;
  }
}

/** The usage snapshot holds an impossible value (a negative amount or count). */
export class UsageSnapshotInvalidError extends PolicyError {
  override readonly name = 'UsageSnapshotInvalidError';
  readonly key: string;

  constructor(params: { key: string; detail: string }) {
    super({ code: 'usage_snapshot_invalid', message: `Usage for ${params.key}: ${params.detail}.` });
    this.key = params.key;
  }
}

/** A decimal string is not a plain non-negative decimal within bounds. */
export class DecimalInvalidError extends PolicyError {
  override readonly name = 'DecimalInvalidError';

  constructor(params: { value: string; detail: string }) {
    super({
      code: 'decimal_invalid',
      message: `${JSON.stringify(params.value.slice(0, 64))} is not a valid decimal: ${params.detail}.`,
    });
  }
}
