import { budgetKey, budgetTouches, levelsOf, rateLimitKey } from './budget-checks';
import { evaluatePolicy } from './evaluate-policy';
import type { PaymentRequest } from './payment-request';
import type { PolicyDecision, UsageSnapshot } from './policy-decision';
import type { BudgetWindow, PolicyDocument } from './policy-document.schema';

const MILLISECONDS_PER_SECOND = 1000;

/** A recorded payment to replay: what was paid for, when, and what was decided at the time. */
export interface BacktestPayment {
  readonly id: string;
  /** When the payment was decided; the replay evaluates it at exactly this instant. */
  readonly createdAt: Date;
  readonly request: PaymentRequest;
  readonly original: {
    readonly outcome: PolicyDecision['outcome'];
    readonly reason: string | null;
  };
}

/** Spend made before the replayed period, counted as it happened whatever the draft says. */
export interface BacktestPriorHold {
  readonly createdAt: Date;
  readonly network: string;
  readonly asset: string;
  readonly amountAtomic: bigint;
}

/** Parameters of `backtestPolicy`. */
export interface BacktestPolicyParams {
  /** The org policy to test; its budgets and rate limits see only the payments given here. */
  readonly org?: PolicyDocument | undefined;
  readonly agent?: PolicyDocument | undefined;
  /** The payments to replay, in any order; they are replayed by `createdAt`, then `id`. */
  readonly payments: readonly BacktestPayment[];
  /** Holds from before the replayed period that still count in the draft's windows. */
  readonly priorHolds?: readonly BacktestPriorHold[];
  /** At most this many changed payments are listed (all are counted). */
  readonly changesMax: number;
}

/** A payment whose decision under the draft differs from the original one. */
export interface BacktestChange {
  readonly payment: BacktestPayment;
  readonly decision: PolicyDecision;
}

/** Amounts of one asset, originally allowed and allowed under the draft. */
export interface BacktestAssetTotal {
  readonly network: string;
  /** Lower-cased, so that one token is one row whatever the casing of its records. */
  readonly asset: string;
  readonly originalAllowedAtomic: bigint;
  readonly draftAllowedAtomic: bigint;
}

/** The result of `backtestPolicy`. */
export interface BacktestPolicyResult {
  readonly totals: {
    readonly replayed: number;
    readonly originalAllowed: number;
    readonly draftAllowed: number;
    readonly draftDenied: number;
    readonly draftHeldForApproval: number;
    readonly changed: number;
  };
  readonly assets: readonly BacktestAssetTotal[];
  /** The first `changesMax` changed payments, in replay order. */
  readonly changes: readonly BacktestChange[];
  readonly changesTruncated: boolean;
}

/**
 * Replays recorded payments in chronological order under draft policies, with a simulated usage
 * snapshot that evolves with the draft's own decisions: every payment the draft allows becomes a
 * simulated hold of its full amount, and each payment is evaluated at its `createdAt`, so rolling
 * windows slide exactly as they would have. A payment changes when the draft's outcome or reason
 * differs from the original one.
 *
 * Scope: usage is built from the payments and prior holds given, so org-level budgets see one
 * agent's spend only. Simulated holds never void, expire or post for less, and a payment held for
 * approval adds nothing (its hold would be made at approval time). Under the policy that made the
 * originals, with no other agent spending and no hold released early, the replay reproduces every
 * original decision (see `backtest-policy.properties.spec.ts`).
 * Throws what `evaluatePolicy` throws for a malformed request.
 */
export function backtestPolicy(params: BacktestPolicyParams): BacktestPolicyResult {
  const { org, agent } = params;
  const counters = countersOf({ org, agent });
  const totals = {
    replayed: 0,
    originalAllowed: 0,
    draftAllowed: 0,
    draftDenied: 0,
    draftHeldForApproval: 0,
    changed: 0,
  };
  const assets = new Map<string, { network: string; asset: string; original: bigint; draft: bigint }>();
  const changes: BacktestChange[] = [];
  for (const event of eventsOf(params)) {
    if (event.kind === 'prior') {
      addHold(counters, { ...event.hold, atMs: event.hold.createdAt.getTime() });
      continue;
    }
    const { payment } = event;
    const atMs = payment.createdAt.getTime();
    const decision = evaluatePolicy({
      org,
      agent,
      usage: usageAt(counters, atMs),
      request: payment.request,
      now: payment.createdAt,
    });
    const { network, asset, amountAtomic } = payment.request;
    const total = assetTotalOf(assets, { network, asset });
    totals.replayed += 1;
    if (payment.original.outcome === 'allow') {
      totals.originalAllowed += 1;
      total.original += amountAtomic;
    }
    if (decision.outcome === 'allow') {
      totals.draftAllowed += 1;
      total.draft += amountAtomic;
      addHold(counters, { network, asset, amountAtomic, atMs });
    } else if (decision.outcome === 'deny') {
      totals.draftDenied += 1;
    } else {
      totals.draftHeldForApproval += 1;
    }
    if (decision.outcome !== payment.original.outcome || decision.reason !== payment.original.reason) {
      totals.changed += 1;
      if (changes.length < params.changesMax) changes.push({ payment, decision });
    }
  }
  return {
    totals,
    assets: [...assets.values()].map((total) => ({
      network: total.network,
      asset: total.asset,
      originalAllowedAtomic: total.original,
      draftAllowedAtomic: total.draft,
    })),
    changes,
    changesTruncated: totals.changed > changes.length,
  };
}

