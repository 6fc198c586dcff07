import { type BacktestPolicyResult, type PolicyDecision } from '@proco/policy';

/** Which document a level was replayed under. */
export type BacktestPolicySource = 'draft' | 'current' | 'none';

/** One payment whose decision would change under the draft. */
export interface BacktestChangeView {
  readonly paymentId: string;
  readonly createdAt: string;
  readonly url: string;
  readonly method: string;
  readonly amount: string;
  readonly asset: string;
  readonly network: string;
  readonly original: { readonly status: string; readonly outcome: string; readonly reason: string | null };
  readonly draft: {
    readonly outcome: PolicyDecision['outcome'];
    readonly reason: string | null;
    readonly rule: PolicyDecision['rule'];
  };
}

/** The answer of `POST /v1/policies/backtest`; amounts are decimal strings of atomic units. */
export interface BacktestView {
  readonly agentId: string;
  /** Budgets and rate limits, org level included, only saw this agent's payments. */
  readonly scope: 'agent_payments_only';
  readonly evaluatedAt: string;
  /** The replayed period: `days` days up to `evaluatedAt` (later if payments were truncated). */
  readonly from: string;
  readonly to: string;
  readonly policies: { readonly org: BacktestPolicySource; readonly agent: BacktestPolicySource };
  readonly totals: {
    readonly replayed: number;
    /** Recorded without a decided requirement (no network, asset or amount), so not replayed. */
    readonly skipped: number;
    readonly originallyAuthorized: number;
    readonly originallyAllowed: number;
    readonly wouldBeAllowed: number;
    readonly wouldBeDenied: number;
    readonly wouldBeHeldForApproval: number;
    readonly changed: number;
  };
  readonly assets: readonly {
    readonly network: string;
    readonly asset: string;
    readonly originallyAllowed: string;
    readonly wouldBeAllowed: string;
  }[];
  readonly changes: readonly BacktestChangeView[];
  /** More payments changed than are listed. */
  readonly changesTruncated: boolean;
  /** The period held more payments than a backtest replays; the oldest ones were left out. */
  readonly paymentsTruncated: boolean;
  /** Holds from before the period were capped; budgets may have seen less prior spend. */
  readonly priorHoldsTruncated: boolean;
}

/** Totals and changes of the pure replay, joined with what was recorded about each payment. */
export function toBacktestTotalsView(params: {
  result: BacktestPolicyResult;
  /** The recorded status of each replayed payment, by id. */
  statusById: ReadonlyMap<string, string>;
  skipped: number;
  originallyAuthorized: number;
}): Pick<BacktestView, 'totals' | 'assets' | 'changes' | 'changesTruncated'> {
  const { result, statusById } = params;
  return {
    totals: {
      replayed: result.totals.replayed,
      skipped: params.skipped,
      originallyAuthorized: params.originallyAuthorized,
      originallyAllowed: result.totals.originalAllowed,
      wouldBeAllowed: result.totals.draftAllowed,
      wouldBeDenied: result.totals.draftDenied,
      wouldBeHeldForApproval: result.totals.draftHeldForApproval,
      changed: result.totals.changed,
    },
    assets: result.assets.map((total) => ({
      network: total.network,
      asset: total.asset,
      originallyAllowed: total.originalAllowedAtomic.toString(),
      wouldBeAllowed: total.draftAllowedAtomic.toString(),
    })),
    changes: result.changes.map(({ payment, decision }): BacktestChangeView => {
      return {
        paymentId: payment.id,
        createdAt: payment.createdAt.toISOString(),
        url: payment.request.url,
        method: payment.request.method,
        amount: payment.request.amountAtomic.toString(),
        asset: payment.request.asset,
        network: payment.request.network,
        original: {
          status: statusById.get(payment.id) ?? 'unknown',
          outcome: payment.original.outcome,
          reason: payment.original.reason,
        },
        draft: { outcome: decision.outcome, reason: decision.reason, rule: decision.rule },
      };
    }),
    changesTruncated: result.changesTruncated,
  };
}
