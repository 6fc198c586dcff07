// Goal: the budget and rate-limit checks handed to the ledger store name the same counters, limits
// and windows the pure evaluation uses.
import { describe, expect, it } from 'vitest';

import { budgetChecksFor, budgetKey, rateLimitChecksFor, rateLimitKey, windowStart } from './budget-checks';
import { BASE, BASE_SEPOLIA, NOW, OTHER_TOKEN, USDC, buildBudget, buildPolicy } from './policy.test-builders';

const org = buildPolicy({
  budgets: [
    buildBudget({ id: 'org_daily' }),
    buildBudget({ id: 'other_asset', asset: { network: BASE, asset: OTHER_TOKEN } }),
  ],
  rateLimits: [{ id: 'org_rate', maxPayments: 100, windowSeconds: 60 }],
});
const agent = buildPolicy({
  budgets: [buildBudget({ id: 'agent_lifetime', limitAtomic: '5', window: { kind: 'lifetime' } })],
  rateLimits: [{ id: 'agent_rate', maxPayments: 3, windowSeconds: 3600 }],
});

describe('budget and rate-limit keys', () => {
  it('are deterministic, distinct per level and kind', () => {
    expect(budgetKey({ level: 'org', budgetId: 'daily' })).toBe('org:budget:daily');
    expect(budgetKey({ level: 'agent', budgetId: 'daily' })).toBe('agent:budget:daily');
    expect(rateLimitKey({ level: 'org', rateLimitId: 'daily' })).toBe('org:rate_limit:daily');
  });
});

describe('budgetChecksFor', () => {
  it('lists the budgets of the payment asset, org level first, with bigint limits', () => {
    expect(budgetChecksFor({ org, agent, request: { network: BASE, asset: USDC.toLowerCase() } })).toEqual([
      {
        key: 'org:budget:org_daily',
        level: 'org',
        budgetId: 'org_daily',
        network: BASE,
        asset: USDC,
        limitAtomic: 1_000_000n,
        window: { kind: 'rolling', durationSeconds: 86_400 },
      },
      {
        key: 'agent:budget:agent_lifetime',
        level: 'agent',
        budgetId: 'agent_lifetime',
        network: BASE,
        asset: USDC,
        limitAtomic: 5n,
        window: { kind: 'lifetime' },
      },
    ]);
  });

  it('lists nothing for the same token address on another network', () => {
    expect(budgetChecksFor({ org, agent, request: { network: BASE_SEPOLIA, asset: USDC } })).toEqual([]);
  });

  it('lists nothing without policies', () => {
    expect(budgetChecksFor({ request: { network: BASE, asset: USDC } })).toEqual([]);
  });
});

describe('rateLimitChecksFor', () => {
  it('lists every rate limit, org level first', () => {
    expect(rateLimitChecksFor({ org, agent }).map((check) => check.key)).toEqual([
      'org:rate_limit:org_rate',
      'agent:rate_limit:agent_rate',
    ]);
  });
});

describe('windowStart', () => {
  it.each([
    { scenario: 'one minute', durationSeconds: 60, start: '2026-01-14T11:59:00.000Z' },
    { scenario: 'one day', durationSeconds: 86_400, start: '2026-01-13T12:00:00.000Z' },
    { scenario: '400 days', durationSeconds: 400 * 86_400, start: '2024-12-10T12:00:00.000Z' },
  ])('starts a rolling window of $scenario that long before now', ({ durationSeconds, start }) => {
    expect(windowStart({ window: { kind: 'rolling', durationSeconds }, now: NOW })?.toISOString()).toBe(
      start,
    );
  });

  it('has no start for a lifetime window', () => {
    expect(windowStart({ window: { kind: 'lifetime' }, now: NOW })).toBeNull();
  });
});
