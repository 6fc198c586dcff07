// Goal: every rule kind allows at its limit and denies just past it, levels combine as "both must
// allow", reasons follow POLICY_REASONS precedence, and standings report every budget touched.
import { describe, expect, it } from 'vitest';

import { evaluatePolicy } from './evaluate-policy';
import type { PaymentRequest } from './payment-request';
import type { UsageSnapshot } from './policy-decision';
import { POLICY_DENY_REASONS, POLICY_REASONS } from './policy-reasons';
import { PaymentRequestInvalidError, UsageSnapshotInvalidError } from './policy.errors';
import {
  BASE,
  BASE_SEPOLIA,
  NOW,
  OTHER_PAYEE,
  OTHER_TOKEN,
  PAYEE,
  USDC,
  VIOLATIONS,
  buildBudget,
  buildPolicy,
  buildRequest,
  buildUsage,
  decide,
  mergeFragments,
} from './policy.test-builders';

interface RuleCase {
  readonly scenario: string;
  readonly policy: Record<string, unknown>;
  readonly request?: Partial<PaymentRequest>;
  readonly unpriced?: boolean;
  readonly usage?: UsageSnapshot;
  readonly outcome: 'allow' | 'deny' | 'hold_for_approval';
  readonly reason?: string;
  readonly index?: number | null;
}

const usdcCap = (maxAtomic: string) => ({ maxPerPayment: [{ network: BASE, asset: USDC, maxAtomic }] });
const ceiling = (overrides: Record<string, unknown> = {}) => ({
  priceCeilings: [
    { host: 'api.x.com', path: '/v1/*', network: BASE, asset: USDC, maxAtomic: '50000', ...overrides },
  ],
});
const xApi = (path = '/v1/chat') => `https://api.x.com${path}`;
const budgetUsage = (used: bigint) =>
  buildUsage({ usedAtomicByBudgetKey: { 'agent:budget:daily_usdc': used } });
const rateUsage = (count: number) =>
  buildUsage({ paymentCountByRateLimitKey: { 'agent:rate_limit:per_minute': count } });
const perMinute = (maxPayments: number) => ({
  rateLimits: [{ id: 'per_minute', maxPayments, windowSeconds: 60 }],
});

