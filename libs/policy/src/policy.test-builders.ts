// Test data builders for the @proco/policy specs: documents, payment requests, usage snapshots.
import { evaluatePolicy } from './evaluate-policy';
import type { PaymentRequest } from './payment-request';
import type { PolicyDecision, UsageSnapshot } from './policy-decision';
import { type PolicyDocument, parsePolicyDocument } from './policy-document.schema';
import type { PolicyReason } from './policy-reasons';

export const BASE = 'eip155:8453';
export const BASE_SEPOLIA = 'eip155:84532';
export const USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
export const OTHER_TOKEN = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
export const PAYEE = '0x209693Bc6afc0C5328bA36FaF03C514EF312287C';
export const OTHER_PAYEE = '0x1111111111111111111111111111111111111111';
/** Wednesday 14 January 2026, 12:00 UTC. */
export const NOW = new Date('2026-01-14T12:00:00Z');
/** One US dollar per whole USDC, six decimals. */
export const USDC_RATE = { usdPerUnit: { numerator: 1n, denominator: 1n }, decimals: 6 } as const;

/** A policy document, validated through the schema so every builder output is a legal policy. */
export function buildPolicy(overrides: Record<string, unknown> = {}): PolicyDocument {
  return parsePolicyDocument(overrides);
}

export function buildRequest(overrides: Partial<PaymentRequest> = {}): PaymentRequest {
  return {
    url: 'https://api.example.com/v1/search?q=x402',
    method: 'GET',
    payTo: PAYEE,
    network: BASE,
    asset: USDC,
    amountAtomic: 10_000n,
    usdRate: USDC_RATE,
    ...overrides,
  };
}

/** The default request for an asset whose USD rate the caller does not know. */
export function buildUnpricedRequest(overrides: Partial<PaymentRequest> = {}): PaymentRequest {
  const { usdRate: _usdRate, ...request } = buildRequest(overrides);
  return request;
}

export function buildUsage(overrides: Partial<UsageSnapshot> = {}): UsageSnapshot {
  return { usedAtomicByBudgetKey: {}, paymentCountByRateLimitKey: {}, ...overrides };
}

export function buildBudget(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'daily_usdc',
    asset: { network: BASE, asset: USDC },
    limitAtomic: '1000000',
    window: { kind: 'rolling', durationSeconds: 86_400 },
    ...overrides,
  };
}

export interface DecideParams {
  readonly org?: PolicyDocument;
  readonly agent?: PolicyDocument;
  readonly usage?: UsageSnapshot;
  readonly request?: Partial<PaymentRequest>;
  /** Drop the USD rate, as for an asset the caller has no price for. */
  readonly unpriced?: boolean;
  readonly now?: Date;
}

/** Evaluates with defaults for everything not given. */
export function decide({ org, agent, usage, request, unpriced, now }: DecideParams = {}): PolicyDecision {
  return evaluatePolicy({
    org,
    agent,
    usage: usage ?? buildUsage(),
    request: unpriced === true ? buildUnpricedRequest(request) : buildRequest(request),
    now: now ?? NOW,
  });
}

/**
 * For every reason, a policy fragment that the default request (`buildRequest` with `USDC_RATE`,
 * at `NOW`, with empty usage) fails with exactly that reason.
 */
export const VIOLATIONS: Readonly<Record<PolicyReason, Record<string, unknown>>> = {
  network_denied: { networks: { deny: [BASE] } },
  network_not_allowed: { networks: { allow: [BASE_SEPOLIA] } },
  asset_denied: { assets: { deny: [{ network: BASE, asset: USDC }] } },
  asset_not_allowed: { assets: { allow: [{ network: BASE, asset: OTHER_TOKEN }] } },
  payee_denied: { payees: { deny: [PAYEE] } },
  payee_not_allowed: { payees: { allow: [OTHER_PAYEE] } },
  host_denied: { hosts: { deny: ['api.example.com'] } },
  host_not_allowed: { hosts: { allow: ['other.example.org'] } },
  path_denied: { paths: { deny: ['/v1/*'] } },
  path_not_allowed: { paths: { allow: ['/v2/**'] } },
  method_denied: { methods: { deny: ['GET'] } },
  method_not_allowed: { methods: { allow: ['POST'] } },
  amount_exceeds_max_per_payment: { maxPerPayment: [{ network: BASE, asset: USDC, maxAtomic: '9999' }] },
  amount_exceeds_max_per_payment_usd: { maxPerPaymentUsd: '0.009999' },
  price_ceiling_exceeded: {
    priceCeilings: [{ host: 'api.example.com', network: BASE, asset: USDC, maxAtomic: '9999' }],
  },
  outside_active_hours: { activeHours: [{ timeZone: 'UTC', days: ['sun'], from: '00:00', to: '01:00' }] },
  rate_limit_exceeded: { rateLimits: [{ id: 'closed', maxPayments: 0, windowSeconds: 60 }] },
  budget_exceeded: { budgets: [buildBudget({ id: 'small', limitAtomic: '9999' })] },
  approval_threshold_exceeded: {
    approvalThreshold: { perAsset: [{ network: BASE, asset: USDC, aboveAtomic: '9999' }] },
  },
  approval_threshold_usd_exceeded: { approvalThreshold: { aboveUsd: '0.009999' } },
};

/** Merges policy fragments: objects key by key, arrays concatenated, later scalars win. */
export function mergeFragments(...fragments: readonly Record<string, unknown>[]): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const fragment of fragments) {
    for (const [key, value] of Object.entries(fragment)) {
      const existing = merged[key];
      if (Array.isArray(existing) && Array.isArray(value))
        merged[key] = [...(existing as unknown[]), ...(value as unknown[])];
      else if (isPlainObject(existing) && isPlainObject(value)) merged[key] = mergeFragments(existing, value);
      else merged[key] = value;
    }
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
