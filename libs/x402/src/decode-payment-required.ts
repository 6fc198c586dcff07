// What a seller answered with its 402 -> the normalized document, under hostile-input limits.
import { decodeBase64Utf8 } from './base64-json.util';
import { cloneBoundedJson, parseBoundedJson, type JsonValue } from './bounded-json';
import type { NormalizedPaymentRequired } from './normalized-payment-required';
import { normalizeDocument } from './normalize-payment-required';
import { HeaderTooLargeError, InvalidPaymentRequiredError } from './x402.errors';
import {
  PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX,
  PAYMENT_REQUIRED_HEADER_LENGTH_CHARS_MAX,
} from './x402.limits';

/** Parameters of `decodePaymentRequired`. */
export interface DecodePaymentRequiredParams {
  /** The `PAYMENT-REQUIRED` response header value, if the seller sent one. */
  readonly header?: string | null;
  /** The 402 response body: its JSON text, or the already-parsed value. */
  readonly body?: unknown;
}

/**
 * Decodes a seller's 402 the way the reference client reads it: the `PAYMENT-REQUIRED` header
 * (base64 JSON, v2) takes precedence; without it (absent or empty), the body is accepted only as a
 * v1 document (`x402Version: 1`). A v2 document in the body alone is refused, as the reference
 * client refuses it, because a v2 seller always sends the header and a body-only v2 answer is
 * something else pretending.
 *
 * Limits: header at most `PAYMENT_REQUIRED_HEADER_LENGTH_CHARS_MAX` characters, body at most
 * `PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX`; see `normalizePaymentRequired` for the rest.
 *
 * Throws `payment_required_too_large`, `invalid_base64`, `invalid_json`, `invalid_payment_required`,
 * `unsupported_version`, `invalid_amount`.
 */
export function decodePaymentRequired(params: DecodePaymentRequiredParams): NormalizedPaymentRequired {
  const { header, body } = params;
  if (typeof header === 'string' && header.length > 0) {
    return normalizeDocument({
      document: decodeHeaderJson(header),
      allowedVersions: [2],
      versionMismatchDetail: 'the PAYMENT-REQUIRED header carries x402 version 2 only',
    });
  }
  if (body === undefined || body === null || body === '') {
    throw new InvalidPaymentRequiredError({
      issues: [{ path: '$', message: 'no PAYMENT-REQUIRED header and no body' }],
    });
  }
  return normalizeDocument({
    document: decodeBodyJson(body),
    allowedVersions: [1],
    versionMismatchDetail: 'a v2 PaymentRequired must arrive in the PAYMENT-REQUIRED header, not the body',
  });
}

function decodeHeaderJson(header: string): JsonValue {
  // Size first: nothing of an oversized header is decoded.
  if (header.length > PAYMENT_REQUIRED_HEADER_LENGTH_CHARS_MAX) {
    throw new HeaderTooLargeError({
      code: 'payment_required_too_large',
      lengthChars: header.length,
      lengthCharsMax: PAYMENT_REQUIRED_HEADER_LENGTH_CHARS_MAX,
    });
  }
  return parseBoundedJson({
    text: decodeBase64Utf8(header),
    lengthCharsMax: PAYMENT_REQUIRED_HEADER_LENGTH_CHARS_MAX,
  });
}

function decodeBodyJson(body: unknown): JsonValue {
  if (typeof body !== 'string') {
    return cloneBoundedJson({ value: body, lengthCharsMax: PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX });
  }
  if (body.length > PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX) {
    throw new HeaderTooLargeError({
      code: 'payment_required_too_large',
      lengthChars: body.length,
      lengthCharsMax: PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX,
    });
  }
  return parseBoundedJson({ text: body, lengthCharsMax: PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX });
}
