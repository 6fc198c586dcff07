// Data builders for ledger specs: valid defaults, overridden per scenario.
import type { BudgetCheck, RateLimitCheck } from './budget-check';
import type { Hold } from './hold';
import type { ReserveParams } from './hold-store.port';

export const ORG_ID = '00000000-0000-4000-8000-000000000001';
export const AGENT_ID = '00000000-0000-4000-8000-000000000002';
export const NETWORK = 'eip155:84532';
export const ASSET = '0x036cbd53842c5426634e7929541ec2318f3dcf7e';
export const CREATED_AT = new Date('2026-11-25T12:00:00.000Z');
export const EXPIRES_AT = new Date('2026-11-25T12:05:00.000Z');

export function buildHold(overrides: Partial<Hold> = {}): Hold {
  return {
    id: '00000000-0000-4000-8000-0000000000a1',
    orgId: ORG_ID,
    agentId: AGENT_ID,
    paymentId: '00000000-0000-4000-8000-0000000000b1',
    network: NETWORK,
    asset: ASSET,
    amountAtomic: 1_000n,
    postedAmountAtomic: null,
    status: 'pending',
    createdAt: CREATED_AT,
    expiresAt: EXPIRES_AT,
    resolvedAt: null,
    resolutionReason: null,
    ...overrides,
  };
}

export function buildBudgetCheck(overrides: Partial<BudgetCheck> = {}): BudgetCheck {
  return {
    key: `agent:${AGENT_ID}:daily`,
    scope: 'agent',
    network: NETWORK,
    asset: ASSET,
    limitAtomic: 10_000n,
    window: { kind: 'rolling', durationSeconds: 86_400 },
    ...overrides,
  };
}

export function buildRateLimitCheck(overrides: Partial<RateLimitCheck> = {}): RateLimitCheck {
  return {
    key: `agent:${AGENT_ID}:per-minute`,
    scope: 'agent',
    maxPayments: 10,
    windowSeconds: 60,
    ...overrides,
  };
}

export function buildReserveParams(overrides: Partial<ReserveParams> = {}): ReserveParams {
  return {
    holdId: '00000000-0000-4000-8000-0000000000a1',
    orgId: ORG_ID,
    agentId: AGENT_ID,
    paymentId: '00000000-0000-4000-8000-0000000000b1',
    network: NETWORK,
    asset: ASSET,
    amountAtomic: 1_000n,
    now: CREATED_AT,
    expiresAt: EXPIRES_AT,
    checks: [buildBudgetCheck()],
    rateLimits: [buildRateLimitCheck()],
    ...overrides,
  };
}
