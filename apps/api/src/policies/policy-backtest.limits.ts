// Bounds of `POST /v1/policies/backtest`: a backtest is a read, so its cost must stay bounded.

/** The longest period a backtest replays, in days. */
export const BACKTEST_DAYS_MAX = 90;

/** At most this many payments are replayed: the newest ones of the period. */
export const BACKTEST_PAYMENTS_MAX = 10_000;

/** At most this many changed payments are listed (all are counted). */
export const BACKTEST_CHANGES_MAX = 200;

/** At most this many holds from before the replayed period seed the simulated usage. */
export const BACKTEST_PRIOR_HOLDS_MAX = 50_000;
