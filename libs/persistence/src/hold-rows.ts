// How holds and checks cross the SQL boundary: money as decimal strings (never a JS number), times
// as ISO strings, checks as jsonb with each window's length in seconds. The SQL functions measure
// windows back from their own `now` (the database clock unless a test passes one), so a window's
// start never depends on the clock of the process that sent the check.
import {
  assertHoldInvariants,
  type BudgetCheck,
  budgetStandingOf,
  type Hold,
  type HoldStatus,
  type RateLimitCheck,
  rateLimitStandingOf,
  type Standings,
} from '@proco/ledger';
import { Prisma } from './generated/prisma/client';

/** A `holds` row as the store selects it (`HOLD_COLUMNS`). */
export interface HoldRow {
  readonly id: string;
  readonly org_id: string;
  readonly agent_id: string;
  readonly payment_id: string;
  readonly network: string;
  readonly asset: string;
  readonly amount: string;
  readonly posted_amount: string | null;
  readonly status: HoldStatus;
  readonly created_at: Date;
  readonly expires_at: Date;
  readonly resolved_at: Date | null;
  readonly resolution_reason: string | null;
}

/** The select list that produces a `HoldRow` (numerics and enums as text, ids as text). */
export const HOLD_COLUMNS = Prisma.sql`"id"::text AS id, "org_id"::text AS org_id,
  "agent_id"::text AS agent_id, "payment_id"::text AS payment_id, "network", "asset",
  "amount"::text AS amount, "posted_amount"::text AS posted_amount, "status"::text AS status,
  "created_at", "expires_at", "resolved_at", "resolution_reason"`;

/** A stored hold, checked against the ledger's invariants as it is read back. */
export function toHold(row: HoldRow): Hold {
  return assertHoldInvariants({
    id: row.id,
    orgId: row.org_id,
    agentId: row.agent_id,
    paymentId: row.payment_id,
    network: row.network,
    asset: row.asset,
    amountAtomic: BigInt(row.amount),
    postedAmountAtomic: row.posted_amount === null ? null : BigInt(row.posted_amount),
    status: row.status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    resolvedAt: row.resolved_at,
    resolutionReason: row.resolution_reason,
  });
}

/** Parameters of `checksJson`. */
export interface ChecksJsonParams {
  readonly checks: readonly BudgetCheck[];
  readonly rateLimits: readonly RateLimitCheck[];
  /**
   * Not sent: the SQL functions take `now` as an argument of their own. Accepted so callers that
   * pass the whole reserve or usage parameters keep compiling.
   */
  readonly now?: Date | null | undefined;
}

/**
 * The two jsonb arguments of `proco_reserve_hold` and `proco_hold_usage`: budgets as
 * `{key, scope, network, asset, limitAtomic: decimal string, windowSeconds: integer | null}` (null:
 * lifetime), rate limits as `{key, scope, maxPayments, windowSeconds}`. The functions count holds
 * created at or after `now - windowSeconds`, as `windowStartOf` defines a window's start.
 */
export function checksJson({ checks, rateLimits }: ChecksJsonParams): {
  budgets: string;
  rateLimits: string;
} {
  return {
    budgets: JSON.stringify(
      checks.map((check) => ({
        key: check.key,
        scope: check.scope,
        network: check.network,
        asset: check.asset,
        limitAtomic: check.limitAtomic.toString(),
        windowSeconds: check.window.kind === 'lifetime' ? null : check.window.durationSeconds,
      })),
    ),
    rateLimits: JSON.stringify(
      rateLimits.map((check) => ({
        key: check.key,
        scope: check.scope,
        maxPayments: check.maxPayments,
        windowSeconds: check.windowSeconds,
      })),
    ),
  };
}

/** One check's usage as the SQL functions report it. */
export interface UsageEntry {
  readonly kind: 'budget' | 'rate_limit';
  readonly key: string;
  /** Decimal string: atomic units for a budget, payments for a rate limit. */
  readonly used: string;
}

/** Parameters of `standingsOf`. */
export interface StandingsOfParams extends Omit<ChecksJsonParams, 'now'> {
  readonly usage: readonly UsageEntry[];
  /** The reserved hold's amount, or null when nothing was reserved. */
  readonly reservedAtomic: bigint | null;
}

/** Every check's standing, in the order the checks were given, from the SQL usage entries. */
export function standingsOf({ checks, rateLimits, usage, reservedAtomic }: StandingsOfParams): Standings {
  const usedByKey = new Map(usage.map((entry) => [entry.key, BigInt(entry.used)]));
  const usedOf = (key: string): bigint => {
    const used = usedByKey.get(key);
    if (used === undefined) throw new Error(`The store reported no usage for check ${key}.`);
    return used;
  };
  return {
    budgets: checks.map((check) =>
      budgetStandingOf({ check, usedAtomic: usedOf(check.key), addedAtomic: reservedAtomic ?? 0n }),
    ),
    rateLimits: rateLimits.map((check) =>
      rateLimitStandingOf({
        check,
        usedCount: Number(usedOf(check.key)),
        addedCount: reservedAtomic === null ? 0 : 1,
      }),
    ),
  };
}
