import { createHash } from 'node:crypto';
import { type NormalizedPaymentRequired } from '@proco/x402';

/** Parameters of `paymentRequestHash`. */
export interface PaymentRequestHashParams {
  readonly url: string;
  readonly method: string;
  readonly paymentRequired: NormalizedPaymentRequired;
}

/**
 * SHA-256 of the canonical request: the URL and method called, and what the seller asked for
 * (version, resource, every offered requirement verbatim, declared extensions). The seller's
 * free-text `error` is left out, so a retry that got the same offer with another message is still
 * the same purchase. Keys are sorted, so the same document decoded from a header or given as an
 * object hashes the same.
 */
export function paymentRequestHash(params: PaymentRequestHashParams): Uint8Array<ArrayBuffer> {
  const { paymentRequired } = params;
  const raw = paymentRequired.raw as unknown as Record<string, unknown>;
  const canonical = canonicalJson({
    url: params.url,
    method: params.method,
    x402Version: paymentRequired.x402Version,
    resource: raw['resource'] ?? null,
    accepts: raw['accepts'] ?? null,
    extensions: raw['extensions'] ?? null,
  });
  return new Uint8Array(createHash('sha256').update(canonical, 'utf8').digest());
}

/** JSON with object keys sorted at every depth; the input is bounded JSON already. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The hold id of a payment: a UUID derived from the payment id, so a retried reserve for the same
 * payment always names the same hold (the store is idempotent per hold id).
 */
export function holdIdOf(paymentId: string): string {
  const hex = createHash('sha256').update(`proco:hold:${paymentId}`, 'utf8').digest('hex');
  // RFC 9562 version 8 (custom) and the RFC variant bits, so the value is a well-formed UUID.
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
