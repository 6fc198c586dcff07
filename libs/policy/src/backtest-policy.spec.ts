// Goal: the backtest replays payments chronologically under a draft, feeding each allowed payment
// back into the simulated usage (budgets, rate limits, rolling windows, prior holds), and reports
// exactly the payments whose outcome or reason changes, with per-asset totals and bounded lists.
import { describe, expect, it } from 'vitest';

import { type BacktestPayment, type BacktestPolicyParams, backtestPolicy } from './backtest-policy';
import type { PolicyDecision } from './policy-decision';
import { BASE, OTHER_TOKEN, USDC, buildBudget, buildPolicy, buildRequest } from './policy.test-builders';

const START = new Date('2026-01-14T12:00:00Z');
const MINUTE_MS = 60_000;

/** A payment `minutes` after START that was originally allowed, unless said otherwise. */
function buildPayment(
  minutes: number,
  overrides: {
    id?: string;
    url?: string;
    amountAtomic?: bigint;
    asset?: string;
    original?: { outcome: PolicyDecision['outcome']; reason: string | null };
  } = {},
): BacktestPayment {
  const { id, url, amountAtomic, asset, original } = overrides;
  return {
    id: id ?? `p${String(minutes).padStart(4, '0')}`,
    createdAt: new Date(START.getTime() + minutes * MINUTE_MS),
    request: buildRequest({
      ...(url === undefined ? {} : { url }),
      ...(amountAtomic === undefined ? {} : { amountAtomic }),
      ...(asset === undefined ? {} : { asset }),
    }),
    original: original ?? { outcome: 'allow', reason: null },
  };
}

function run(params: Partial<BacktestPolicyParams> & Pick<BacktestPolicyParams, 'payments'>) {
  return backtestPolicy({ changesMax: 200, ...params });
}

const changedIds = (result: ReturnType<typeof backtestPolicy>) =>
  result.changes.map((change) => [change.payment.id, change.decision.reason]);

