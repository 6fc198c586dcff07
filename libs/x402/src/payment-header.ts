// The payment header a client retries with: `PAYMENT-SIGNATURE` (v2) or `X-PAYMENT` (v1), each
// base64(JSON PaymentPayload). Encoding is for our client paths; decoding is for our facilitator
// and server middleware, under the same hostile-input discipline as the 402 decoder.
import type { PaymentPayload } from '@x402/core/types';

import { parseAtomicAmount } from './atomic-amount';
import { decodeBase64Utf8, encodeBase64Utf8 } from './base64-json.util';
import { isJsonObject, parseBoundedJson, type JsonObject } from './bounded-json';
import type { ExactEvmPayload, PaymentPayloadV1Wire, X402PaymentPayload } from './payment-payload';
import {
  ExactEvmPayloadSchema,
  PaymentPayloadV1Schema,
  PaymentPayloadV2Schema,
} from './payment-payload.schema';
import { PAYMENT_SIGNATURE_HEADER, X_PAYMENT_HEADER, type PaymentHeaderName } from './x402-headers';
import {
  HeaderTooLargeError,
  InvalidHeaderNameError,
  InvalidPaymentPayloadError,
  UnsupportedVersionError,
} from './x402.errors';
import { PAYMENT_PAYLOAD_HEADER_LENGTH_CHARS_MAX } from './x402.limits';
import { toX402Issues } from './zod-issues.util';

/** An encoded payment header, ready to set on the retried request. */
export interface EncodedPaymentHeader {
  readonly name: PaymentHeaderName;
  readonly value: string;
}

/**
 * Encodes a PaymentPayload as its header: `PAYMENT-SIGNATURE` for v2, `X-PAYMENT` for v1, value
 * base64(UTF-8 JSON).
 *
 * Throws `payment_payload_too_large` when the value would exceed what our own decoder accepts.
 */
export function encodePaymentHeader(payload: X402PaymentPayload): EncodedPaymentHeader {
  const value = encodeBase64Utf8(JSON.stringify(payload));
  if (value.length > PAYMENT_PAYLOAD_HEADER_LENGTH_CHARS_MAX) {
    throw new HeaderTooLargeError({
      code: 'payment_payload_too_large',
      lengthChars: value.length,
      lengthCharsMax: PAYMENT_PAYLOAD_HEADER_LENGTH_CHARS_MAX,
    });
  }
  return { name: payload.x402Version === 1 ? X_PAYMENT_HEADER : PAYMENT_SIGNATURE_HEADER, value };
}

/** Parameters of `decodePaymentHeader`. */
export interface DecodePaymentHeaderParams {
  /** The header name it arrived in (case-insensitive): `PAYMENT-SIGNATURE` or `X-PAYMENT`. */
  readonly name: string;
  readonly value: string;
}

/**
 * Decodes a payment header into its PaymentPayload (deeply frozen). `PAYMENT-SIGNATURE` must hold
 * a v2 payload and `X-PAYMENT` a v1 payload. The scheme-specific `payload` is only checked to be an
 * object; use `parseExactEvmPayload` for the exact EVM content.
 *
 * Throws `invalid_header_name`, `payment_payload_too_large`, `invalid_base64`, `invalid_json`,
 * `invalid_payment_payload`, `unsupported_version`, `invalid_amount`.
 */
export function decodePaymentHeader({ name, value }: DecodePaymentHeaderParams): X402PaymentPayload {
  const expectedVersion = expectedVersionOf(name);
  if (value.length > PAYMENT_PAYLOAD_HEADER_LENGTH_CHARS_MAX) {
    throw new HeaderTooLargeError({
      code: 'payment_payload_too_large',
      lengthChars: value.length,
      lengthCharsMax: PAYMENT_PAYLOAD_HEADER_LENGTH_CHARS_MAX,
    });
  }
  const document = parseBoundedJson({
    text: decodeBase64Utf8(value),
    lengthCharsMax: PAYMENT_PAYLOAD_HEADER_LENGTH_CHARS_MAX,
  });
  if (!isJsonObject(document)) {
    throw new InvalidPaymentPayloadError({ issues: [{ path: '$', message: 'expected a JSON object' }] });
  }
  const version = document['x402Version'];
  if (typeof version === 'number' && version !== 1 && version !== 2) {
    throw new UnsupportedVersionError({ x402Version: version, detail: 'only x402 versions 1 and 2 exist' });
  }
  if (version !== expectedVersion) {
    throw new InvalidPaymentPayloadError({
      issues: [{ path: '$.x402Version', message: `expected ${expectedVersion} in a ${name} header` }],
    });
  }
  return expectedVersion === 2 ? validateV2(document) : validateV1(document);
}

function expectedVersionOf(name: string): 1 | 2 {
  const upper = name.toUpperCase();
  if (upper === PAYMENT_SIGNATURE_HEADER) return 2;
  if (upper === X_PAYMENT_HEADER) return 1;
  throw new InvalidHeaderNameError({
    headerName: name,
    expected: [PAYMENT_SIGNATURE_HEADER, X_PAYMENT_HEADER],
  });
}

function validateV2(document: JsonObject): PaymentPayload {
  const parsed = PaymentPayloadV2Schema.safeParse(document);
  if (!parsed.success) {
    throw new InvalidPaymentPayloadError({ issues: toX402Issues({ error: parsed.error, basePath: '$' }) });
  }
  const accepted = document['accepted'];
  parseAtomicAmount(isJsonObject(accepted) ? accepted['amount'] : undefined, { path: '$.accepted.amount' });
  return document as unknown as PaymentPayload;
}

function validateV1(document: JsonObject): PaymentPayloadV1Wire {
  const parsed = PaymentPayloadV1Schema.safeParse(document);
  if (!parsed.success) {
    throw new InvalidPaymentPayloadError({ issues: toX402Issues({ error: parsed.error, basePath: '$' }) });
  }
  return document as unknown as PaymentPayloadV1Wire;
}

/**
 * Validates the `payload` of an `exact` EVM (EIP-3009) payment: a hex signature (at most
 * `SIGNATURE_LENGTH_HEX_CHARS_MAX` digits) and an authorization with 20-byte hex addresses,
 * canonical decimal uint256 `value`/`validAfter`/`validBefore` and a 32-byte nonce.
 *
 * Throws `invalid_payment_payload` or `invalid_amount`.
 */
export function parseExactEvmPayload(payload: unknown): ExactEvmPayload {
  const parsed = ExactEvmPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    throw new InvalidPaymentPayloadError({
      issues: toX402Issues({ error: parsed.error, basePath: '$.payload' }),
    });
  }
  const { authorization } = parsed.data;
  // The schema fixed the shape; the range (< 2^256) is parseAtomicAmount's.
  for (const field of ['value', 'validAfter', 'validBefore'] as const) {
    parseAtomicAmount(authorization[field], { path: `$.payload.authorization.${field}` });
  }
  return payload as ExactEvmPayload;
}
