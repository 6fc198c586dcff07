import { Injectable } from '@nestjs/common';
import {
  EXPIRE_BATCH_SIZE_MAX,
  type ExpireDueParams,
  type ExpireDueResult,
  HOLD_EXPIRED_REASON,
  hasRoom,
  type Hold,
  HoldConflictError,
  HoldInvariantViolatedError,
  type HoldStore,
  type HoldTransitionResult,
  LedgerError,
  type PostParams,
  PostAmountNotPositiveError,
  postHold,
  type ReserveParams,
  type ReserveResult,
  type Standings,
  type UsageParams,
  validateReserveParams,
  validateUsageParams,
  type VoidParams,
  assertVoidReason,
  voidHold,
} from '@proco/ledger';
import { AuditLogRepository } from './audit-log.repository';
import { Prisma } from './generated/prisma/client';
import { checksJson, HOLD_COLUMNS, type HoldRow, standingsOf, toHold, type UsageEntry } from './hold-rows';
import { PrismaService } from './prisma.service';
import { type Transaction } from './transaction';
import { errorCodesOf, withTransientRetry } from './transient-retry';

/**
 * Advisory-lock classes (first key of the two-key form) of `proco_reserve_hold`; the SQL function
 * spells the same numbers. Org locks are always taken before agent locks.
 */
export const HOLD_ORG_LOCK_CLASS = 0x686f6c64; // "hold"
export const HOLD_AGENT_LOCK_CLASS = HOLD_ORG_LOCK_CLASS + 1;
/** Time to wait for a connection to start a hold transaction. */
export const HOLD_TRANSACTION_MAX_WAIT_MS = 5_000;
/** Time a hold transaction may run (lock waits included) before Prisma rolls it back. */
export const HOLD_TRANSACTION_TIMEOUT_MS = 10_000;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNIQUE_VIOLATION = '23505';

/**
 * Every hold write runs at READ COMMITTED, whatever the server's default: `proco_reserve_hold`
 * relies on each of its statements taking a fresh snapshot after its locks (and refuses to run
 * otherwise), and the audit append relies on it to read its chain's head.
 */
const TRANSACTION_OPTIONS = {
  isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted,
  maxWait: HOLD_TRANSACTION_MAX_WAIT_MS,
  timeout: HOLD_TRANSACTION_TIMEOUT_MS,
} as const;

type ReserveRow = {
  outcome: 'reserved' | 'replayed' | 'conflict' | 'budget_exceeded' | 'rate_limit_exceeded';
  failed_key: string | null;
  usage: UsageEntry[];
  /** The hold's `created_at` as stored ('reserved', 'replayed'); null otherwise. */
  created_at: Date | null;
};

/**
 * The `HoldStore` port on PostgreSQL. Reserve is one call of the SQL function `proco_reserve_hold`
 * (advisory locks org then agent, the database clock when `now` is null, usage read from the
 * bucketed counters `hold_usage_buckets`, conditional insert), followed in the same transaction by
 * its audit event. Post, void and expire are single conditional UPDATEs on `status = 'pending'`,
 * each with its audit event in the same transaction. Every write to `holds` keeps the usage buckets
 * exact through the table's statement triggers; each transaction here changes holds in exactly one
 * statement and appends its audit events after it, the lock order the triggers' deadlock freedom
 * rests on (see the `hold_usage_buckets` migration).
 *
 * Why the reserve's audit append shares its transaction: the contributing rule (every change and
 * its audit event commit together) and the cost. Every audit append of an org already serialises
 * on that org's chain lock, so moving the append after the reserve's commit would not let more
 * reserves of one org run at once; it would only open a window where a hold exists unaudited.
 */