const ruleCases: RuleCase[] = [
  // Networks and assets.
  { scenario: 'network on the allow list', policy: { networks: { allow: [BASE] } }, outcome: 'allow' },
  {
    scenario: 'network off the allow list',
    policy: { networks: { allow: [BASE] } },
    request: { network: BASE_SEPOLIA },
    outcome: 'deny',
    reason: 'network_not_allowed',
    index: null,
  },
  {
    scenario: 'network on the deny list',
    policy: { networks: { deny: ['eip155:1', BASE] } },
    outcome: 'deny',
    reason: 'network_denied',
    index: 1,
  },
  {
    scenario: 'asset allowed, request in lower case',
    policy: { assets: { allow: [{ network: BASE, asset: USDC }] } },
    request: { asset: USDC.toLowerCase() },
    outcome: 'allow',
  },
  {
    scenario: 'asset allowed on another network only',
    policy: { assets: { allow: [{ network: BASE, asset: USDC }] } },
    request: { network: BASE_SEPOLIA },
    outcome: 'deny',
    reason: 'asset_not_allowed',
  },
  {
    scenario: 'asset on the deny list',
    policy: { assets: { deny: [{ network: BASE, asset: USDC }] } },
    outcome: 'deny',
    reason: 'asset_denied',
    index: 0,
  },
  // Payees.
  {
    scenario: 'payee denied whatever the case',
    policy: { payees: { deny: [PAYEE] } },
    request: { payTo: PAYEE.toUpperCase().replace('0X', '0x') },
    outcome: 'deny',
    reason: 'payee_denied',
    index: 0,
  },
  {
    scenario: 'payee off the allow list',
    policy: { payees: { allow: [OTHER_PAYEE] } },
    outcome: 'deny',
    reason: 'payee_not_allowed',
  },
  {
    scenario: 'payee on the allow list',
    policy: { payees: { allow: [OTHER_PAYEE, PAYEE] } },
    outcome: 'allow',
  },
  // Hosts.
  {
    scenario: 'wildcard host allows a subdomain',
    policy: { hosts: { allow: ['*.example.com'] } },
    outcome: 'allow',
  },
  {
    scenario: 'wildcard host does not allow the apex',
    policy: { hosts: { allow: ['*.example.com'] } },
    request: { url: 'https://example.com/v1' },
    outcome: 'deny',
    reason: 'host_not_allowed',
  },
  {
    scenario: 'apex allowed when listed too',
    policy: { hosts: { allow: ['*.example.com', 'example.com'] } },
    request: { url: 'https://example.com/v1' },
    outcome: 'allow',
  },
  {
    scenario: 'denied host with a trailing dot and capitals',
    policy: { hosts: { deny: ['api.example.com'] } },
    request: { url: 'https://API.example.com./v1' },
    outcome: 'deny',
    reason: 'host_denied',
    index: 0,
  },
  {
    scenario: 'deny beats allow for the same host',
    policy: { hosts: { allow: ['*.example.com'], deny: ['api.example.com'] } },
    outcome: 'deny',
    reason: 'host_denied',
  },
  // Paths and methods.
  { scenario: 'path under an allowed prefix', policy: { paths: { allow: ['/v1/**'] } }, outcome: 'allow' },
  {
    scenario: 'path outside the allowed prefix',
    policy: { paths: { allow: ['/v1/**'] } },
    request: { url: 'https://api.example.com/v2/search' },
    outcome: 'deny',
    reason: 'path_not_allowed',
  },
  {
    scenario: 'escaped path still denied',
    policy: { paths: { deny: ['/admin/**'] } },
    request: { url: 'https://api.example.com/%61dmin/keys' },
    outcome: 'deny',
    reason: 'path_denied',
    index: 0,
  },
  { scenario: 'method allowed in another case', policy: { methods: { allow: ['get'] } }, outcome: 'allow' },
  {
    scenario: 'method off the allow list',
    policy: { methods: { allow: ['GET'] } },
    request: { method: 'POST' },
    outcome: 'deny',
    reason: 'method_not_allowed',
  },
  {
    scenario: 'method on the deny list',
    policy: { methods: { deny: ['post'] } },
    request: { method: 'post' },
    outcome: 'deny',
    reason: 'method_denied',
  },
  // Maximum per payment.
  { scenario: 'amount exactly at the maximum', policy: usdcCap('10000'), outcome: 'allow' },
  {
    scenario: 'amount one atomic unit above the maximum',
    policy: usdcCap('10000'),
    request: { amountAtomic: 10_001n },
    outcome: 'deny',
    reason: 'amount_exceeds_max_per_payment',
    index: 0,
  },
  {
    scenario: 'maximum of another asset does not apply',
    policy: usdcCap('1'),
    request: { asset: OTHER_TOKEN },
    outcome: 'allow',
  },
  {
    scenario: 'maximum of zero allows a zero amount',
    policy: usdcCap('0'),
    request: { amountAtomic: 0n },
    outcome: 'allow',
  },
  {
    scenario: 'USD maximum met exactly (0.05 USD = 50000 atomic)',
    policy: { maxPerPaymentUsd: '0.05' },
    request: { amountAtomic: 50_000n },
    outcome: 'allow',
  },
  {
    scenario: 'USD maximum passed by one atomic unit',
    policy: { maxPerPaymentUsd: '0.05' },
    request: { amountAtomic: 50_001n },
    outcome: 'deny',
    reason: 'amount_exceeds_max_per_payment_usd',
    index: null,
  },
  {
    scenario: 'USD maximum skips an asset without a rate',
    policy: { maxPerPaymentUsd: '0.05' },
    request: { amountAtomic: 10n ** 30n },
    unpriced: true,
    outcome: 'allow',
  },
  {
    scenario: 'USD maximum at a fractional 18-decimal rate, exact',
    policy: { maxPerPaymentUsd: '1' },
    request: {
      amountAtomic: 3n * 10n ** 18n,
      usdRate: { usdPerUnit: { numerator: 1n, denominator: 3n }, decimals: 18 },
    },
    outcome: 'allow',
  },
  {
    scenario: 'USD maximum at a fractional 18-decimal rate, one wei over',
    policy: { maxPerPaymentUsd: '1' },
    request: {
      amountAtomic: 3n * 10n ** 18n + 1n,
      usdRate: { usdPerUnit: { numerator: 1n, denominator: 3n }, decimals: 18 },
    },
    outcome: 'deny',
    reason: 'amount_exceeds_max_per_payment_usd',
  },
  // Price ceilings.
  {
    scenario: 'price ceiling met exactly',
    policy: ceiling(),
    request: { url: xApi(), amountAtomic: 50_000n },
    outcome: 'allow',
  },
  {
    scenario: 'price ceiling passed by one',
    policy: ceiling(),
    request: { url: xApi(), amountAtomic: 50_001n },
    outcome: 'deny',
    reason: 'price_ceiling_exceeded',
    index: 0,
  },
  {
    scenario: 'price ceiling on another path',
    policy: ceiling(),
    request: { url: xApi('/v2/chat'), amountAtomic: 50_001n },
    outcome: 'allow',
  },
  {
    scenario: 'price ceiling on another host',
    policy: ceiling(),
    request: { amountAtomic: 50_001n },
    outcome: 'allow',
  },
  {
    scenario: 'price ceiling for another method',
    policy: ceiling({ method: 'POST' }),
    request: { url: xApi(), amountAtomic: 50_001n },
    outcome: 'allow',
  },
  {
    scenario: 'price ceiling for the same method in another case',
    policy: ceiling({ method: 'get' }),
    request: { url: xApi(), amountAtomic: 50_001n },
    outcome: 'deny',
    reason: 'price_ceiling_exceeded',
  },
  {
    scenario: 'price ceiling with a wildcard host',
    policy: ceiling({ host: '*.x.com', path: undefined }),
    request: { url: xApi('/a/b'), amountAtomic: 50_001n },
    outcome: 'deny',
    reason: 'price_ceiling_exceeded',
  },
  // Approval threshold.
  {
    scenario: 'amount exactly at the approval threshold',
    policy: { approvalThreshold: { perAsset: [{ network: BASE, asset: USDC, aboveAtomic: '10000' }] } },
    outcome: 'allow',
  },
  {
    scenario: 'amount above the approval threshold',
    policy: { approvalThreshold: { perAsset: [{ network: BASE, asset: USDC, aboveAtomic: '9999' }] } },
    outcome: 'hold_for_approval',
    reason: 'approval_threshold_exceeded',
    index: 0,
  },
  {
    scenario: 'amount above the USD approval threshold',
    policy: { approvalThreshold: { aboveUsd: '0.0099' } },
    outcome: 'hold_for_approval',
    reason: 'approval_threshold_usd_exceeded',
    index: null,
  },
  {
    scenario: 'a deny beats the approval threshold',
    policy: { ...usdcCap('1'), approvalThreshold: { aboveUsd: '0' } },
    outcome: 'deny',
    reason: 'amount_exceeds_max_per_payment',
  },
  // Active hours (NOW is Wednesday 12:00 UTC, 13:00 in Berlin, 07:00 in New York).
  {
    scenario: 'inside Berlin office hours',
    policy: { activeHours: [{ timeZone: 'Europe/Berlin', days: ['wed'], from: '08:00', to: '20:00' }] },
    outcome: 'allow',
  },
  {
    scenario: 'before New York office hours',
    policy: { activeHours: [{ timeZone: 'America/New_York', days: ['wed'], from: '08:00', to: '20:00' }] },
    outcome: 'deny',
    reason: 'outside_active_hours',
    index: null,
  },
  {
    scenario: 'inside the second of two windows',
    policy: {
      activeHours: [
        { timeZone: 'America/New_York', days: ['wed'], from: '08:00', to: '20:00' },
        { timeZone: 'UTC', days: ['wed'], from: '11:00', to: '13:00' },
      ],
    },
    outcome: 'allow',
  },
  // Rate limits.
  {
    scenario: 'last payment the rate limit allows',
    policy: perMinute(3),
    usage: rateUsage(2),
    outcome: 'allow',
  },
  {
    scenario: 'rate limit reached',
    policy: perMinute(3),
    usage: rateUsage(3),
    outcome: 'deny',
    reason: 'rate_limit_exceeded',
    index: 0,
  },
  { scenario: 'rate limit of zero', policy: perMinute(0), outcome: 'deny', reason: 'rate_limit_exceeded' },
  // Budgets.
  {
    scenario: 'payment fills the budget exactly',
    policy: { budgets: [buildBudget()] },
    usage: budgetUsage(990_000n),
    outcome: 'allow',
  },
  {
    scenario: 'payment passes the budget by one',
    policy: { budgets: [buildBudget()] },
    usage: budgetUsage(990_001n),
    outcome: 'deny',
    reason: 'budget_exceeded',
    index: 0,
  },
  {
    scenario: 'budget of another asset is not touched',
    policy: { budgets: [buildBudget()] },
    usage: budgetUsage(10n ** 9n),
    request: { asset: OTHER_TOKEN },
    outcome: 'allow',
  },
  {
    scenario: 'lifetime budget exhausted',
    policy: { budgets: [buildBudget({ window: { kind: 'lifetime' } })] },
    usage: budgetUsage(1_000_000n),
    outcome: 'deny',
    reason: 'budget_exceeded',
  },
];

