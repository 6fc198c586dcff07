// Typed errors of the x402 wire layer: a stable snake_case `code` per failure, structured fields,
// and the underlying error kept as `cause`. Mapping to HTTP problems happens at the edge, never here.
import type { JsonRejectionReason, RequirementUnsupportedReason } from './x402.reasons';

/** Every code an `X402Error` can carry. */
export type X402ErrorCode =
  | 'invalid_amount'
  | 'invalid_base64'
  | 'invalid_json'
  | 'payment_required_too_large'
  | 'payment_payload_too_large'
  | 'payment_response_too_large'
  | 'unsupported_version'
  | 'invalid_payment_required'
  | 'invalid_payment_payload'
  | 'invalid_payment_response'
  | 'invalid_header_name'
  | 'invalid_payment_identifier'
  | 'payment_identifier_required'
  | 'invalid_argument'
  | 'invalid_facilitator_request'
  | 'invalid_payment_requirements'
  | RequirementUnsupportedReason;

/** One schema violation: where (a JSONPath-like `$.accepts[0].payTo`) and what. */
export interface X402Issue {
  readonly path: string;
  readonly message: string;
}

/** Base class of every error `@proco/x402` throws; callers branch on `code`. */
export abstract class X402Error extends Error {
  abstract readonly code: X402ErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** An amount is not a canonical decimal uint256 string. */
export class InvalidAmountError extends X402Error {
  readonly code = 'invalid_amount' as const;
  /** Where the amount came from (`$.accepts[1].amount`), or null for a bare parse. */
  readonly path: string | null;

  constructor({ detail, path = null }: { detail: string; path?: string | null }) {
    super(path === null ? `invalid amount: ${detail}` : `invalid amount at ${path}: ${detail}`);
    this.path = path;
  }
}

/** A network id we cannot map to an EVM chain id. */
export class UnsupportedNetworkError extends X402Error {
  readonly code = 'unsupported_network' as const;
  readonly network: string;

  constructor({ network, detail }: { network: string; detail: string }) {
    super(`unsupported network ${JSON.stringify(network.slice(0, 64))}: ${detail}`);
    this.network = network;
  }
}

/** A header value is not canonical standard base64 (RFC 4648 §4 alphabet, `=` padding). */
export class InvalidBase64Error extends X402Error {
  readonly code = 'invalid_base64' as const;

  constructor({ detail }: { detail: string }) {
    super(`invalid base64: ${detail}`);
  }
}

/** A text is not acceptable JSON, or a value is not a bounded plain-JSON value. */
export class InvalidJsonError extends X402Error {
  readonly code = 'invalid_json' as const;
  readonly reason: JsonRejectionReason;
  /** Where the problem sits, when known (`$.accepts[0]`). */
  readonly path: string | null;

  constructor({
    reason,
    detail,
    path = null,
    cause,
  }: {
    reason: JsonRejectionReason;
    detail: string;
    path?: string | null;
    cause?: unknown;
  }) {
    super(`invalid JSON (${reason})${path === null ? '' : ` at ${path}`}: ${detail}`, { cause });
    this.reason = reason;
    this.path = path;
  }
}

/** Which bounded header was too long. */
export type HeaderTooLargeCode =
  'payment_required_too_large' | 'payment_payload_too_large' | 'payment_response_too_large';

/** A header (or body) is longer than its named bound; nothing of it was decoded. */
export class HeaderTooLargeError extends X402Error {
  readonly code: HeaderTooLargeCode;
  readonly lengthChars: number;
  readonly lengthCharsMax: number;

  constructor(params: { code: HeaderTooLargeCode; lengthChars: number; lengthCharsMax: number }) {
    super(`${params.code}: ${params.lengthChars} characters, at most ${params.lengthCharsMax} allowed`);
    this.code = params.code;
    this.lengthChars = params.lengthChars;
    this.lengthCharsMax = params.lengthCharsMax;
  }
}

/** An `x402Version` we do not speak (or one that does not fit where it was found). */
export class UnsupportedVersionError extends X402Error {
  readonly code = 'unsupported_version' as const;
  /** The version as found, rendered as text (it may not even be a number). */
  readonly x402Version: string;

  constructor({ x402Version, detail }: { x402Version: unknown; detail: string }) {
    const rendered = typeof x402Version === 'number' ? String(x402Version) : typeof x402Version;
    super(`unsupported x402Version ${rendered}: ${detail}`);
    this.x402Version = rendered;
  }
}

function describeIssues(issues: readonly X402Issue[]): string {
  // Only the first few: an attacker-sized document must not produce an attacker-sized message.
  const shown = issues.slice(0, 5).map((issue) => `${issue.path}: ${issue.message}`);
  const more = issues.length > shown.length ? ` (+${issues.length - shown.length} more)` : '';
  return `${shown.join('; ')}${more}`;
}

/** A PaymentRequired document is structurally invalid (missing fields, wrong types, bounds). */
export class InvalidPaymentRequiredError extends X402Error {
  readonly code = 'invalid_payment_required' as const;
  readonly issues: readonly X402Issue[];