@Injectable()
export class PostgresHoldStore implements HoldStore {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
  ) {}

  async reserve(params: ReserveParams): Promise<ReserveResult> {
    validateReserveParams(params);
    const row = await withTransientRetry(() =>
      this.prisma.$transaction(async (tx) => this.reserveInTransaction(tx, params), TRANSACTION_OPTIONS),
    ).catch((error: unknown) => {
      // Another reserve took this hold id or payment for a different agent or org at the same time.
      if (errorCodesOf(error).has(UNIQUE_VIOLATION)) {
        throw new HoldConflictError({ holdId: params.holdId, paymentId: params.paymentId, cause: error });
      }
      throw error;
    });
    return this.reserveResultOf(params, row);
  }

  async post(params: PostParams): Promise<HoldTransitionResult> {
    if (params.amountAtomic <= 0n) {
      throw new PostAmountNotPositiveError({ holdId: params.holdId, postedAtomic: params.amountAtomic });
    }
    if (!UUID_PATTERN.test(params.holdId)) return { changed: false, rejection: 'hold_not_found', hold: null };
    const amount = params.amountAtomic.toString();
    return this.transition({
      holdId: params.holdId,
      update: (tx) => tx.$queryRaw<HoldRow[]>`
        UPDATE "holds"
           SET "status" = 'posted', "posted_amount" = ${amount}::numeric,
               "resolved_at" = ${params.now.toISOString()}::timestamptz
         WHERE "id" = ${params.holdId}::uuid AND "status" = 'pending' AND "amount" >= ${amount}::numeric
         RETURNING ${HOLD_COLUMNS}`,
      explain: (hold) => postHold({ hold, amountAtomic: params.amountAtomic, now: params.now }),
      action: 'hold.posted',
    });
  }

  async void(params: VoidParams): Promise<HoldTransitionResult> {
    assertVoidReason(params.reason);
    if (!UUID_PATTERN.test(params.holdId)) return { changed: false, rejection: 'hold_not_found', hold: null };
    return this.transition({
      holdId: params.holdId,
      update: (tx) => tx.$queryRaw<HoldRow[]>`
        UPDATE "holds"
           SET "status" = 'voided', "resolved_at" = ${params.now.toISOString()}::timestamptz,
               "resolution_reason" = ${params.reason}
         WHERE "id" = ${params.holdId}::uuid AND "status" = 'pending'
         RETURNING ${HOLD_COLUMNS}`,
      explain: (hold) => voidHold({ hold, now: params.now, reason: params.reason }),
      action: 'hold.voided',
    });
  }

  async expireDue({ now, limit }: ExpireDueParams): Promise<ExpireDueResult> {
    const batch = Math.max(0, Math.min(Math.trunc(limit), EXPIRE_BATCH_SIZE_MAX));
    if (batch === 0) return { expired: [] };
    // Null: the database clock (now(), fixed for the transaction, so the batch's due instant and
    // its resolved_at agree).
    const nowIso = now?.toISOString() ?? null;
    const expired = await withTransientRetry(() =>
      this.prisma.$transaction(async (tx) => {
        // SKIP LOCKED: concurrent sweeps (and a post or void holding a row) split the due holds
        // between them instead of waiting; the outer status check keeps a hold from expiring twice.
        // The batch is a CTE, evaluated once: as an `IN (subquery)` the planner may pick a nested
        // loop that rescans the LIMIT for every outer row, each rescan skipping the rows this very
        // statement already updated, so one call expired more than `limit` holds.
        const rows = await tx.$queryRaw<HoldRow[]>`
          WITH "due" AS (SELECT "id" AS "due_id" FROM "holds"
                          WHERE "status" = 'pending'
                            AND "expires_at" <= COALESCE(${nowIso}::timestamptz, now())
                            -- A settlement still on its way may yet move the money: the hold
                            -- waits for its outcome (posted, or expired once it failed).
                            AND NOT EXISTS (
                              SELECT 1 FROM "payments" AS p
                                JOIN "wallets" AS w ON w."agent_id" = p."agent_id"
                                JOIN "settlements" AS s ON s."network" = p."network" AND s."nonce" = p."nonce"
                                 AND s."asset" = lower(p."asset") AND s."payer" = lower(w."address")
                               WHERE p."id" = "holds"."payment_id"
                                 AND s."status" IN ('queued', 'broadcast', 'unknown'))
                          ORDER BY "expires_at", "id"
                          LIMIT ${batch}
                          FOR UPDATE SKIP LOCKED)
          UPDATE "holds"
             SET "status" = 'expired', "resolved_at" = COALESCE(${nowIso}::timestamptz, now()),
                 "resolution_reason" = ${HOLD_EXPIRED_REASON}
            FROM "due"
           WHERE "holds"."id" = "due"."due_id" AND "holds"."status" = 'pending'
           RETURNING ${HOLD_COLUMNS}`;
        // Audit chain locks are taken in org order, so two sweeps can never wait on each other's.
        const holds = rows.map(toHold).sort((left, right) => compareText(left.orgId, right.orgId));
        for (const hold of holds) await this.appendAudit(tx, { hold, action: 'hold.expired' });
        return holds;
      }, TRANSACTION_OPTIONS),
    );
    return { expired };
  }

  async usage(params: UsageParams): Promise<Standings> {
    validateUsageParams(params);
    const json = checksJson(params);
    const usage = await this.prisma.$queryRaw<UsageEntry[]>`
      SELECT "kind", "key", "used"::text AS used
        FROM proco_hold_usage(${params.orgId}::uuid, ${params.agentId}::uuid,
                              ${json.budgets}::jsonb, ${json.rateLimits}::jsonb,
                              ${params.now?.toISOString() ?? null}::timestamptz)`;
    return standingsOf({ checks: params.checks, rateLimits: params.rateLimits, usage, reservedAtomic: null });
  }

  private async reserveInTransaction(tx: Transaction, params: ReserveParams): Promise<ReserveRow> {
    const json = checksJson(params);
    // A null `now` lets the function read the database clock once it holds its locks.
    const [row] = await tx.$queryRaw<ReserveRow[]>`
      SELECT "outcome", "failed_key", "usage", "created_at"
        FROM proco_reserve_hold(
          ${params.holdId}::uuid, ${params.orgId}::uuid, ${params.agentId}::uuid, ${params.paymentId}::uuid,
          ${params.network}, ${params.asset}, ${params.amountAtomic.toString()}::numeric,
          ${params.now?.toISOString() ?? null}::timestamptz, ${params.expiresAt.toISOString()}::timestamptz,
          ${json.budgets}::jsonb, ${json.rateLimits}::jsonb)`;
    if (row === undefined) throw new Error('proco_reserve_hold returned no row.');
    if (row.outcome !== 'reserved') return row;
    // Paired assertion (invariant 1): what the function accepted must fit every budget by the
    // numbers it read. Throwing here rolls the hold back with the transaction.
    const usedByKey = new Map(row.usage.map((entry) => [entry.key, BigInt(entry.used)]));
    const overspent = params.checks.filter((check) => {
      const usedAtomic = usedByKey.get(check.key);
      return (
        usedAtomic === undefined ||
        !hasRoom({ limitAtomic: check.limitAtomic, usedAtomic, amountAtomic: params.amountAtomic })
      );
    });
    if (overspent.length > 0) {
      const violations = overspent.map((check) => `budget ${check.key} would be overspent`);
      throw new HoldInvariantViolatedError({ holdId: params.holdId, violations });
    }
    await this.appendAudit(tx, { hold: pendingHoldOf(params, row), action: 'hold.reserved' });
    return row;
  }

  private async reserveResultOf(params: ReserveParams, row: ReserveRow): Promise<ReserveResult> {
    const { checks, rateLimits, usage } = { ...params, usage: row.usage };
    switch (row.outcome) {
      case 'reserved':
        return {
          ok: true,
          hold: pendingHoldOf(params, row),
          standings: standingsOf({ checks, rateLimits, usage, reservedAtomic: params.amountAtomic }),
          replayed: false,
        };
      case 'replayed': {
        const hold = await this.findHold(this.prisma, params.holdId);
        if (hold === null) throw new Error(`Replayed hold ${params.holdId} is missing.`);
        return {
          ok: true,
          hold,
          standings: standingsOf({ checks, rateLimits, usage, reservedAtomic: null }),
          replayed: true,
        };
      }
      case 'conflict':
        throw new HoldConflictError({ holdId: params.holdId, paymentId: params.paymentId });
      case 'budget_exceeded': {
        const standings = standingsOf({ checks, rateLimits, usage, reservedAtomic: null });
        const failed = standings.budgets.find((standing) => standing.key === row.failed_key);
        if (failed === undefined) throw new Error(`Unknown failing budget ${row.failed_key}.`);
        const { key: failedKey, limitAtomic, usedAtomic } = failed;
        return { ok: false, reason: 'budget_exceeded', failedKey, limitAtomic, usedAtomic, standings };
      }
      case 'rate_limit_exceeded': {
        const standings = standingsOf({ checks, rateLimits, usage, reservedAtomic: null });
        const failed = standings.rateLimits.find((standing) => standing.key === row.failed_key);
        if (failed === undefined) throw new Error(`Unknown failing rate limit ${row.failed_key}.`);
        const { key: failedKey, maxPayments, usedCount } = failed;
        return { ok: false, reason: 'rate_limit_exceeded', failedKey, maxPayments, usedCount, standings };
      }
    }
  }

  /** One conditional UPDATE and its audit event; a miss is explained by the pure rules. */
  private async transition(params: {
    holdId: string;
    update: (tx: Transaction) => Promise<HoldRow[]>;
    explain: (hold: Hold) => Hold;
    action: 'hold.posted' | 'hold.voided';
  }): Promise<HoldTransitionResult> {
    return withTransientRetry(() =>
      this.prisma.$transaction(async (tx): Promise<HoldTransitionResult> => {
        const [row] = await params.update(tx);
        if (row !== undefined) {
          const hold = toHold(row);
          await this.appendAudit(tx, { hold, action: params.action });
          return { changed: true, hold };
        }
        const hold = await this.findHold(tx, params.holdId);
        if (hold === null) return { changed: false, rejection: 'hold_not_found', hold: null };
        try {
          params.explain(hold);
        } catch (error: unknown) {
          if (
            error instanceof LedgerError &&
            (error.code === 'hold_not_pending' || error.code === 'post_exceeds_hold')
          ) {
            return { changed: false, rejection: error.code, hold };
          }
          throw error;
        }
        throw new Error(`Hold ${hold.id} refused a transition its rules allow.`);
      }, TRANSACTION_OPTIONS),
    );
  }

  private async findHold(client: Transaction, holdId: string): Promise<Hold | null> {
    const [row] = await client.$queryRaw<HoldRow[]>`
      SELECT ${HOLD_COLUMNS} FROM "holds" WHERE "id" = ${holdId}::uuid`;
    return row === undefined ? null : toHold(row);
  }

  private async appendAudit(tx: Transaction, params: { hold: Hold; action: string }): Promise<void> {
    const { hold } = params;
    await this.audit.append(tx, {
      orgId: hold.orgId,
      actor: params.action === 'hold.reserved' ? { type: 'agent', id: hold.agentId } : { type: 'system' },
      action: params.action,
      subject: { type: 'hold', id: hold.id },
      data: {
        agentId: hold.agentId,
        paymentId: hold.paymentId,
        network: hold.network,
        asset: hold.asset,
        amountAtomic: hold.amountAtomic.toString(),
        ...(hold.postedAmountAtomic === null
          ? {}
          : { postedAmountAtomic: hold.postedAmountAtomic.toString() }),
        ...(hold.resolutionReason === null ? {} : { reason: hold.resolutionReason }),
      },
    });
  }
}

/** The hold a successful reserve inserted, as the function wrote it (its stamp included). */
function pendingHoldOf(params: ReserveParams, row: ReserveRow): Hold {
  if (row.created_at === null)
    throw new Error(`proco_reserve_hold reserved ${params.holdId} without a stamp.`);
  return {
    id: params.holdId,
    orgId: params.orgId,
    agentId: params.agentId,
    paymentId: params.paymentId,
    network: params.network,
    asset: params.asset,
    amountAtomic: params.amountAtomic,
    postedAmountAtomic: null,
    status: 'pending',
    createdAt: row.created_at,
    expiresAt: params.expiresAt,
    resolvedAt: null,
    resolutionReason: null,
  };
}

function compareText(left: string, right: string): number {
  if (left === right) return 0;
  return left < right ? -1 : 1;
}