describe('evaluatePolicy: each rule kind', () => {
  it.each(ruleCases)('$scenario -> $outcome $reason', (ruleCase) => {
    const { policy, request, unpriced, usage, outcome, reason, index } = ruleCase;
    const decision = decide({
      agent: buildPolicy(policy),
      ...(usage === undefined ? {} : { usage }),
      ...(request === undefined ? {} : { request }),
      ...(unpriced === undefined ? {} : { unpriced }),
    });
    expect(decision.outcome).toBe(outcome);
    expect(decision.reason).toBe(reason ?? null);
    if (index !== undefined) expect(decision.rule?.index).toBe(index);
    if (outcome === 'allow') expect(decision.findings).toEqual([]);
  });

  it('allows everything without any policy', () => {
    expect(decide()).toEqual({
      outcome: 'allow',
      reason: null,
      rule: null,
      findings: [],
      budgets: [],
      rateLimits: [],
    });
  });

  it('names the budget that decided, with its id and level', () => {
    const agent = buildPolicy({
      budgets: [buildBudget({ id: 'roomy' }), buildBudget({ id: 'tight', limitAtomic: '1' })],
    });
    expect(decide({ agent }).rule).toEqual({ level: 'agent', kind: 'budgets', id: 'tight', index: 1 });
  });
});

