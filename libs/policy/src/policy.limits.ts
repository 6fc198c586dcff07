// Bounds on everything a policy document or a payment request may hold (TIGER_STYLE: put a limit
// on everything). The schema enforces them on write; the engine relies on them on read.

/** Most rules of one kind (budgets, rate limits, entries of one allow or deny list, …) per document. */
export const POLICY_RULES_PER_KIND_MAX = 64;

/** Longest host or path pattern, in UTF-16 code units. */
export const POLICY_PATTERN_LENGTH_MAX = 256;

/** Longest budget or rate-limit id. */
export const POLICY_RULE_ID_LENGTH_MAX = 64;

/** Shortest rolling budget window: one minute. */
export const BUDGET_WINDOW_SECONDS_MIN = 60;

/** Longest rolling budget window: 400 days, enough for "per year" with slack. */
export const BUDGET_WINDOW_SECONDS_MAX = 400 * 24 * 60 * 60;

/** Shortest rate-limit window: one second. */
export const RATE_LIMIT_WINDOW_SECONDS_MIN = 1;

/** Longest rate-limit window, the same 400 days as budgets. */
export const RATE_LIMIT_WINDOW_SECONDS_MAX = BUDGET_WINDOW_SECONDS_MAX;

/** Most payments a single rate limit may allow per window. */
export const RATE_LIMIT_PAYMENTS_MAX = 1_000_000_000;

/** Largest atomic amount: an EVM uint256. */
export const ATOMIC_AMOUNT_MAX = 2n ** 256n - 1n;

/** Most digits before the decimal point of a USD amount or rate (10^18 USD is beyond any budget). */
export const USD_INTEGER_DIGITS_MAX = 18;

/** Most digits after the decimal point of a USD amount or rate. */
export const USD_FRACTION_DIGITS_MAX = 18;

/** Most decimals an asset may declare (ERC-20 `decimals()` is a uint8). */
export const ASSET_DECIMALS_MAX = 255;

/** Longest resource URL the engine accepts, in UTF-16 code units. */
export const PAYMENT_URL_LENGTH_MAX = 8192;

/** Longest CAIP-2 network id (namespace 3-8 + ':' + reference 1-32). */
export const NETWORK_ID_LENGTH_MAX = 41;

/** Longest asset or payee address accepted (EVM is 42; Solana base58 up to 44; slack for others). */
export const ADDRESS_LENGTH_MAX = 128;

/** Longest HTTP method token. */
export const HTTP_METHOD_LENGTH_MAX = 16;
