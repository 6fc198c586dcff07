import { Injectable } from '@nestjs/common';
import { type BudgetCheck, type RateLimitCheck, type Standings } from '@proco/ledger';
import { type AppendAuditEventParams, prepareAuditEvent } from './audit-log.repository';
import { checksJson, standingsOf, type UsageEntry } from './hold-rows';
import { PrismaService } from './prisma.service';
import { errorCodesOf, withTransientRetry } from './transient-retry';

/** SQLSTATE raised by `proco_begin_payment` when a policy pointer moved after evaluation. */
const POLICY_CHANGED = 'PR001' as const;
/** SQLSTATE raised by `proco_begin_payment` when a twin took the key while this call reserved. */
const KEY_TAKEN_WHILE_RESERVING = 'PR002' as const;
/** SQLSTATE raised when the agent stopped being an active payer while the call waited for locks. */
const PAYER_CHANGED = 'PR003' as const;
/** SQLSTATE raised by `proco_begin_approved_payment` when the payment was no longer held. */
const CLAIM_LOST = 'PR004' as const;
const RAISED_REFUSALS = [POLICY_CHANGED, KEY_TAKEN_WHILE_RESERVING, PAYER_CHANGED, CLAIM_LOST] as const;
type RaisedRefusal = (typeof RAISED_REFUSALS)[number];

/** The policy versions a purchase was evaluated under; null where the target has no policy. */
export interface PolicyVersions {
  readonly org: number | null;
  readonly agent: number | null;
}

/** Parameters of `PaymentStore.begin`: the payment as it will be stored, and what guards it. */
export interface BeginPaymentParams {
  readonly paymentId: string;
  readonly holdId: string;
  readonly orgId: string;
  readonly agentId: string;
  readonly idempotencyKey: string;
  readonly requestHash: Uint8Array;
  readonly resourceUrl: string;
  readonly method: string;
  readonly network: string;
  readonly asset: string;
  readonly payTo: string;
  readonly amountAtomic: bigint;
  readonly nonce: string;
  /** Unix seconds, decimal strings. */
  readonly validAfter: string;
  readonly validBefore: string;
  /** The decision as stored until the payment finishes (JSON). */
  readonly decision: unknown;
  /** The wallet address the authorization names as `from`. */
  readonly expectedWallet: string;
  readonly policyVersions: PolicyVersions;
  readonly checks: readonly BudgetCheck[];
  readonly rateLimits: readonly RateLimitCheck[];
  readonly holdExpiresAt: Date;
  /** How long the idempotency key is kept, from the payment's creation. */
  readonly retentionSeconds: number;
  /** Events committed with the hold and the payment row (their time is taken now). */
  readonly audit: readonly AppendAuditEventParams[];
}

/** What `PaymentStore.begin` did. Only `reserved` wrote anything. */
export type BeginPaymentResult =
  | { readonly outcome: 'reserved'; readonly holdCreatedAt: Date; readonly standings: Standings }
  /** The key names an existing payment (its id, or null when a twin took it during this call). */
  | { readonly outcome: 'key_taken'; readonly existingPaymentId: string | null }
  | {
      readonly outcome: 'budget_exceeded' | 'rate_limit_exceeded';
      readonly failedKey: string;
      readonly standings: Standings;
    }
  | {
      readonly outcome:
        'agent_not_found' | 'agent_frozen' | 'wallet_not_found' | 'wallet_changed' | 'policy_changed';
    };

/** Parameters of `PaymentStore.beginApproved`: a held payment, now approved, to reserve for. */
export type BeginApprovedPaymentParams = Pick<
  BeginPaymentParams,
  | 'paymentId'
  | 'holdId'
  | 'orgId'
  | 'agentId'
  | 'network'
  | 'asset'
  | 'amountAtomic'
  | 'nonce'
  | 'validAfter'
  | 'validBefore'
  | 'decision'
  | 'expectedWallet'
  | 'policyVersions'
  | 'checks'
  | 'rateLimits'
  | 'holdExpiresAt'
  | 'audit'
>;

