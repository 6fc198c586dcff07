/** Stable codes for every failure `@proco/audit` can report. */
export type AuditErrorCode =
  'canonical_json_unsupported' | 'canonical_json_too_deep' | 'audit_hash_invalid' | 'audit_sequence_invalid';

/** Base class of errors thrown by `@proco/audit`; callers branch on `code`. */
export class AuditError extends Error {
  override readonly name: string = 'AuditError';
  readonly code: AuditErrorCode;

  constructor(params: { code: AuditErrorCode; message: string; cause?: unknown }) {
    super(params.message, params.cause === undefined ? undefined : { cause: params.cause });
    this.code = params.code;
  }
}

/** A value has no canonical JSON form (non-finite number, function, Map, class instance, …). */
export class CanonicalJsonUnsupportedError extends AuditError {
  override readonly name = 'CanonicalJsonUnsupportedError';
  /** Where the value sits, as a JSONPath-like string such as `$.data.items[2]`. */
  readonly path: string;

  constructor(params: { path: string; detail: string }) {
    super({
      code: 'canonical_json_unsupported',
      message: `No canonical JSON for ${params.path}: ${params.detail}.`,
    });
    this.path = params.path;
  }
}

/** A value nests deeper than the canonical JSON bound (or contains a cycle). */
export class CanonicalJsonTooDeepError extends AuditError {
  override readonly name = 'CanonicalJsonTooDeepError';
  readonly path: string;

  constructor(params: { path: string; depthMax: number }) {
    super({
      code: 'canonical_json_too_deep',
      message: `Value at ${params.path} nests deeper than ${params.depthMax} levels (or is cyclic).`,
    });
    this.path = params.path;
  }
}

/** A hash given to the chain is not 32 bytes. */
export class AuditHashInvalidError extends AuditError {
  override readonly name = 'AuditHashInvalidError';

  constructor(params: { field: 'previousHash' | 'contentHash'; lengthBytes: number }) {
    super({
      code: 'audit_hash_invalid',
      message: `${params.field} is ${params.lengthBytes} bytes, expected 32.`,
    });
  }
}

/** A sequence given to the link hash is outside 1..2^63-1 (the positive range of a bigint). */
export class AuditSequenceInvalidError extends AuditError {
  override readonly name = 'AuditSequenceInvalidError';

  constructor(params: { sequence: bigint }) {
    super({
      code: 'audit_sequence_invalid',
      message: `Sequence ${params.sequence.toString(10)} is outside 1..2^63-1.`,
    });
  }
}
