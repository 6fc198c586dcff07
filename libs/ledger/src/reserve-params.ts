// Bounds and consistency rules of reserve and usage inputs, checked before anything reaches storage,
// so the store can trust them (and pass them to SQL without re-validating).
import type { BudgetCheck, RateLimitCheck } from './budget-check';
import type { ReserveParams, UsageParams } from './hold-store.port';
import { ReserveParamsInvalidError, type ReserveParamsIssue } from './ledger.errors';
import {
  CHECK_KEY_LENGTH_MAX,
  HOLD_AMOUNT_ATOMIC_MAX,
  NETWORK_LENGTH_MAX,
  RATE_LIMIT_PAYMENTS_MAX,
  RESERVE_BUDGET_CHECKS_MAX,
  RESERVE_RATE_LIMIT_CHECKS_MAX,
  WINDOW_SECONDS_MAX,
} from './ledger.limits';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ASSET_PATTERN = /^0x[0-9a-f]{40}$/;
// CAIP-2: namespace (3-8 chars) ":" reference (1-32 chars).
const NETWORK_PATTERN = /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/;

/**
 * Checks every bound of a reserve: UUID ids, a positive uint256 amount, a CAIP-2 network and a
 * lowercase asset shared by every budget check, unique keys, bounded windows and counts.
 * @throws ReserveParamsInvalidError (`reserve_params_invalid`) listing every issue.
 */
export function validateReserveParams(params: ReserveParams): ReserveParams {
  const issues: ReserveParamsIssue[] = [];
  for (const field of ['holdId', 'orgId', 'agentId', 'paymentId'] as const) {
    if (!UUID_PATTERN.test(params[field])) issues.push({ path: field, message: 'must be a lowercase UUID' });
  }
  if (params.amountAtomic <= 0n || params.amountAtomic > HOLD_AMOUNT_ATOMIC_MAX) {
    issues.push({ path: 'amountAtomic', message: 'must be a positive uint256' });
  }
  issues.push(...networkAndAssetIssues({ path: '', network: params.network, asset: params.asset }));
  if (params.now !== null && !isValidDate(params.now)) {
    issues.push({ path: 'now', message: 'must be a valid date or null' });
  }
  // With the store's clock (`now: null`) the expiry can only be compared with it in the store,
  // where the table's own constraint (expires after created) refuses a hold born expired.
  if (
    !isValidDate(params.expiresAt) ||
    (params.now !== null && params.expiresAt.getTime() <= params.now.getTime())
  ) {
    issues.push({ path: 'expiresAt', message: 'must be a valid date after now' });
  }
  issues.push(...checkIssues({ checks: params.checks, rateLimits: params.rateLimits }));
  params.checks.forEach((check, index) => {
    if (check.network !== params.network || check.asset !== params.asset) {
      issues.push({ path: `checks[${index}]`, message: "must be for the hold's network and asset" });
    }
  });
  if (issues.length > 0) throw new ReserveParamsInvalidError({ issues });
  return params;
}

/**
 * Checks the bounds of a usage query (ids, checks, `now` when given).
 * @throws ReserveParamsInvalidError (`reserve_params_invalid`) listing every issue.
 */
export function validateUsageParams(params: UsageParams): UsageParams {
  const issues: ReserveParamsIssue[] = [];
  for (const field of ['orgId', 'agentId'] as const) {
    if (!UUID_PATTERN.test(params[field])) issues.push({ path: field, message: 'must be a lowercase UUID' });
  }
  if (params.now !== null && !isValidDate(params.now)) {
    issues.push({ path: 'now', message: 'must be a valid date or null' });
  }
  issues.push(...checkIssues({ checks: params.checks, rateLimits: params.rateLimits }));
  if (issues.length > 0) throw new ReserveParamsInvalidError({ issues });
  return params;
}