describe('evaluatePolicy: reason precedence', () => {
  it('has a violating fragment for every reason, which alone yields exactly that reason', () => {
    for (const reason of POLICY_REASONS) {
      expect(decide({ agent: buildPolicy(VIOLATIONS[reason]) }).reason).toBe(reason);
    }
  });

  const pairs = POLICY_REASONS.flatMap((first, firstIndex) =>
    POLICY_REASONS.slice(firstIndex + 1).map((second) => ({ first, second })),
  );

  it.each(pairs)(
    '$first wins over $second (same level, either order in the document)',
    ({ first, second }) => {
      expect(
        decide({ agent: buildPolicy(mergeFragments(VIOLATIONS[second], VIOLATIONS[first])) }).reason,
      ).toBe(first);
      expect(
        decide({ agent: buildPolicy(mergeFragments(VIOLATIONS[first], VIOLATIONS[second])) }).reason,
      ).toBe(first);
    },
  );

  it.each(pairs)('$first wins over $second across levels', ({ first, second }) => {
    expect(
      decide({ org: buildPolicy(VIOLATIONS[second]), agent: buildPolicy(VIOLATIONS[first]) }),
    ).toMatchObject({
      reason: first,
      rule: { level: 'agent' },
    });
  });

  it('reports every failing rule in precedence order', () => {
    const agent = buildPolicy(mergeFragments(...POLICY_REASONS.map((reason) => VIOLATIONS[reason])));
    expect(decide({ agent }).findings.map((finding) => finding.reason)).toEqual([...POLICY_REASONS]);
  });

  it('reports the org rule when both levels fail for the same reason', () => {
    const policy = buildPolicy(VIOLATIONS.budget_exceeded);
    expect(decide({ org: policy, agent: policy }).rule).toEqual({
      level: 'org',
      kind: 'budgets',
      id: 'small',
      index: 0,
    });
  });

  it('lists every deny reason before every hold reason', () => {
    expect(POLICY_REASONS.slice(0, POLICY_DENY_REASONS.length)).toEqual([...POLICY_DENY_REASONS]);
  });
});

