// Goal: every bound of a reserve is checked before storage sees it, and every issue is reported.
import { describe, expect, it } from 'vitest';
import { type ReserveParams } from './hold-store.port';
import { ReserveParamsInvalidError } from './ledger.errors';
import { RESERVE_BUDGET_CHECKS_MAX, WINDOW_SECONDS_MAX } from './ledger.limits';
import {
  buildBudgetCheck,
  buildRateLimitCheck,
  buildReserveParams,
  CREATED_AT,
} from './ledger.test-builders';
import { validateReserveParams, validateUsageParams } from './reserve-params';

function issuePaths(params: ReserveParams): string[] {
  try {
    validateReserveParams(params);
    return [];
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(ReserveParamsInvalidError);
    return (error as ReserveParamsInvalidError).issues.map((issue) => issue.path);
  }
}

describe('validateReserveParams', () => {
  it('accepts valid params, lifetime windows and no checks at all', () => {
    expect(issuePaths(buildReserveParams())).toEqual([]);
    expect(
      issuePaths(buildReserveParams({ checks: [buildBudgetCheck({ window: { kind: 'lifetime' } })] })),
    ).toEqual([]);
    expect(issuePaths(buildReserveParams({ checks: [], rateLimits: [] }))).toEqual([]);
  });

  it("accepts the store's clock (now: null) with any valid expiry, which only the store can compare", () => {
    expect(issuePaths(buildReserveParams({ now: null }))).toEqual([]);
    expect(issuePaths(buildReserveParams({ now: null, expiresAt: new Date(0) }))).toEqual([]);
    expect(issuePaths(buildReserveParams({ now: null, expiresAt: new Date(Number.NaN) }))).toEqual([
      'expiresAt',
    ]);
  });

  const cases: { name: string; overrides: Partial<ReserveParams>; paths: string[] }[] = [
    {
      name: 'an uppercase UUID',
      overrides: { holdId: 'A0000000-0000-4000-8000-000000000001' },
      paths: ['holdId'],
    },
    { name: 'a zero amount', overrides: { amountAtomic: 0n }, paths: ['amountAtomic'] },
    { name: 'an amount past uint256', overrides: { amountAtomic: 2n ** 256n }, paths: ['amountAtomic'] },
    {
      name: 'a checksummed asset',
      overrides: { asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e' },
      paths: ['asset', 'checks[0]'],
    },
    { name: 'a network that is not CAIP-2', overrides: { network: 'base' }, paths: ['network', 'checks[0]'] },
    { name: 'expiry at creation', overrides: { expiresAt: CREATED_AT }, paths: ['expiresAt'] },
    { name: 'an invalid date', overrides: { now: new Date(Number.NaN) }, paths: ['now'] },
    {
      name: 'a check for another asset',
      overrides: { checks: [buildBudgetCheck({ asset: `0x${'1'.repeat(40)}` })] },
      paths: ['checks[0]'],
    },
    {
      name: 'duplicate keys across budgets and rate limits',
      overrides: {
        checks: [buildBudgetCheck({ key: 'k' })],
        rateLimits: [buildRateLimitCheck({ key: 'k' })],
      },
      paths: ['checks'],
    },
    {
      name: 'a negative limit',
      overrides: { checks: [buildBudgetCheck({ limitAtomic: -1n })] },
      paths: ['checks[0].limitAtomic'],
    },
    {
      name: 'a fractional window',
      overrides: { checks: [buildBudgetCheck({ window: { kind: 'rolling', durationSeconds: 1.5 } })] },
      paths: ['checks[0].window.durationSeconds'],
    },
    {
      name: 'a window past the bound',
      overrides: { rateLimits: [buildRateLimitCheck({ windowSeconds: WINDOW_SECONDS_MAX + 1 })] },
      paths: ['rateLimits[0].windowSeconds'],
    },
    {
      name: 'a negative rate limit',
      overrides: { rateLimits: [buildRateLimitCheck({ maxPayments: -1 })] },
      paths: ['rateLimits[0].maxPayments'],
    },
    {
      name: 'an empty key',
      overrides: { rateLimits: [buildRateLimitCheck({ key: '' })] },
      paths: ['rateLimits[0].key'],
    },
    {
      name: 'too many checks',
      overrides: {
        checks: Array.from({ length: RESERVE_BUDGET_CHECKS_MAX + 1 }, (_, index) =>
          buildBudgetCheck({ key: `k${index}` }),
        ),
      },
      paths: ['checks'],
    },
  ];
  for (const { name, overrides, paths } of cases) {
    it(`refuses ${name}`, () => {
      expect(issuePaths(buildReserveParams(overrides))).toEqual(paths);
    });
  }
});

describe('validateUsageParams', () => {
  it('checks ids and checks but not the hold fields', () => {
    const { orgId, agentId, checks, rateLimits, now } = buildReserveParams();
    expect(validateUsageParams({ orgId, agentId, checks, rateLimits, now })).toBeDefined();
    expect(() => validateUsageParams({ orgId: 'x', agentId, checks, rateLimits, now })).toThrow(
      ReserveParamsInvalidError,
    );
  });

  it("accepts the store's clock (now: null) and refuses an invalid date", () => {
    const { orgId, agentId, checks, rateLimits } = buildReserveParams();
    expect(validateUsageParams({ orgId, agentId, checks, rateLimits, now: null })).toBeDefined();
    expect(() =>
      validateUsageParams({ orgId, agentId, checks, rateLimits, now: new Date(Number.NaN) }),
    ).toThrow(ReserveParamsInvalidError);
  });
});