function checkIssues(params: {
  checks: readonly BudgetCheck[];
  rateLimits: readonly RateLimitCheck[];
}): ReserveParamsIssue[] {
  const issues: ReserveParamsIssue[] = [];
  if (params.checks.length > RESERVE_BUDGET_CHECKS_MAX) {
    issues.push({ path: 'checks', message: `at most ${RESERVE_BUDGET_CHECKS_MAX}` });
  }
  if (params.rateLimits.length > RESERVE_RATE_LIMIT_CHECKS_MAX) {
    issues.push({ path: 'rateLimits', message: `at most ${RESERVE_RATE_LIMIT_CHECKS_MAX}` });
  }
  const keys = [...params.checks, ...params.rateLimits].map((check) => check.key);
  if (new Set(keys).size !== keys.length) issues.push({ path: 'checks', message: 'keys must be unique' });
  params.checks.forEach((check, index) => issues.push(...budgetCheckIssues(check, `checks[${index}]`)));
  params.rateLimits.forEach((check, index) => issues.push(...rateLimitIssues(check, `rateLimits[${index}]`)));
  return issues;
}

function budgetCheckIssues(check: BudgetCheck, path: string): ReserveParamsIssue[] {
  const issues = [...keyAndScopeIssues(check, path)];
  issues.push(...networkAndAssetIssues({ path: `${path}.`, network: check.network, asset: check.asset }));
  if (check.limitAtomic < 0n || check.limitAtomic > HOLD_AMOUNT_ATOMIC_MAX) {
    issues.push({ path: `${path}.limitAtomic`, message: 'must be a uint256' });
  }
  if (check.window.kind === 'rolling' && !isWindowSeconds(check.window.durationSeconds)) {
    issues.push({
      path: `${path}.window.durationSeconds`,
      message: `must be an integer in 1..${WINDOW_SECONDS_MAX}`,
    });
  }
  return issues;
}

function rateLimitIssues(check: RateLimitCheck, path: string): ReserveParamsIssue[] {
  const issues = [...keyAndScopeIssues(check, path)];
  if (
    !Number.isSafeInteger(check.maxPayments) ||
    check.maxPayments < 0 ||
    check.maxPayments > RATE_LIMIT_PAYMENTS_MAX
  ) {
    issues.push({
      path: `${path}.maxPayments`,
      message: `must be an integer in 0..${RATE_LIMIT_PAYMENTS_MAX}`,
    });
  }
  if (!isWindowSeconds(check.windowSeconds)) {
    issues.push({ path: `${path}.windowSeconds`, message: `must be an integer in 1..${WINDOW_SECONDS_MAX}` });
  }
  return issues;
}

function keyAndScopeIssues(check: { key: string; scope: string }, path: string): ReserveParamsIssue[] {
  const issues: ReserveParamsIssue[] = [];
  if (check.key.length === 0 || check.key.length > CHECK_KEY_LENGTH_MAX) {
    issues.push({ path: `${path}.key`, message: `must have 1..${CHECK_KEY_LENGTH_MAX} characters` });
  }
  if (check.scope !== 'org' && check.scope !== 'agent') {
    issues.push({ path: `${path}.scope`, message: "must be 'org' or 'agent'" });
  }
  return issues;
}

function networkAndAssetIssues(params: {
  path: string;
  network: string;
  asset: string;
}): ReserveParamsIssue[] {
  const issues: ReserveParamsIssue[] = [];
  if (params.network.length > NETWORK_LENGTH_MAX || !NETWORK_PATTERN.test(params.network)) {
    issues.push({ path: `${params.path}network`, message: 'must be a CAIP-2 network id' });
  }
  if (!ASSET_PATTERN.test(params.asset)) {
    issues.push({ path: `${params.path}asset`, message: 'must be a lowercase 0x address' });
  }
  return issues;
}

function isWindowSeconds(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 1 && value <= WINDOW_SECONDS_MAX;
}

function isValidDate(value: Date): boolean {
  return value instanceof Date && !Number.isNaN(value.getTime());
}