/** What `PaymentStore.beginApproved` did. Only `reserved` wrote anything. */
export type BeginApprovedPaymentResult =
  | Extract<BeginPaymentResult, { outcome: 'reserved' | 'budget_exceeded' | 'rate_limit_exceeded' }>
  /** Another decision took the payment first (nothing written). */
  | { readonly outcome: 'claim_lost' }
  | { readonly outcome: 'agent_frozen' | 'policy_changed' };

/** Parameters of `PaymentStore.finish`. */
export interface FinishPaymentParams {
  readonly paymentId: string;
  readonly status: 'authorized' | 'denied' | 'failed';
  readonly decision: unknown;
  /** The exact body served for an authorized payment (replays repeat it byte for byte). */
  readonly response: string | null;
  readonly responseStatus: number | null;
  readonly audit: readonly AppendAuditEventParams[];
}

interface BeginRow {
  readonly outcome: string;
  readonly failed_key: string | null;
  readonly usage: UsageEntry[] | null;
  readonly hold_created_at: Date | null;
  readonly existing_payment_id: string | null;
}

const BEGIN_SQL = `SELECT "outcome", "failed_key", "usage", "hold_created_at", "existing_payment_id"::text
  FROM proco_begin_payment($1::jsonb, $2::bytea, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7::timestamptz,
                           $8::integer, $9::jsonb)`;
const BEGIN_APPROVED_SQL = `SELECT "outcome", "failed_key", "usage", "hold_created_at", NULL AS "existing_payment_id"
  FROM proco_begin_approved_payment($1::jsonb, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6::timestamptz, $7::jsonb)`;
const FINISH_SQL = `SELECT proco_finish_payment($1::uuid, $2::payment_status, $3::jsonb, $4, $5::integer,
                           $6::jsonb) AS "finished"`;

/**
 * The purchase hot path on PostgreSQL: one statement before the signature (`begin`: agent and
 * wallet checks, idempotency key, atomic hold, policy pointers, payment row and audit events) and
 * one after it (`finish`). Both are SQL functions (see the `payment_hot_path` migration) sent as
 * named prepared statements through the pg pool Prisma itself runs on: Prisma's query engine adds
 * a large fixed cost per call that this path, measured against raw `pg`, cannot afford, and a
 * function call keeps every lock inside one statement instead of across round trips.
 */
@Injectable()
export class PaymentStore {
  constructor(private readonly prisma: PrismaService) {}

  async begin(params: BeginPaymentParams): Promise<BeginPaymentResult> {
    const json = checksJson({ checks: params.checks, rateLimits: params.rateLimits, now: null });
    const payment = {
      id: params.paymentId,
      hold_id: params.holdId,
      org_id: params.orgId,
      agent_id: params.agentId,
      idempotency_key: params.idempotencyKey,
      resource_url: params.resourceUrl,
      method: params.method,
      network: params.network,
      asset: params.asset,
      pay_to: params.payTo,
      amount: params.amountAtomic.toString(),
      nonce: params.nonce,
      valid_after: params.validAfter,
      valid_before: params.validBefore,
      decision: params.decision,
    };
    const audit = params.audit.map((event) => prepareAuditEvent(event));
    const row = await this.callBegin('proco_begin_payment', BEGIN_SQL, [
      JSON.stringify(payment),
      Buffer.from(params.requestHash),
      params.expectedWallet,
      JSON.stringify(params.policyVersions),
      json.budgets,
      json.rateLimits,
      params.holdExpiresAt.toISOString(),
      params.retentionSeconds,
      JSON.stringify(audit),
    ]);
    if ('raised' in row) {
      switch (row.raised) {
        case KEY_TAKEN_WHILE_RESERVING:
          return { outcome: 'key_taken', existingPaymentId: null };
        case POLICY_CHANGED:
          return { outcome: 'policy_changed' };
        case PAYER_CHANGED:
          return { outcome: 'agent_frozen' };
        case CLAIM_LOST:
          throw new Error('proco_begin_payment raised a claim loss.');
      }
    }
    return this.beginResultOf(params, row);
  }