describe('evaluatePolicy: org and agent levels', () => {
  const deny = buildPolicy(VIOLATIONS.host_denied);
  const hold = buildPolicy(VIOLATIONS.approval_threshold_exceeded);
  const allow = buildPolicy({});

  it.each([
    { scenario: 'org denies, agent allows', org: deny, agent: allow, outcome: 'deny', level: 'org' },
    { scenario: 'org allows, agent denies', org: allow, agent: deny, outcome: 'deny', level: 'agent' },
    { scenario: 'org holds, agent denies', org: hold, agent: deny, outcome: 'deny', level: 'agent' },
    {
      scenario: 'org allows, agent holds',
      org: allow,
      agent: hold,
      outcome: 'hold_for_approval',
      level: 'agent',
    },
    { scenario: 'both allow', org: allow, agent: allow, outcome: 'allow', level: undefined },
  ])('$scenario -> $outcome', ({ org, agent, outcome, level }) => {
    const decision = decide({ org, agent });
    expect(decision.outcome).toBe(outcome);
    expect(decision.rule?.level).toBe(level);
  });

  it('counts org-wide spend for the org budget and the agent spend for the agent budget', () => {
    const org = buildPolicy({ budgets: [buildBudget({ id: 'org_daily', limitAtomic: '100000' })] });
    const agent = buildPolicy({ budgets: [buildBudget({ id: 'agent_daily', limitAtomic: '50000' })] });
    const usage = buildUsage({
      usedAtomicByBudgetKey: { 'org:budget:org_daily': 95_000n, 'agent:budget:agent_daily': 1_000n },
    });
    expect(decide({ org, agent, usage })).toMatchObject({
      outcome: 'deny',
      reason: 'budget_exceeded',
      rule: { level: 'org', id: 'org_daily' },
    });
  });
});

