// Bounds on everything a seller, an agent or a payer can hand us. Each limit is named with its
// unit so a reviewer can see what it bounds without reading the code that enforces it.

/**
 * Largest `PAYMENT-REQUIRED` header we decode, in characters of base64 text. Proxies commonly cap
 * whole header blocks at 8-16 KiB, and multi-KB 402 headers already break real payments, so a
 * legitimate seller stays far below this.
 */
export const PAYMENT_REQUIRED_HEADER_LENGTH_CHARS_MAX = 16 * 1024;

/** Largest `PAYMENT-SIGNATURE` / `X-PAYMENT` header we decode or emit, in base64 characters. */
export const PAYMENT_PAYLOAD_HEADER_LENGTH_CHARS_MAX = 16 * 1024;

/** Largest `PAYMENT-RESPONSE` / `X-PAYMENT-RESPONSE` header we decode, in base64 characters. */
export const PAYMENT_RESPONSE_HEADER_LENGTH_CHARS_MAX = 16 * 1024;

/**
 * Largest v1 402 body (or decoded object handed to us), in characters of its JSON text. Bodies are
 * not squeezed by header limits, so this is looser than the header bound, but still bounded.
 */
export const PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX = 64 * 1024;

/** Most payment options one PaymentRequired may offer. Real sellers offer a handful. */
export const ACCEPTS_COUNT_MAX = 32;

/**
 * Deepest nesting of objects and arrays we accept in any decoded JSON (the top-level object is
 * depth 1). A PaymentRequired with a bazaar JSON schema nests about a dozen levels; the bound keeps
 * recursion far from the stack limit and stops "depth bomb" documents early.
 */
export const JSON_DEPTH_MAX = 32;

/** Most JSON values (objects, arrays and primitives) in one decoded object graph. */
export const JSON_NODE_COUNT_MAX = 10_000;

/** Longest identifier-like string (scheme, network, asset, payTo, EIP-712 name/version), in chars. */
export const IDENTIFIER_LENGTH_CHARS_MAX = 256;

/** Longest URL (resource url, icon url), in characters; the usual de-facto browser limit. */
export const URL_LENGTH_CHARS_MAX = 2048;

/** Longest free text (description, error, mime type), in characters. */
export const TEXT_LENGTH_CHARS_MAX = 2048;

/**
 * Longest `maxTimeoutSeconds` a requirement may declare: one day. The reference server defaults to
 * 300 s; anything beyond a day is either a mistake or an attempt to obtain a long-lived signed
 * authorization, and the signer caps `validBefore` separately anyway.
 */
export const MAX_TIMEOUT_SECONDS_MAX = 86_400;

/** Smallest `maxTimeoutSeconds`: a zero window cannot be settled. */
export const MAX_TIMEOUT_SECONDS_MIN = 1;

/**
 * Longest signature we put into or accept in a payload, in hex characters after `0x`. An EOA
 * signature is 130; ERC-1271 and ERC-6492-wrapped smart-wallet signatures are longer.
 */
export const SIGNATURE_LENGTH_HEX_CHARS_MAX = 8192;

/** Decimal digits of 2^256 - 1, the longest canonical uint256. */
export const UINT256_DECIMAL_DIGITS_MAX = 78;

/**
 * Longest `errorMessage` of a SettleResponse, in characters: 2.27 facilitators put raw revert text
 * there, which is longer than ordinary free text.
 */
export const ERROR_MESSAGE_LENGTH_CHARS_MAX = 4096;

/**
 * Largest facilitator request body (`{ x402Version, paymentPayload, paymentRequirements }`) we
 * verify, in characters of string content plus one per value: a payload header's worth of payment
 * plus a requirement with a bazaar schema fits with room to spare.
 */
export const FACILITATOR_REQUEST_LENGTH_CHARS_MAX = 64 * 1024;

/**
 * The reference facilitator's block-time buffer, in seconds: an authorization must stay valid at
 * least this long after verify (`validBefore >= now + 6`), or it could expire before it is mined.
 */
export const VALID_BEFORE_MARGIN_SECONDS = 6;

/**
 * Farthest ahead `validBefore` may lie at verify, in seconds: one hour. The reference facilitator
 * has no upper bound, so a client could hand a seller a year-long authorization that stays
 * replayable against the payer until its nonce is used; Proco's own signer never signs longer than
 * this either (`VALID_BEFORE_CAP_SECONDS`).
 */
export const VALID_BEFORE_HORIZON_SECONDS_MAX = 3_600;
