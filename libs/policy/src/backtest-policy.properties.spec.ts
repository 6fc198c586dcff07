// Goal: property-based evidence that a backtest under the policy that made the originals
// reproduces them (same engine, one agent, holds never released early), checked against a naive
// live simulation that recomputes usage from scratch for every payment; and that the replay is
// independent of the order payments are given in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { type BacktestPayment, type BacktestPriorHold, backtestPolicy } from './backtest-policy';
import { budgetChecksFor, rateLimitChecksFor, windowStart } from './budget-checks';
import { evaluatePolicy } from './evaluate-policy';
import type { PaymentRequest } from './payment-request';
import type { UsageSnapshot } from './policy-decision';
import { type PolicyDocument, parsePolicyDocument } from './policy-document.schema';
import { BASE, OTHER_TOKEN, USDC, buildRequest } from './policy.test-builders';

const START_MS = Date.parse('2026-01-14T00:00:00Z');
const ASSETS = [USDC, OTHER_TOKEN];
const windowArbitrary = fc.constantFrom(
  { kind: 'lifetime' },
  { kind: 'rolling', durationSeconds: 600 },
  { kind: 'rolling', durationSeconds: 3600 },
);

const documentArbitrary: fc.Arbitrary<PolicyDocument | undefined> = fc.option(
  fc
    .record(
      {
        budgets: fc.uniqueArray(
          fc.record({
            id: fc.constantFrom('b0', 'b1', 'b2'),
            asset: fc.constantFrom(...ASSETS).map((asset) => ({ network: BASE, asset })),
            limitAtomic: fc.bigInt({ min: 0n, max: 200_000n }).map(String),
            window: windowArbitrary,
          }),
          { selector: (budget) => budget.id, maxLength: 3 },
        ),
        rateLimits: fc.uniqueArray(
          fc.record({
            id: fc.constantFrom('r0', 'r1'),
            maxPayments: fc.integer({ min: 0, max: 6 }),
            windowSeconds: fc.constantFrom(60, 900),
          }),
          { selector: (limit) => limit.id, maxLength: 2 },
        ),
        hosts: fc.constant({ deny: ['bad.example.org'] }),
        approvalThreshold: fc
          .bigInt({ min: 0n, max: 60_000n })
          .map((above) => ({ perAsset: [{ network: BASE, asset: USDC, aboveAtomic: String(above) }] })),
      },
      { requiredKeys: [] },
    )
    .map((document) => parsePolicyDocument(document)),
  { nil: undefined },
);

const paymentsArbitrary: fc.Arbitrary<{ createdAt: Date; request: PaymentRequest }[]> = fc
  .array(
    fc.record({
      // Multiples of a minute land exactly on window boundaries often, where off-by-ones hide.
      offsetSeconds: fc.oneof(
        fc.integer({ min: 0, max: 4 * 3600 }),
        fc.integer({ min: 0, max: 30 }).map((minutes) => minutes * 60),
      ),
      host: fc.constantFrom('api.example.com', 'bad.example.org'),
      asset: fc.constantFrom(...ASSETS),
      amountAtomic: fc.bigInt({ min: 1n, max: 50_000n }),
    }),
    { maxLength: 40 },
  )
  .map((entries) =>
    entries.map(({ offsetSeconds, host, asset, amountAtomic }) => ({
      createdAt: new Date(START_MS + offsetSeconds * 1000),
      request: buildRequest({ url: `https://${host}/v1/x`, asset, amountAtomic }),
    })),
  );

const priorHoldsArbitrary: fc.Arbitrary<BacktestPriorHold[]> = fc
  .array(
    fc.record({
      offsetSeconds: fc.integer({ min: 1, max: 2 * 60 }).map((minutes) => minutes * 60),
      asset: fc.constantFrom(...ASSETS),
      amountAtomic: fc.bigInt({ min: 1n, max: 50_000n }),
    }),
    { maxLength: 5 },
  )
  .map((entries) =>
    entries.map(({ offsetSeconds, asset, amountAtomic }) => ({
      createdAt: new Date(START_MS - offsetSeconds * 1000),
      network: BASE,
      asset,
      amountAtomic,
    })),
  );