describe('evaluatePolicy: standings', () => {
  const org = buildPolicy({
    budgets: [buildBudget({ id: 'org_daily', limitAtomic: '100000' })],
    rateLimits: [{ id: 'org_rate', maxPayments: 10, windowSeconds: 60 }],
  });
  const agent = buildPolicy({
    budgets: [
      buildBudget({ id: 'agent_lifetime', limitAtomic: '30000', window: { kind: 'lifetime' } }),
      buildBudget({ id: 'other_asset', asset: { network: BASE, asset: OTHER_TOKEN } }),
    ],
  });
  const usage = buildUsage({
    usedAtomicByBudgetKey: { 'org:budget:org_daily': 40_000n, 'agent:budget:agent_lifetime': 15_000n },
    paymentCountByRateLimitKey: { 'org:rate_limit:org_rate': 4 },
  });

  it('reports remaining amounts after the payment when it is allowed', () => {
    const decision = decide({ org, agent, usage });
    expect(decision.outcome).toBe('allow');
    expect(decision.budgets).toEqual([
      {
        key: 'org:budget:org_daily',
        level: 'org',
        budgetId: 'org_daily',
        network: BASE,
        asset: USDC,
        window: { kind: 'rolling', durationSeconds: 86_400 },
        limitAtomic: 100_000n,
        usedAtomic: 40_000n,
        remainingAtomic: 50_000n,
      },
      {
        key: 'agent:budget:agent_lifetime',
        level: 'agent',
        budgetId: 'agent_lifetime',
        network: BASE,
        asset: USDC,
        window: { kind: 'lifetime' },
        limitAtomic: 30_000n,
        usedAtomic: 15_000n,
        remainingAtomic: 5_000n,
      },
    ]);
    expect(decision.rateLimits).toEqual([
      {
        key: 'org:rate_limit:org_rate',
        level: 'org',
        rateLimitId: 'org_rate',
        windowSeconds: 60,
        maxPayments: 10,
        usedCount: 4,
        remainingCount: 5,
      },
    ]);
  });

  it('reports remaining amounts before the payment when it is denied, for every budget touched', () => {
    const decision = decide({ org, agent, usage, request: { amountAtomic: 20_000n } });
    expect(decision).toMatchObject({
      outcome: 'deny',
      reason: 'budget_exceeded',
      rule: { id: 'agent_lifetime' },
    });
    expect(decision.budgets.map((budget) => [budget.budgetId, budget.remainingAtomic])).toEqual([
      ['org_daily', 60_000n],
      ['agent_lifetime', 15_000n],
    ]);
    expect(decision.rateLimits[0]?.remainingCount).toBe(6);
  });

  it('reports remaining amounts before the payment when it is held for approval', () => {
    const held = buildPolicy({ ...VIOLATIONS.approval_threshold_exceeded, budgets: [buildBudget()] });
    const decision = decide({ agent: held });
    expect(decision.outcome).toBe('hold_for_approval');
    expect(decision.budgets[0]?.remainingAtomic).toBe(1_000_000n);
  });

  it('never reports a negative remaining amount when usage already exceeds a lowered limit', () => {
    const decision = decide({
      agent: buildPolicy({ budgets: [buildBudget({ limitAtomic: '10' })] }),
      usage: budgetUsage(50n),
    });
    expect(decision.budgets[0]).toMatchObject({ usedAtomic: 50n, remainingAtomic: 0n });
  });
});

describe('evaluatePolicy: invalid input', () => {
  it.each([
    { scenario: 'relative URL', request: { url: '/v1/search' } },
    { scenario: 'non-http URL', request: { url: 'ftp://example.com/file' } },
    { scenario: 'javascript URL', request: { url: 'javascript:alert(1)' } },
    { scenario: 'URL longer than the bound', request: { url: `https://example.com/${'a'.repeat(9000)}` } },
    { scenario: 'negative amount', request: { amountAtomic: -1n } },
    { scenario: 'amount above uint256', request: { amountAtomic: 2n ** 256n } },
    {
      scenario: 'zero rate denominator',
      request: { usdRate: { usdPerUnit: { numerator: 1n, denominator: 0n }, decimals: 6 } },
    },
    {
      scenario: 'fractional decimals',
      request: { usdRate: { usdPerUnit: { numerator: 1n, denominator: 1n }, decimals: 6.5 } },
    },
  ])('refuses a request with a $scenario', ({ request }) => {
    expect(() => decide({ request })).toThrow(PaymentRequestInvalidError);
  });

  it('refuses an invalid clock', () => {
    expect(() => decide({ now: new Date(Number.NaN) })).toThrow(PaymentRequestInvalidError);
  });

  it('refuses negative usage of a touched budget', () => {
    const agent = buildPolicy({ budgets: [buildBudget()] });
    expect(() => decide({ agent, usage: budgetUsage(-1n) })).toThrow(UsageSnapshotInvalidError);
  });

  it('ignores inherited keys of the usage snapshot', () => {
    const agent = buildPolicy({ budgets: [buildBudget()] });
    const inherited = Object.create({ 'agent:budget:daily_usdc': 10n ** 9n }) as Record<string, bigint>;
    const usage = buildUsage({ usedAtomicByBudgetKey: inherited });
    const decision = evaluatePolicy({ agent, usage, request: buildRequest(), now: NOW });
    expect(decision).toMatchObject({ outcome: 'allow', budgets: [{ usedAtomic: 0n }] });
  });
});
