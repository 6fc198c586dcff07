// The `payment-identifier` extension: a client-chosen id the seller (or facilitator) uses as an
// idempotency key, so a retried purchase is recognised instead of paid twice. Shape, as
// `@x402/extensions/payment-identifier` 2.27 defines it: the seller declares
// `extensions["payment-identifier"] = { info: { required: boolean }, schema }`, and the client
// echoes it with `info.id` added.
import { isJsonObject } from './bounded-json';
import type { NormalizedPaymentRequired } from './normalized-payment-required';

/** The extension key in `extensions`. */
export const PAYMENT_IDENTIFIER_EXTENSION = 'payment-identifier';

/** Shortest payment identifier, in characters. */
export const PAYMENT_IDENTIFIER_LENGTH_CHARS_MIN = 16;

/** Longest payment identifier, in characters. */
export const PAYMENT_IDENTIFIER_LENGTH_CHARS_MAX = 128;

const PAYMENT_IDENTIFIER_CHARACTERS = /^[A-Za-z0-9_-]+$/;

/** True when `value` is 16-128 characters of `[A-Za-z0-9_-]`. */
export function isValidPaymentIdentifier(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length >= PAYMENT_IDENTIFIER_LENGTH_CHARS_MIN &&
    value.length <= PAYMENT_IDENTIFIER_LENGTH_CHARS_MAX &&
    PAYMENT_IDENTIFIER_CHARACTERS.test(value)
  );
}

/** What a seller declared about payment identifiers. */
export interface PaymentIdentifierDeclaration {
  /** The seller rejects payments without an id. */
  readonly required: boolean;
  /**
   * An id the seller already put in `info.id` (unusual; the client normally chooses it). When
   * present, the client must send this one: echoed extensions may add fields, never change them.
   */
  readonly id: string | null;
}

/**
 * The seller's `payment-identifier` declaration, or null when there is none. A malformed
 * declaration (no `info`, `info.required` not a boolean, `info.id` not a valid id) counts as none,
 * exactly as the reference client ignores it; the caller then sends no id, which is what a
 * reference client would do too.
 */
export function paymentIdentifierOf(
  paymentRequired: Pick<NormalizedPaymentRequired, 'extensions'>,
): PaymentIdentifierDeclaration | null {
  const extension = paymentRequired.extensions?.[PAYMENT_IDENTIFIER_EXTENSION];
  if (!isJsonObject(extension)) return null;
  const info = extension['info'];
  if (!isJsonObject(info) || typeof info['required'] !== 'boolean') return null;
  const id = info['id'];
  if (id === undefined || id === null) return { required: info['required'], id: null };
  return isValidPaymentIdentifier(id) ? { required: info['required'], id } : null;
}
