// Bounds and timings of the payment endpoint, named with their units (STYLE rule 25).

/**
 * How long an idempotency key is remembered after its first use. The issue asks for at least
 * 24 hours; a week also covers an agent that retries after a long outage.
 */
export const IDEMPOTENCY_RETENTION_SECONDS = 7 * 24 * 60 * 60;

/**
 * How far `validAfter` is back-dated so a chain whose clock lags ours still accepts the transfer
 * (tokens require `block.timestamp > validAfter`); the v1 reference clients use the same 600 s.
 */
export const VALID_AFTER_SKEW_SECONDS = 600;

/**
 * Longest authorization we sign, whatever `maxTimeoutSeconds` the seller asks for. With the grace
 * period below, this also bounds how long budget stays reserved for an unsettled payment.
 */
export const VALID_BEFORE_CAP_SECONDS = 3_600;

/**
 * How long after `validBefore` a pending hold may expire. A transfer mined just before
 * `validBefore` reaches Proco only after confirmations, the sweep interval and clock drift between
 * the chain and our hosts; expiring earlier would release budget for money that already moved
 * (an expired hold can never be posted). Reconciliation from chain evidence comes with settlement.
 */
export const HOLD_EXPIRY_GRACE_SECONDS = 900;

/** How long a twin request waits for the first one to finish before answering `in progress`. */
export const IN_PROGRESS_WAIT_MS = 2_000;

/** Interval between two looks at a payment that is still `authorizing`. */
export const IN_PROGRESS_POLL_INTERVAL_MS = 50;

/**
 * Shortest `maxTimeoutSeconds` Proco pays: below it the authorization would expire before the
 * agent's retry reaches the seller (and settles), yet budget would be reserved for it.
 */
export const MAX_TIMEOUT_SECONDS_MIN = 30;

/**
 * Longest a purchase may take from its decision to its final update. Past it the payment fails
 * instead of handing out a signature: the stuck-payment sweeper fails payments left `authorizing`
 * for 60 s, and a payment must never be authorized after its hold was released.
 */
export const AUTHORIZE_DEADLINE_MS = 30_000;

/**
 * Decisions of one purchase before giving up, when the database keeps finding them stale (a
 * policy pointer moved or the wallet changed between the evaluation and the reserve).
 */
export const PURCHASE_ATTEMPTS_MAX = 3;
