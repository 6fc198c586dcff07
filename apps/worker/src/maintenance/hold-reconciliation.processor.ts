import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import { eip3009Abi } from '@proco/evm';
import { type JobOf } from '@proco/jobs';
import { type HoldStore } from '@proco/ledger';
import { AuditLogRepository, Prisma, PrismaService } from '@proco/persistence';
import { type Job } from 'bullmq';
import { getAddress, type Hex } from 'viem';
import { HOLD_STORE } from '../hold-store.provider';
import { SettlementLedgerService } from '../settlement/settlement-ledger.service';
import { type SettlementNetwork, SettlementNetworksService } from '../settlement/settlement-networks.service';

/** Most pending holds one run asks the chain about, per network (one Multicall3 read). */
export const RECONCILE_BATCH_SIZE = 200;
/** A hold checked more recently than this goes after every hold that was not. */
export const RECHECK_AFTER_MS = 60_000;
/** A hold younger than this is left alone: its agent is likely still handing the payment to a seller. */
export const RECONCILE_MIN_AGE_MS = 5_000;

/** What one run found. */
export interface HoldReconciliationOutcome {
  readonly checked: number;
  readonly posted: number;
  readonly voided: number;
  readonly flagged: number;
}

interface PendingHold {
  readonly id: string;
  readonly org_id: string;
  readonly amount: Prisma.Decimal;
  readonly nonce: string;
  readonly asset: string;
  readonly pay_to: string;
  readonly payer: string;
}

/**
 * Reconciliation of the payments Proco signed for its agents but did not settle itself (the
 * seller used another facilitator): every run asks the chain, in one Multicall3 read per network,
 * whether the authorizations of the least recently checked pending holds were used. A used one is
 * matched to its `AuthorizationUsed` log and the `Transfer` of the same transaction: the hold is
 * posted when the transfer moved exactly the held terms (payer, payee, amount, token), voided when
 * the payer cancelled the authorization instead, and flagged (audit `hold.settlement_mismatch`,
 * left pending) when the chain shows other terms. Unused authorizations wait; the expiry sweep
 * releases them after `validBefore`. Holds of settlements Proco is running are left to those.
 *
 * Safe to run twice or concurrently: posting and voiding are conditional on `status = 'pending'`.
 */
@Injectable()
export class HoldReconciliationProcessor {
  private readonly logger = new Logger(HoldReconciliationProcessor.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly networks: SettlementNetworksService,
    private readonly audit: AuditLogRepository,
    private readonly ledger: SettlementLedgerService,
    @Inject(HOLD_STORE) private readonly holds: HoldStore,
    @InjectConfig() private readonly config: ProcoConfig,
  ) {}

  async process(job: Job<JobOf<'holds.reconcile'>>): Promise<HoldReconciliationOutcome> {
    const outcome = await this.reconcile();
    if (outcome.posted + outcome.voided + outcome.flagged > 0) {
      this.logger.log({ jobId: job.id, ...outcome }, 'holds reconciled with the chain');
    }
    return outcome;
  }

  /**
   * One run over every network. `minAgeMs` leaves the youngest holds alone (tests pass 0);
   * `dueOnly` looks only at holds whose expiry has come (the expiry sweep asks the chain about
   * those first, so no hold is released while the money moved). A network whose RPC fails is
   * logged and skipped; the others are still reconciled.
   */
  async reconcile(
    params: { minAgeMs: number; dueOnly?: boolean } = { minAgeMs: RECONCILE_MIN_AGE_MS },
  ): Promise<HoldReconciliationOutcome> {
    const total = { checked: 0, posted: 0, voided: 0, flagged: 0 };
    for (const { id } of this.config.networks) {
      try {
        const network = await this.networks.checkedNetwork(id);
        if (network === undefined) continue;
        const outcome = await this.reconcileNetwork(network, params.minAgeMs, params.dueOnly ?? false);
        total.checked += outcome.checked;
        total.posted += outcome.posted;
        total.voided += outcome.voided;
        total.flagged += outcome.flagged;
      } catch (error: unknown) {
        this.logger.warn(
          { network: id, err: { message: error instanceof Error ? error.message : String(error) } },
          'reconciliation of a network failed; the next run tries again',
        );
      }
    }
    return total;
  }

