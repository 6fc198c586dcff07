// Bounds of the ledger's inputs, each a named constant with its unit (STYLE rule 25).

/** Largest amount a hold can carry: uint256, what an EIP-3009 `value` and NUMERIC(78,0) can hold. */
export const HOLD_AMOUNT_ATOMIC_MAX = 2n ** 256n - 1n;
/** Budget checks one reserve may carry (org plus agent budgets for one asset). */
export const RESERVE_BUDGET_CHECKS_MAX = 32;
/** Rate-limit checks one reserve may carry. */
export const RESERVE_RATE_LIMIT_CHECKS_MAX = 32;
/** Length of a check key such as `org:<orgId>:<budgetId>`. */
export const CHECK_KEY_LENGTH_MAX = 200;
/** Longest rolling window a budget or rate limit may use: ten years of 366 days. */
export const WINDOW_SECONDS_MAX = 10 * 366 * 24 * 60 * 60;
/** Payments a rate limit may allow per window. */
export const RATE_LIMIT_PAYMENTS_MAX = 1_000_000;
/** Length of a void reason, a stable snake_case code such as `settlement_failed`. */
export const RESOLUTION_REASON_LENGTH_MAX = 64;
/** Length of a CAIP-2 network id. */
export const NETWORK_LENGTH_MAX = 64;
/** Holds one `expireDue` call may expire, so a backlog drains in bounded steps. */
export const EXPIRE_BATCH_SIZE_MAX = 1_000;