describe('backtestPolicy', () => {
  it('reports nothing changed when the draft allows what was allowed', () => {
    const result = run({ payments: [buildPayment(0), buildPayment(1)] });
    expect(result.totals).toEqual({
      replayed: 2,
      originalAllowed: 2,
      draftAllowed: 2,
      draftDenied: 0,
      draftHeldForApproval: 0,
      changed: 0,
    });
    expect(result.changes).toEqual([]);
  });

  it('denies payments to a denied host, whatever the order they are given in', () => {
    const payments = [
      buildPayment(2, { url: 'https://bad.example.org/x' }),
      buildPayment(0),
      buildPayment(1, { url: 'https://bad.example.org/y' }),
    ];
    const result = run({ agent: buildPolicy({ hosts: { deny: ['bad.example.org'] } }), payments });
    expect(changedIds(result)).toEqual([
      ['p0001', 'host_denied'],
      ['p0002', 'host_denied'],
    ]);
    expect(result.changes[0]?.decision.rule).toEqual({ level: 'agent', kind: 'hosts', index: 0 });
  });

  it('counts only the draft-allowed payments against a budget, so a denial frees room for later ones', () => {
    // 60_000 of budget: 40k fits, 30k does not (70k), 20k fits (60k), then 10k does not.
    const agent = buildPolicy({ budgets: [buildBudget({ id: 'small', limitAtomic: '60000' })] });
    const payments = [40_000n, 30_000n, 20_000n, 10_000n].map((amountAtomic, minutes) =>
      buildPayment(minutes, { amountAtomic }),
    );
    const result = run({ agent, payments });
    expect(changedIds(result)).toEqual([
      ['p0001', 'budget_exceeded'],
      ['p0003', 'budget_exceeded'],
    ]);
    expect(result.assets).toEqual([
      {
        network: BASE,
        asset: USDC.toLowerCase(),
        originalAllowedAtomic: 100_000n,
        draftAllowedAtomic: 60_000n,
      },
    ]);
    expect(result.changes[1]?.decision.budgets[0]).toMatchObject({
      usedAtomic: 60_000n,
      remainingAtomic: 0n,
    });
  });

  it('slides rolling windows with each payment time', () => {
    const agent = buildPolicy({
      budgets: [
        buildBudget({
          id: 'hourly',
          limitAtomic: '10000',
          window: { kind: 'rolling', durationSeconds: 3600 },
        }),
      ],
    });
    // 0: fits; 30: over (in the same hour); 60: the first is exactly an hour old, still in; 61: out.
    const payments = [0, 30, 60, 61].map((minutes) => buildPayment(minutes));
    expect(changedIds(run({ agent, payments }))).toEqual([
      ['p0030', 'budget_exceeded'],
      ['p0060', 'budget_exceeded'],
    ]);
  });

  it('applies rate limits to the draft-allowed payments only', () => {
    const agent = buildPolicy({
      hosts: { deny: ['bad.example.org'] },
      rateLimits: [{ id: 'two_per_minute', maxPayments: 2, windowSeconds: 60 }],
    });
    const payments = [
      buildPayment(0, { id: 'a' }),
      buildPayment(0, { id: 'b', url: 'https://bad.example.org/' }),
      buildPayment(0, { id: 'c' }),
      buildPayment(0, { id: 'd' }),
      // 90 seconds later a and c have left the 60-second window.
      buildPayment(1.5, { id: 'e' }),
    ];
    expect(changedIds(run({ agent, payments }))).toEqual([
      ['b', 'host_denied'],
      ['d', 'rate_limit_exceeded'],
    ]);
  });

  it('counts prior holds in the windows they fall in and lets them age out', () => {
    const agent = buildPolicy({
      budgets: [
        buildBudget({
          id: 'hourly',
          limitAtomic: '15000',
          window: { kind: 'rolling', durationSeconds: 3600 },
        }),
      ],
    });
    const priorHolds = [
      {
        createdAt: new Date(START.getTime() - 30 * MINUTE_MS),
        network: BASE,
        asset: USDC,
        amountAtomic: 10_000n,
      },
    ];
    const payments = [buildPayment(0), buildPayment(31)];
    expect(changedIds(run({ agent, payments, priorHolds }))).toEqual([['p0000', 'budget_exceeded']]);
  });

  it('keeps budgets per asset and reports amounts per asset', () => {
    const agent = buildPolicy({ budgets: [buildBudget({ id: 'usdc', limitAtomic: '10000' })] });
    const payments = [buildPayment(0), buildPayment(1, { asset: OTHER_TOKEN }), buildPayment(2)];
    const result = run({ agent, payments });
    expect(changedIds(result)).toEqual([['p0002', 'budget_exceeded']]);
    expect(result.assets).toEqual([
      {
        network: BASE,
        asset: USDC.toLowerCase(),
        originalAllowedAtomic: 20_000n,
        draftAllowedAtomic: 10_000n,
      },
      {
        network: BASE,
        asset: OTHER_TOKEN.toLowerCase(),
        originalAllowedAtomic: 10_000n,
        draftAllowedAtomic: 10_000n,
      },
    ]);
  });

  it('reports a payment whose reason changed although its outcome did not', () => {
    const payments = [buildPayment(0, { original: { outcome: 'deny', reason: 'budget_exceeded' } })];
    const result = run({ org: buildPolicy({ hosts: { deny: ['api.example.com'] } }), payments });
    expect(result.totals).toMatchObject({ originalAllowed: 0, draftDenied: 1, changed: 1 });
    expect(changedIds(result)).toEqual([['p0000', 'host_denied']]);
  });

  it('lets a payment held for approval add nothing to the simulated usage', () => {
    const agent = buildPolicy({
      budgets: [buildBudget({ id: 'small', limitAtomic: '10000' })],
      approvalThreshold: { perAsset: [{ network: BASE, asset: USDC, aboveAtomic: '5000' }] },
    });
    const payments = [buildPayment(0), buildPayment(1, { amountAtomic: 5000n })];
    const result = run({ agent, payments });
    expect(changedIds(result)).toEqual([['p0000', 'approval_threshold_exceeded']]);
    expect(result.totals).toMatchObject({ draftAllowed: 1, draftHeldForApproval: 1 });
  });

  it('counts every change but lists at most changesMax of them', () => {
    const payments = [0, 1, 2].map((minutes) => buildPayment(minutes));
    const result = run({
      agent: buildPolicy({ hosts: { deny: ['*.example.com'] } }),
      payments,
      changesMax: 2,
    });
    expect(result.totals.changed).toBe(3);
    expect(result.changes).toHaveLength(2);
    expect(result.changesTruncated).toBe(true);
  });
});