  constructor({ issues, cause }: { issues: readonly X402Issue[]; cause?: unknown }) {
    super(`invalid PaymentRequired: ${describeIssues(issues)}`, { cause });
    this.issues = issues;
  }
}

/** A PaymentPayload (the `PAYMENT-SIGNATURE` / `X-PAYMENT` content) is structurally invalid. */
export class InvalidPaymentPayloadError extends X402Error {
  readonly code = 'invalid_payment_payload' as const;
  readonly issues: readonly X402Issue[];

  constructor({ issues, cause }: { issues: readonly X402Issue[]; cause?: unknown }) {
    super(`invalid PaymentPayload: ${describeIssues(issues)}`, { cause });
    this.issues = issues;
  }
}

/** A SettleResponse (the `PAYMENT-RESPONSE` / `X-PAYMENT-RESPONSE` content) is invalid. */
export class InvalidPaymentResponseError extends X402Error {
  readonly code = 'invalid_payment_response' as const;
  readonly issues: readonly X402Issue[];

  constructor({ issues, cause }: { issues: readonly X402Issue[]; cause?: unknown }) {
    super(`invalid SettleResponse: ${describeIssues(issues)}`, { cause });
    this.issues = issues;
  }
}

/**
 * A facilitator request body (`{ x402Version, paymentPayload, paymentRequirements }`) is not one:
 * not an object, a part missing, or a top-level version that disagrees with the payload's.
 */
export class InvalidFacilitatorRequestError extends X402Error {
  readonly code = 'invalid_facilitator_request' as const;
  readonly issues: readonly X402Issue[];

  constructor({ issues, cause }: { issues: readonly X402Issue[]; cause?: unknown }) {
    super(`invalid facilitator request: ${describeIssues(issues)}`, { cause });
    this.issues = issues;
  }
}

/** The `paymentRequirements` a seller sent its facilitator are structurally invalid. */
export class InvalidPaymentRequirementsError extends X402Error {
  readonly code = 'invalid_payment_requirements' as const;
  readonly issues: readonly X402Issue[];

  constructor({ issues, cause }: { issues: readonly X402Issue[]; cause?: unknown }) {
    super(`invalid PaymentRequirements: ${describeIssues(issues)}`, { cause });
    this.issues = issues;
  }
}

/** A header name that carries no x402 payment payload. */
export class InvalidHeaderNameError extends X402Error {
  readonly code = 'invalid_header_name' as const;
  readonly headerName: string;

  constructor({ headerName, expected }: { headerName: string; expected: readonly string[] }) {
    super(`header ${JSON.stringify(headerName.slice(0, 64))} is not one of ${expected.join(', ')}`);
    this.headerName = headerName;
  }
}

/** A requirement Proco cannot sign for; `code` is the first failing reason in precedence order. */
export class RequirementNotPayableError extends X402Error {
  readonly code: RequirementUnsupportedReason;
  /** The requirement's position in `accepts`. */
  readonly index: number;

  constructor({ reason, index }: { reason: RequirementUnsupportedReason; index: number }) {
    super(`payment option accepts[${index}] cannot be signed: ${reason}`);
    this.code = reason;
    this.index = index;
  }
}

/** A payment identifier is not 16-128 characters of `[A-Za-z0-9_-]`, or conflicts with the seller's. */
export class InvalidPaymentIdentifierError extends X402Error {
  readonly code = 'invalid_payment_identifier' as const;

  constructor({ detail }: { detail: string }) {
    super(`invalid payment identifier: ${detail}`);
  }
}

/** The seller declared `payment-identifier` as required and no identifier was given. */
export class PaymentIdentifierRequiredError extends X402Error {
  readonly code = 'payment_identifier_required' as const;

  constructor() {
    super('the seller requires a payment identifier (payment-identifier extension) and none was given');
  }
}

/** A caller-supplied argument is out of its documented domain (programming error at the call site). */
export class InvalidArgumentError extends X402Error {
  readonly code = 'invalid_argument' as const;
  readonly argument: string;

  constructor({ argument, detail }: { argument: string; detail: string }) {
    super(`invalid ${argument}: ${detail}`);
    this.argument = argument;
  }
}

/** Every error class `@proco/x402` throws. */
export type X402ErrorType =
  | InvalidAmountError
  | UnsupportedNetworkError
  | InvalidBase64Error
  | InvalidJsonError
  | HeaderTooLargeError
  | UnsupportedVersionError
  | InvalidPaymentRequiredError
  | InvalidPaymentPayloadError
  | InvalidPaymentResponseError
  | InvalidFacilitatorRequestError
  | InvalidPaymentRequirementsError
  | InvalidHeaderNameError
  | RequirementNotPayableError
  | InvalidPaymentIdentifierError
  | PaymentIdentifierRequiredError
  | InvalidArgumentError;

// Bounds the walk so a cyclic cause chain (a.cause = b, b.cause = a) cannot loop forever.
const CAUSE_CHAIN_LENGTH_MAX = 16;

/**
 * The first `X402Error` in `error`'s cause chain (the error itself included), or null. Lets an
 * adapter that wrapped our error (`new Error('pay failed', { cause })`) still branch on `code`.
 */
export function findX402Error(error: unknown): X402Error | null {
  let current: unknown = error;
  for (let step = 0; step < CAUSE_CHAIN_LENGTH_MAX && current !== undefined && current !== null; step += 1) {
    if (current instanceof X402Error) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return null;
}