  /**
   * Reserves for a payment an operator approved and claims it (`pending_approval` to
   * `authorizing`, nonce and validity fixed), confirmed like a purchase, in one statement.
   */
  async beginApproved(params: BeginApprovedPaymentParams): Promise<BeginApprovedPaymentResult> {
    const json = checksJson({ checks: params.checks, rateLimits: params.rateLimits, now: null });
    const payment = {
      id: params.paymentId,
      hold_id: params.holdId,
      org_id: params.orgId,
      agent_id: params.agentId,
      network: params.network,
      asset: params.asset,
      amount: params.amountAtomic.toString(),
      nonce: params.nonce,
      valid_after: params.validAfter,
      valid_before: params.validBefore,
      decision: params.decision,
    };
    const audit = params.audit.map((event) => prepareAuditEvent(event));
    const row = await this.callBegin('proco_begin_approved_payment', BEGIN_APPROVED_SQL, [
      JSON.stringify(payment),
      params.expectedWallet,
      JSON.stringify(params.policyVersions),
      json.budgets,
      json.rateLimits,
      params.holdExpiresAt.toISOString(),
      JSON.stringify(audit),
    ]);
    if ('raised' in row) {
      switch (row.raised) {
        case CLAIM_LOST:
          return { outcome: 'claim_lost' };
        case POLICY_CHANGED:
          return { outcome: 'policy_changed' };
        case PAYER_CHANGED:
          return { outcome: 'agent_frozen' };
        case KEY_TAKEN_WHILE_RESERVING:
          throw new Error('proco_begin_approved_payment raised a key conflict.');
      }
    }
    const result = this.beginResultOf(params, row);
    if (
      result.outcome === 'reserved' ||
      result.outcome === 'budget_exceeded' ||
      result.outcome === 'rate_limit_exceeded'
    ) {
      return result;
    }
    throw new Error(`proco_begin_approved_payment answered ${result.outcome}.`);
  }

  /** False when the payment had already left `authorizing` (nothing is written then). */
  async finish(params: FinishPaymentParams): Promise<boolean> {
    const audit = params.audit.map((event) => prepareAuditEvent(event));
    return withTransientRetry(async () => {
      const result = await this.prisma.pool.query<{ finished: boolean }>({
        name: 'proco_finish_payment',
        text: FINISH_SQL,
        values: [
          params.paymentId,
          params.status,
          JSON.stringify(params.decision),
          params.response,
          params.responseStatus,
          JSON.stringify(audit),
        ],
      });
      return result.rows[0]?.finished === true;
    });
  }

  /**
   * Runs one begin statement (retrying a deadlock or serialization failure, the statement being
   * atomic), answering its row, or which of the function's own refusals it raised.
   */
  private async callBegin(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<BeginRow | { readonly raised: RaisedRefusal }> {
    try {
      return await withTransientRetry(async () => {
        const result = await this.prisma.pool.query<BeginRow>({ name, text, values });
        const [first] = result.rows;
        if (first === undefined) throw new Error(`${name} returned no row.`);
        return first;
      });
    } catch (error: unknown) {
      const codes = errorCodesOf(error);
      const raised = RAISED_REFUSALS.find((code) => codes.has(code));
      if (raised !== undefined) return { raised };
      throw error;
    }
  }

  private beginResultOf(
    params: Pick<BeginPaymentParams, 'checks' | 'rateLimits' | 'amountAtomic'>,
    row: BeginRow,
  ): BeginPaymentResult {
    const { checks, rateLimits } = params;
    switch (row.outcome) {
      case 'reserved': {
        const usage = row.usage ?? [];
        const standings = standingsOf({ checks, rateLimits, usage, reservedAtomic: params.amountAtomic });
        if (row.hold_created_at === null) throw new Error('A reserved payment came back without a time.');
        return { outcome: 'reserved', holdCreatedAt: row.hold_created_at, standings };
      }
      case 'key_taken':
        return { outcome: 'key_taken', existingPaymentId: row.existing_payment_id };
      case 'budget_exceeded':
      case 'rate_limit_exceeded': {
        if (row.failed_key === null) throw new Error(`A ${row.outcome} outcome named no check.`);
        const standings = standingsOf({ checks, rateLimits, usage: row.usage ?? [], reservedAtomic: null });
        return { outcome: row.outcome, failedKey: row.failed_key, standings };
      }
      case 'agent_not_found':
      case 'agent_frozen':
      case 'wallet_not_found':
      case 'wallet_changed':
        return { outcome: row.outcome };
      default:
        throw new Error(`proco_begin_payment answered an unknown outcome ${row.outcome}.`);
    }
  }
}