type ReplayEvent =
  | { readonly kind: 'prior'; readonly hold: BacktestPriorHold }
  | { readonly kind: 'payment'; readonly payment: BacktestPayment };

/** Prior holds and payments in one chronological stream; on a tie a prior hold goes first. */
function eventsOf(params: BacktestPolicyParams): ReplayEvent[] {
  const events: ReplayEvent[] = [
    ...(params.priorHolds ?? []).map((hold): ReplayEvent => ({ kind: 'prior', hold })),
    ...params.payments.map((payment): ReplayEvent => ({ kind: 'payment', payment })),
  ];
  return events.sort((left, right) => {
    const byTime = timeOf(left) - timeOf(right);
    if (byTime !== 0) return byTime;
    if (left.kind !== right.kind) return left.kind === 'prior' ? -1 : 1;
    if (left.kind === 'payment' && right.kind === 'payment') {
      return left.payment.id < right.payment.id ? -1 : left.payment.id > right.payment.id ? 1 : 0;
    }
    return 0;
  });
}

function timeOf(event: ReplayEvent): number {
  return event.kind === 'prior' ? event.hold.createdAt.getTime() : event.payment.createdAt.getTime();
}

/**
 * A running total over a window that only slides forward: entries arrive in time order and leave
 * from the head once they fall before the window's start, so a whole replay is linear.
 */
interface WindowCounter {
  readonly key: string;
  /** Null for a lifetime window. */
  readonly durationMs: number | null;
  /** Which holds count: a budget counts its asset's amounts, a rate limit every hold as one. */
  readonly weigh: (hold: SimulatedHold) => bigint;
  readonly entries: { atMs: number; weight: bigint }[];
  head: number;
  total: bigint;
}

interface SimulatedHold {
  readonly network: string;
  readonly asset: string;
  readonly amountAtomic: bigint;
  readonly atMs: number;
}

interface Counters {
  readonly budgets: WindowCounter[];
  readonly rateLimits: WindowCounter[];
}

function countersOf({
  org,
  agent,
}: {
  org?: PolicyDocument | undefined;
  agent?: PolicyDocument | undefined;
}): Counters {
  const budgets: WindowCounter[] = [];
  const rateLimits: WindowCounter[] = [];
  for (const { level, document } of levelsOf({ org, agent })) {
    for (const budget of document.budgets ?? []) {
      budgets.push(
        counterOf({
          key: budgetKey({ level, budgetId: budget.id }),
          durationMs: durationOf(budget.window),
          weigh: (hold) =>
            budgetTouches({ budget, network: hold.network, asset: hold.asset }) ? hold.amountAtomic : 0n,
        }),
      );
    }
    for (const rateLimit of document.rateLimits ?? []) {
      rateLimits.push(
        counterOf({
          key: rateLimitKey({ level, rateLimitId: rateLimit.id }),
          durationMs: rateLimit.windowSeconds * MILLISECONDS_PER_SECOND,
          weigh: () => 1n,
        }),
      );
    }
  }
  return { budgets, rateLimits };
}

function counterOf(params: Pick<WindowCounter, 'key' | 'durationMs' | 'weigh'>): WindowCounter {
  return { ...params, entries: [], head: 0, total: 0n };
}

function durationOf(window: BudgetWindow): number | null {
  return window.kind === 'lifetime' ? null : window.durationSeconds * MILLISECONDS_PER_SECOND;
}

function addHold(counters: Counters, hold: SimulatedHold): void {
  for (const counter of [...counters.budgets, ...counters.rateLimits]) {
    const weight = counter.weigh(hold);
    if (weight === 0n) continue;
    counter.entries.push({ atMs: hold.atMs, weight });
    counter.total += weight;
  }
}

/** Usage at an instant: holds created at or after each window's start (as the ledger counts). */
function usageAt(counters: Counters, atMs: number): UsageSnapshot {
  const totalOf = (counter: WindowCounter): bigint => {
    if (counter.durationMs !== null) {
      const startMs = atMs - counter.durationMs;
      for (let entry = counter.entries[counter.head]; entry !== undefined && entry.atMs < startMs;) {
        counter.total -= entry.weight;
        counter.head += 1;
        entry = counter.entries[counter.head];
      }
    }
    return counter.total;
  };
  return {
    usedAtomicByBudgetKey: Object.fromEntries(
      counters.budgets.map((counter) => [counter.key, totalOf(counter)]),
    ),
    paymentCountByRateLimitKey: Object.fromEntries(
      counters.rateLimits.map((counter) => [counter.key, Number(totalOf(counter))]),
    ),
  };
}

function assetTotalOf(
  totals: Map<string, { network: string; asset: string; original: bigint; draft: bigint }>,
  ref: { network: string; asset: string },
): { network: string; asset: string; original: bigint; draft: bigint } {
  const asset = ref.asset.toLowerCase();
  const key = `${ref.network}|${asset}`;
  let total = totals.get(key);
  if (total === undefined) {
    total = { network: ref.network, asset, original: 0n, draft: 0n };
    totals.set(key, total);
  }
  return total;
}