interface Hold {
  readonly createdAt: Date;
  readonly network: string;
  readonly asset: string;
  readonly amountAtomic: bigint;
}

/** The usage the ledger would report at `now`: every hold created in each window, summed anew. */
function naiveUsage(params: {
  org: PolicyDocument | undefined;
  agent: PolicyDocument | undefined;
  holds: readonly Hold[];
  now: Date;
}): UsageSnapshot {
  const { org, agent, holds, now } = params;
  const inWindow = (hold: Hold, start: Date | null) =>
    hold.createdAt.getTime() <= now.getTime() && (start === null || hold.createdAt >= start);
  const usedAtomicByBudgetKey: Record<string, bigint> = {};
  for (const asset of ASSETS) {
    for (const check of budgetChecksFor({ org, agent, request: { network: BASE, asset } })) {
      const start = windowStart({ window: check.window, now });
      usedAtomicByBudgetKey[check.key] = holds
        .filter((hold) => hold.asset === asset && inWindow(hold, start))
        .reduce((sum, hold) => sum + hold.amountAtomic, 0n);
    }
  }
  const paymentCountByRateLimitKey: Record<string, number> = {};
  for (const check of rateLimitChecksFor({ org, agent })) {
    const start = new Date(now.getTime() - check.windowSeconds * 1000);
    paymentCountByRateLimitKey[check.key] = holds.filter((hold) => inWindow(hold, start)).length;
  }
  return { usedAtomicByBudgetKey, paymentCountByRateLimitKey };
}

/** What the live service would have decided, one payment at a time, as the originals. */
function liveOriginals(params: {
  org: PolicyDocument | undefined;
  agent: PolicyDocument | undefined;
  priorHolds: readonly Hold[];
  payments: readonly { createdAt: Date; request: PaymentRequest }[];
}): BacktestPayment[] {
  const { org, agent } = params;
  const holds: Hold[] = [...params.priorHolds];
  const ordered = params.payments
    .map((payment, index) => ({ ...payment, id: `p${String(index).padStart(3, '0')}` }))
    .sort(
      (left, right) => left.createdAt.getTime() - right.createdAt.getTime() || (left.id < right.id ? -1 : 1),
    );
  return ordered.map((payment) => {
    const usage = naiveUsage({ org, agent, holds, now: payment.createdAt });
    const decision = evaluatePolicy({ org, agent, usage, request: payment.request, now: payment.createdAt });
    if (decision.outcome === 'allow') holds.push({ createdAt: payment.createdAt, ...payment.request });
    return { ...payment, original: { outcome: decision.outcome, reason: decision.reason } };
  });
}

describe('backtestPolicy properties', () => {
  it('reproduces every original decision under the policy that made it', () => {
    fc.assert(
      fc.property(
        documentArbitrary,
        documentArbitrary,
        priorHoldsArbitrary,
        paymentsArbitrary,
        (org, agent, priorHolds, payments) => {
          const originals = liveOriginals({ org, agent, priorHolds, payments });
          const result = backtestPolicy({ org, agent, priorHolds, payments: originals, changesMax: 1000 });
          expect(result.changes.map((change) => change.payment.id)).toEqual([]);
          expect(result.totals.draftAllowed).toBe(result.totals.originalAllowed);
          expect(result.totals.replayed).toBe(payments.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order payments are given in', () => {
    fc.assert(
      fc.property(documentArbitrary, paymentsArbitrary, documentArbitrary, (original, payments, draft) => {
        const originals = liveOriginals({ org: undefined, agent: original, priorHolds: [], payments });
        const forward = backtestPolicy({ agent: draft, payments: originals, changesMax: 1000 });
        const backward = backtestPolicy({
          agent: draft,
          payments: [...originals].reverse(),
          changesMax: 1000,
        });
        expect(backward).toEqual(forward);
      }),
      { numRuns: 200 },
    );
  });
});
