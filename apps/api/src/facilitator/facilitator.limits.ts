// Bounds and timings of the facilitator endpoints, named with their units (STYLE rule 25).

/**
 * How long a verified authorization stays locked against a second verify, at most: the time a
 * seller takes from verify to settle (the reference server runs its handler in between). Settle
 * consumes the lock; it never outlives the authorization's `validBefore` either.
 */
export const AUTHORIZATION_LOCK_TTL_MS = 120_000;

/** Longest revert reason passed on in `invalidMessage`, in characters. */
export const REVERT_REASON_LENGTH_CHARS_MAX = 200;

/**
 * The fixed window of the per-payer verify limit (`PROCO_FACILITATOR_PAYER_VERIFIES_PER_MINUTE`,
 * default 1,200, i.e. 20 a second: an agent paying one API many times a second stays under it).
 * Each verify that reaches the chain costs RPC calls (code, simulation, diagnosis), so one payer
 * cannot make Proco spend its RPC quota or probe balances at will.
 */
export const PAYER_VERIFY_WINDOW_MS = 60_000;