  private async reconcileNetwork(
    network: SettlementNetwork,
    minAgeMs: number,
    dueOnly: boolean,
  ): Promise<HoldReconciliationOutcome> {
    // Least recently checked first, nearest expiry first among those: a hold is asked about again
    // before it can expire, however many younger holds arrive meanwhile.
    const pending = await this.prisma.$queryRaw<PendingHold[]>`
      SELECT h."id", h."org_id", h."amount", p."nonce", lower(p."asset") AS "asset",
             lower(p."pay_to") AS "pay_to", lower(w."address") AS "payer"
        FROM "holds" AS h
        JOIN "payments" AS p ON p."id" = h."payment_id"
        JOIN "wallets" AS w ON w."agent_id" = p."agent_id"
       WHERE h."status" = 'pending' AND h."network" = ${network.config.id}
         AND p."status" = 'authorized' AND p."nonce" IS NOT NULL
         AND h."created_at" < now() - make_interval(secs => ${minAgeMs / 1_000})
         AND (NOT ${dueOnly} OR h."expires_at" <= now())
         AND NOT EXISTS (
           SELECT 1 FROM "settlements" AS s
            WHERE s."network" = p."network" AND s."nonce" = p."nonce"
              AND s."asset" = lower(p."asset") AND s."payer" = lower(w."address")
              AND s."status" IN ('queued', 'broadcast', 'unknown'))
       ORDER BY (h."chain_checked_at" IS NOT NULL
                 AND h."chain_checked_at" > now() - make_interval(secs => ${RECHECK_AFTER_MS / 1_000})),
                h."expires_at", h."created_at"
       LIMIT ${RECONCILE_BATCH_SIZE}`;
    if (pending.length === 0) return { checked: 0, posted: 0, voided: 0, flagged: 0 };
    const states = await network.client.multicall({
      multicallAddress: network.multicall3,
      allowFailure: true,
      contracts: pending.map((hold) => ({
        address: getAddress(hold.asset),
        abi: eip3009Abi,
        functionName: 'authorizationState' as const,
        args: [getAddress(hold.payer), hold.nonce as Hex] as const,
      })),
    });
    const ids = pending.map((hold) => hold.id);
    await this.prisma.$executeRaw`
      UPDATE "holds" SET "chain_checked_at" = now()
       WHERE "id" = ANY(${ids}::uuid[]) AND "status" = 'pending'`;
    const outcome = { checked: pending.length, posted: 0, voided: 0, flagged: 0 };
    for (const [index, hold] of pending.entries()) {
      const state = states[index];
      if (state?.status !== 'success' || !state.result) continue;
      const verdict = await this.verdictOf(network, hold);
      if (verdict !== 'checked') outcome[verdict] += 1;
    }
    return outcome;
  }

  // What the chain says happened to a used authorization, and the hold's resolution from it.
  private async verdictOf(
    network: SettlementNetwork,
    hold: PendingHold,
  ): Promise<'posted' | 'voided' | 'flagged' | 'checked'> {
    const amountAtomic = BigInt(hold.amount.toFixed());
    const evidence = await this.ledger.useEvidence(network, {
      asset: hold.asset,
      payer: hold.payer,
      payTo: hold.pay_to,
      amountAtomic,
      nonce: hold.nonce,
    });
    switch (evidence.kind) {
      case 'unused':
        return 'checked';
      case 'paid':
        await this.holds.post({ holdId: hold.id, amountAtomic, now: new Date() });
        this.logger.log(
          { holdId: hold.id, transactionHash: evidence.transactionHash },
          'hold posted from a settlement by another facilitator',
        );
        return 'posted';
      case 'refused':
        if (evidence.cause === 'canceled') {
          await this.holds.void({ holdId: hold.id, reason: 'authorization_canceled', now: new Date() });
          return 'voided';
        }
        await this.flagMismatch(hold, evidence.transactionHash);
        return 'flagged';
      case 'unproven':
        // Used beyond the log horizon: the token says the money may have moved, so the budget
        // counts it (a budget never under-counts; the seller's side is not decided here).
        await this.holds.post({ holdId: hold.id, amountAtomic, now: new Date() });
        return 'posted';
    }
  }

  // Once per hold: the audit log says what the chain did that the hold did not expect.
  private async flagMismatch(hold: PendingHold, transactionHash: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const flagged = await tx.auditEvent.count({
        where: { subjectType: 'hold', subjectId: hold.id, action: 'hold.settlement_mismatch' },
      });
      if (flagged > 0) return;
      await this.audit.append(tx, {
        orgId: hold.org_id,
        actor: { type: 'system' },
        action: 'hold.settlement_mismatch',
        subject: { type: 'hold', id: hold.id },
        data: {
          transactionHash,
          expected: {
            payer: hold.payer,
            payTo: hold.pay_to,
            amountAtomic: hold.amount.toFixed(),
            asset: hold.asset,
          },
        },
      });
    });
    this.logger.warn(
      { holdId: hold.id, transactionHash },
      'authorization used for other terms than its hold',
    );
  }
}
