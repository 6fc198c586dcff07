// Public API of @proco/policy: the policy document schema and the pure policy engine.
export { evaluatePolicy } from './evaluate-policy';
export { backtestPolicy } from './backtest-policy';
export {
  AddressSchema,
  AssetRefSchema,
  AtomicAmountSchema,
  BudgetWindowSchema,
  NetworkSchema,
  PolicyDocumentSchema,
  UsdAmountSchema,
  parsePolicyDocument,
} from './policy-document.schema';
export {
  budgetChecksFor,
  budgetKey,
  budgetTouches,
  rateLimitChecksFor,
  rateLimitKey,
  windowStart,
} from './budget-checks';
export { POLICY_DENY_REASONS, POLICY_HOLD_REASONS, POLICY_REASONS, reasonPrecedence } from './policy-reasons';
export { normalizePayment } from './payment-request';
export { compareRationals, parseDecimal, usdValueOfAtomic } from './rational.util';
export { addressesEqual } from './address.util';
export { hostMatches, normalizeHost } from './host-pattern.util';
export { normalizePath, pathMatches } from './path-pattern.util';
export { WEEKDAYS } from './active-hours.util';
export {
  ADDRESS_LENGTH_MAX,
  ASSET_DECIMALS_MAX,
  ATOMIC_AMOUNT_MAX,
  BUDGET_WINDOW_SECONDS_MAX,
  BUDGET_WINDOW_SECONDS_MIN,
  HTTP_METHOD_LENGTH_MAX,
  NETWORK_ID_LENGTH_MAX,
  PAYMENT_URL_LENGTH_MAX,
  POLICY_PATTERN_LENGTH_MAX,
  POLICY_RULES_PER_KIND_MAX,
  POLICY_RULE_ID_LENGTH_MAX,
  RATE_LIMIT_PAYMENTS_MAX,
  RATE_LIMIT_WINDOW_SECONDS_MAX,
  RATE_LIMIT_WINDOW_SECONDS_MIN,
  USD_FRACTION_DIGITS_MAX,
  USD_INTEGER_DIGITS_MAX,
} from './policy.limits';
export {
  DecimalInvalidError,
  PaymentRequestInvalidError,
  PolicyError,
  PolicyValidationError,
  UsageSnapshotInvalidError,
} from './policy.errors';

export type { EvaluatePolicyParams, EvaluatePolicyResult } from './evaluate-policy';
export type {
  BacktestAssetTotal,
  BacktestChange,
  BacktestPayment,
  BacktestPolicyParams,
  BacktestPolicyResult,
  BacktestPriorHold,
} from './backtest-policy';
export type {
  AssetRef,
  BudgetRule,
  BudgetWindow,
  PolicyDocument,
  PriceCeilingRule,
  RateLimitRule,
} from './policy-document.schema';
export type {
  BudgetCheck,
  BudgetKeyParams,
  BudgetTouchesParams,
  ChecksForParams,
  RateLimitCheck,
  RateLimitKeyParams,
  WindowStartParams,
} from './budget-checks';
export type {
  BudgetStanding,
  PolicyDecision,
  PolicyFinding,
  PolicyLevel,
  PolicyRuleKind,
  PolicyRuleRef,
  RateLimitStanding,
  UsageSnapshot,
} from './policy-decision';
export type { PolicyDenyReason, PolicyHoldReason, PolicyReason } from './policy-reasons';
export type { NormalizedPayment, PaymentRequest, UsdRate } from './payment-request';
export type {
  CompareRationalsParams,
  ParseDecimalParams,
  Rational,
  UsdValueOfAtomicParams,
} from './rational.util';
export type { AddressesEqualParams } from './address.util';
export type { HostMatchesParams } from './host-pattern.util';
export type { PathMatchesParams } from './path-pattern.util';
export type { Weekday } from './active-hours.util';
export type { PolicyErrorCode, PolicyValidationIssue } from './policy.errors';
