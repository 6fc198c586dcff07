// The seller's settlement answer: `PAYMENT-RESPONSE` (v2) / `X-PAYMENT-RESPONSE` (v1), each
// base64(JSON SettleResponse).
import type { SettleResponse } from '@x402/core/types';

import { decodeBase64Utf8 } from './base64-json.util';
import { parseBoundedJson } from './bounded-json';
import { SettleResponseSchema } from './payment-payload.schema';
import { HeaderTooLargeError, InvalidPaymentResponseError } from './x402.errors';
import { PAYMENT_RESPONSE_HEADER_LENGTH_CHARS_MAX } from './x402.limits';
import { toX402Issues } from './zod-issues.util';

/**
 * Decodes a `PAYMENT-RESPONSE` or `X-PAYMENT-RESPONSE` header value into its SettleResponse
 * (deeply frozen). `success`, `transaction` (`""` on failure) and `network` are required, as the
 * reference client requires them; `amount`, when present, is a canonical decimal.
 *
 * Throws `payment_response_too_large`, `invalid_base64`, `invalid_json`, `invalid_payment_response`.
 */
export function decodePaymentResponseHeader(value: string): SettleResponse {
  if (value.length > PAYMENT_RESPONSE_HEADER_LENGTH_CHARS_MAX) {
    throw new HeaderTooLargeError({
      code: 'payment_response_too_large',
      lengthChars: value.length,
      lengthCharsMax: PAYMENT_RESPONSE_HEADER_LENGTH_CHARS_MAX,
    });
  }
  const document = parseBoundedJson({
    text: decodeBase64Utf8(value),
    lengthCharsMax: PAYMENT_RESPONSE_HEADER_LENGTH_CHARS_MAX,
  });
  const parsed = SettleResponseSchema.safeParse(document);
  if (!parsed.success) {
    throw new InvalidPaymentResponseError({ issues: toX402Issues({ error: parsed.error, basePath: '$' }) });
  }
  return document as unknown as SettleResponse;
}
