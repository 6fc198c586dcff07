// HTTP header names of the x402 exchange (v2 and legacy v1). HTTP header names are
// case-insensitive; these are the spellings the reference packages emit.

/** v2: the seller's 402 carries base64(JSON PaymentRequired) here. */
export const PAYMENT_REQUIRED_HEADER = 'PAYMENT-REQUIRED';

/** v2: the client's paid retry carries base64(JSON PaymentPayload) here. */
export const PAYMENT_SIGNATURE_HEADER = 'PAYMENT-SIGNATURE';

/** v1: the client's paid retry carries base64(JSON PaymentPayload v1) here. */
export const X_PAYMENT_HEADER = 'X-PAYMENT';

/** v2: the seller's answer to a paid request carries base64(JSON SettleResponse) here. */
export const PAYMENT_RESPONSE_HEADER = 'PAYMENT-RESPONSE';

/** v1: the seller's answer to a paid request carries base64(JSON SettleResponse) here. */
export const X_PAYMENT_RESPONSE_HEADER = 'X-PAYMENT-RESPONSE';

/** A header that carries a payment payload. */
export type PaymentHeaderName = typeof PAYMENT_SIGNATURE_HEADER | typeof X_PAYMENT_HEADER;
