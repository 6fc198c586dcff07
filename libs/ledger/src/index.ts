// Public API of @proco/ledger: holds, their transition rules, budget checks and the HoldStore port.
export { HOLD_EXPIRED_REASON, HOLD_STATUSES, canResolve, countedAmountOf, countsAsPayment } from './hold';
export { assertVoidReason, expireHold, isHoldDue, postHold, voidHold } from './hold-transitions';
export { assertHoldInvariants, holdInvariantViolations } from './hold-invariants';
export { budgetStandingOf, hasRoom, rateLimitStandingOf, windowStartOf } from './budget-check';
export { validateReserveParams, validateUsageParams } from './reserve-params';
export {
  CHECK_KEY_LENGTH_MAX,
  EXPIRE_BATCH_SIZE_MAX,
  HOLD_AMOUNT_ATOMIC_MAX,
  NETWORK_LENGTH_MAX,
  RATE_LIMIT_PAYMENTS_MAX,
  RESERVE_BUDGET_CHECKS_MAX,
  RESERVE_RATE_LIMIT_CHECKS_MAX,
  RESOLUTION_REASON_LENGTH_MAX,
  WINDOW_SECONDS_MAX,
} from './ledger.limits';
export {
  HoldConflictError,
  HoldInvariantViolatedError,
  HoldNotDueError,
  HoldNotFoundError,
  HoldNotPendingError,
  LedgerError,
  PostAmountNotPositiveError,
  PostExceedsHoldError,
  ReserveParamsInvalidError,
  VoidReasonInvalidError,
} from './ledger.errors';

export type { Hold, HoldResolution, HoldStatus, CanResolveParams } from './hold';
export type { ExpireHoldParams, PostHoldParams, VoidHoldParams } from './hold-transitions';
export type {
  BudgetCheck,
  BudgetStanding,
  BudgetStandingOfParams,
  BudgetWindow,
  CheckScope,
  HasRoomParams,
  RateLimitCheck,
  RateLimitStanding,
  RateLimitStandingOfParams,
  Standings,
  WindowStartOfParams,
} from './budget-check';
export type {
  ExpireDueParams,
  ExpireDueResult,
  HoldStore,
  HoldTransitionRejection,
  HoldTransitionResult,
  PostParams,
  ReserveParams,
  ReserveResult,
  UsageParams,
  VoidParams,
} from './hold-store.port';
export type { LedgerErrorCode, ReserveParamsIssue } from './ledger.errors';
