/** Failures of the HTTP layer itself, independent of any bounded context. */
export type ApiErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'route_not_found'
  | 'unauthenticated'
  | 'forbidden'
  | 'rate_limited'
  | 'service_unavailable'
  | 'internal_error';

/** One offending field of a rejected request, located by its path in the input. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * Base of every error a service may throw. The HTTP edge maps `code` to a status; services never
 * choose HTTP statuses themselves.
 */
export abstract class DomainError<Code extends string = string> extends Error {
  abstract readonly code: Code;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Extra members for the problem document (e.g. the offending fields); never secrets. */
  details(): Record<string, unknown> {
    return {};
  }
}

export class ValidationFailedError extends DomainError<'validation_failed'> {
  readonly code = 'validation_failed';
  constructor(readonly errors: readonly FieldError[]) {
    super(errors.map((error) => `${error.field}: ${error.message}`).join('; '));
  }
  override details(): Record<string, unknown> {
    return { errors: this.errors };
  }
}

export class UnauthenticatedError extends DomainError<'unauthenticated'> {
  readonly code = 'unauthenticated';
  constructor() {
    super('A valid bearer credential is required.');
  }
}

export class ForbiddenError extends DomainError<'forbidden'> {
  readonly code = 'forbidden';
}
