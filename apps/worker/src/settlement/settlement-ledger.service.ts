import { Injectable, Logger } from '@nestjs/common';
import { eip3009Abi } from '@proco/evm';
import {
  AuditLogRepository,
  Prisma,
  PrismaService,
  type SettlementRecord,
  type Transaction,
} from '@proco/persistence';
import { getAddress, type Hex, parseEventLogs } from 'viem';
import { type SettlementFailureReason } from './revert-reason';
import { type SettlementNetwork } from './settlement-networks.service';

/** Blocks searched backwards for the `AuthorizationUsed` log of an authorization someone else used. */
export const USE_LOG_LOOKBACK_BLOCKS = 10_000n;

/** The terms of an authorization as stored (addresses lowercase). */
export type AuthorizationTerms = Pick<
  SettlementRecord,
  'asset' | 'payer' | 'payTo' | 'amountAtomic' | 'nonce'
>;

/** What the chain shows about an authorization (see `SettlementLedgerService.useEvidence`). */
export type UseEvidence =
  | { readonly kind: 'unused' }
  | { readonly kind: 'paid'; readonly transactionHash: string }
  | {
      readonly kind: 'refused';
      readonly cause: 'canceled' | 'other_terms';
      readonly transactionHash: string;
      readonly message: string;
    }
  | { readonly kind: 'unproven'; readonly message: string };

/** How one settlement ended, from chain evidence. */
export type SettlementOutcome =
  | {
      readonly kind: 'confirmed';
      readonly settlement: SettlementRecord;
      /** The transaction that used the authorization and moved its terms. */
      readonly transactionHash: string;
    }
  | {
      readonly kind: 'failed';
      readonly settlement: SettlementRecord;
      readonly reason: SettlementFailureReason;
      readonly message: string | null;
    };

const TRANSACTION_OPTIONS = {
  isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted,
  maxWait: 5_000,
  timeout: 15_000,
} as const;

/**
 * Writes what the chain decided: a settlement's end (`confirmed` or `failed`, each once, by a
 * conditional update), its audit event, and for a payment Proco signed for one of its agents,
 * the hold posted in the same PostgreSQL transaction, so the hold is posted exactly once however
 * many times a job runs.
 */
@Injectable()
export class SettlementLedgerService {
  private readonly logger = new Logger(SettlementLedgerService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
  ) {}

  /**
   * Ends a queued settlement that will not be sent. An authorization the token says is used may
   * have been settled by someone else (anyone may submit it): that is a payment only when the
   * transaction that used it moved exactly these terms (see `useEvidence`).
   */
  async endBeforeBroadcast(
    network: SettlementNetwork,
    refusal: { settlement: SettlementRecord; reason: SettlementFailureReason; message: string | null },
  ): Promise<void> {
    const { settlement } = refusal;
    let outcome: SettlementOutcome = {
      kind: 'failed',
      settlement,
      reason: refusal.reason,
      message: refusal.message,
    };
    if (refusal.reason === 'invalid_exact_evm_nonce_already_used') {
      const evidence = await this.useEvidence(network, settlement);
      if (evidence.kind === 'paid') {
        outcome = { kind: 'confirmed', settlement, transactionHash: evidence.transactionHash };
      } else if (evidence.kind === 'refused' || evidence.kind === 'unproven') {
        outcome = { ...outcome, message: evidence.message };
      }
    }
    await this.prisma.$transaction((tx) => this.recordOutcome(tx, outcome, ['queued']), TRANSACTION_OPTIONS);
  }

  /**
   * What the chain says became of a settlement's authorization. `authorizationState` is true for a
   * used and for a cancelled authorization alike, and a payer can use its own nonce for other
   * terms (say, 1 wei to itself), so "used" alone proves nothing: only a transaction carrying the
   * `AuthorizationUsed` log and a `Transfer` of exactly these terms (payer, payee, amount, token)
   * is a payment.
   */
  async useEvidence(network: SettlementNetwork, settlement: AuthorizationTerms): Promise<UseEvidence> {
    if (!(await this.isUsed(network, settlement))) return { kind: 'unused' };
    const head = await network.client.getBlockNumber({ cacheTime: 0 });
    const range = {
      fromBlock: head > USE_LOG_LOOKBACK_BLOCKS ? head - USE_LOG_LOOKBACK_BLOCKS : 0n,
      toBlock: 'latest' as const,
    };
    const token = { address: getAddress(settlement.asset), abi: eip3009Abi } as const;
    const args = { authorizer: getAddress(settlement.payer), nonce: settlement.nonce as Hex };
    const [used] = await network.client.getContractEvents({
      ...token,
      eventName: 'AuthorizationUsed',
      args,
      ...range,
    });
    if (used !== undefined) {
      const receipt = await network.client.getTransactionReceipt({ hash: used.transactionHash });
      const transfers = parseEventLogs({
        abi: eip3009Abi,
        eventName: 'Transfer',
        logs: receipt.logs.filter((log) => log.address.toLowerCase() === settlement.asset),
        strict: true,
      });
      const paid = transfers.some(
        (transfer) =>
          transfer.args.from.toLowerCase() === settlement.payer &&
          transfer.args.to.toLowerCase() === settlement.payTo &&
          transfer.args.value === settlement.amountAtomic,
      );
      return paid
        ? { kind: 'paid', transactionHash: used.transactionHash }
        : {
            kind: 'refused',
            cause: 'other_terms',
            transactionHash: used.transactionHash,
            message: `the nonce was used for other terms in ${used.transactionHash}`,
          };
    }
    const [canceled] = await network.client.getContractEvents({
      ...token,
      eventName: 'AuthorizationCanceled',
      args,
      ...range,
    });
    if (canceled !== undefined) {
      return {
        kind: 'refused',
        cause: 'canceled',
        transactionHash: canceled.transactionHash,
        message: `the payer cancelled the authorization in ${canceled.transactionHash}`,
      };
    }
    return {
      kind: 'unproven',
      message: `the authorization is used, but no log of it within ${USE_LOG_LOOKBACK_BLOCKS} blocks`,
    };
  }

  /** The payer's balance of the settlement's token. */
  async balanceOf(network: SettlementNetwork, settlement: SettlementRecord): Promise<bigint> {
    return network.client.readContract({
      address: getAddress(settlement.asset),
      abi: eip3009Abi,
      functionName: 'balanceOf',
      args: [getAddress(settlement.payer)],
    });
  }

  /** Whether the token records the settlement's authorization as used (or cancelled). */
  async isUsed(network: SettlementNetwork, settlement: AuthorizationTerms): Promise<boolean> {
    return network.client.readContract({
      address: getAddress(settlement.asset),
      abi: eip3009Abi,
      functionName: 'authorizationState',
      args: [getAddress(settlement.payer), settlement.nonce as Hex],
    });
  }

  /**
   * Records a mined relayer transaction and the outcome of every settlement it carried, once:
   * a second run finds the transaction no longer `pending` and changes nothing.
   */
  async recordMined(params: {
    relayerTransactionId: string;
    receipt: { status: 'success' | 'reverted'; blockNumber: bigint; blockHash: string; gasUsed: bigint };
    outcomes: readonly SettlementOutcome[];
  }): Promise<boolean> {
    const { relayerTransactionId, receipt, outcomes } = params;
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.$executeRaw`
        UPDATE "relayer_transactions"
           SET "status" = ${receipt.status === 'success' ? 'mined' : 'reverted'}::"relayer_transaction_status",
               "block_number" = ${receipt.blockNumber}, "block_hash" = ${receipt.blockHash.toLowerCase()},
               "gas_used" = ${receipt.gasUsed.toString()}::numeric, "finalized_at" = now(), "updated_at" = now()
         WHERE "id" = ${relayerTransactionId}::uuid AND "status" = 'pending'`;
      if (updated === 0) return false;
      for (const outcome of outcomes) await this.recordOutcome(tx, outcome, ['broadcast', 'unknown']);
      return true;
    }, TRANSACTION_OPTIONS);
  }

  /**
   * Another transaction took the relayer nonce of ours, so ours can never be mined: its used
   * authorizations are confirmed from their logs, the others go back to the queue to be sent in a
   * new transaction (safe: the chain proves the old one cannot land).
   */
  async recordReplaced(params: {
    relayerTransactionId: string;
    outcomes: readonly SettlementOutcome[];
    requeue: readonly SettlementRecord[];
  }): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.$executeRaw`
        UPDATE "relayer_transactions" SET "status" = 'replaced', "finalized_at" = now(), "updated_at" = now()
         WHERE "id" = ${params.relayerTransactionId}::uuid AND "status" = 'pending'`;
      if (updated === 0) return false;
      for (const outcome of params.outcomes) await this.recordOutcome(tx, outcome, ['broadcast', 'unknown']);
      const ids = params.requeue.map((settlement) => settlement.id);
      if (ids.length > 0) {
        await tx.$executeRaw`
          UPDATE "settlements" SET "status" = 'queued', "relayer_transaction_id" = NULL, "updated_at" = now()
           WHERE "id" = ANY(${ids}::uuid[]) AND "status" IN ('broadcast', 'unknown')`;
      }
      return true;
    }, TRANSACTION_OPTIONS);
  }

  /** Marks the live settlements of a relayer transaction `unknown`: the chain could not be read. */
  async markUnknown(relayerTransactionId: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE "settlements" SET "status" = 'unknown', "updated_at" = now()
       WHERE "relayer_transaction_id" = ${relayerTransactionId}::uuid AND "status" = 'broadcast'`;
  }

  private async recordOutcome(
    tx: Transaction,
    outcome: SettlementOutcome,
    from: readonly ('queued' | 'broadcast' | 'unknown')[],
  ): Promise<void> {
    const { settlement } = outcome;
    const updated =
      outcome.kind === 'confirmed'
        ? await tx.$executeRaw`
            UPDATE "settlements"
               SET "status" = 'confirmed', "transaction_hash" = ${outcome.transactionHash?.toLowerCase() ?? null},
                   "settled_at" = now(), "updated_at" = now()
             WHERE "id" = ${settlement.id}::uuid AND "status"::text = ANY(${from}::text[])`
        : await tx.$executeRaw`
            UPDATE "settlements"
               SET "status" = 'failed', "error_reason" = ${outcome.reason},
                   "error_message" = ${outcome.message?.slice(0, 500) ?? null}, "updated_at" = now()
             WHERE "id" = ${settlement.id}::uuid AND "status"::text = ANY(${from}::text[])`;
    if (updated === 0) return;
    await this.audit.append(tx, {
      orgId: settlement.orgId,
      actor: { type: 'system' },
      action: outcome.kind === 'confirmed' ? 'settlement.confirmed' : 'settlement.failed',
      subject: { type: 'settlement', id: settlement.id },
      data:
        outcome.kind === 'confirmed'
          ? { transactionHash: outcome.transactionHash }
          : {
              reason: outcome.reason,
              ...(outcome.message === null ? {} : { message: outcome.message.slice(0, 500) }),
            },
    });
    if (outcome.kind === 'confirmed') await this.postHold(tx, settlement);
  }

  // The hold of the agent payment this authorization pays, matched on every term the agent
  // signed (network, nonce, payer wallet, asset, payee, amount). A payment settled for other
  // terms is left pending and logged for reconciliation rather than posted for what it was not.
  private async postHold(tx: Transaction, settlement: SettlementRecord): Promise<void> {
    const amount = settlement.amountAtomic.toString();
    const posted = await tx.$queryRaw<
      {
        id: string;
        org_id: string;
        agent_id: string;
        payment_id: string;
        network: string;
        asset: string;
        amount: Prisma.Decimal;
      }[]
    >`
      UPDATE "holds" AS h
         SET "status" = 'posted', "posted_amount" = ${amount}::numeric, "resolved_at" = now()
        FROM "payments" AS p
        JOIN "wallets" AS w ON w."agent_id" = p."agent_id"
       WHERE h."payment_id" = p."id"
         AND p."network" = ${settlement.network} AND p."nonce" = ${settlement.nonce}
         AND lower(w."address") = ${settlement.payer} AND lower(p."asset") = ${settlement.asset}
         AND lower(p."pay_to") = ${settlement.payTo} AND p."amount" = ${amount}::numeric
         AND h."status" = 'pending' AND h."amount" >= ${amount}::numeric
      RETURNING h."id", h."org_id", h."agent_id", h."payment_id", h."network", h."asset", h."amount"`;
    for (const hold of posted) {
      await this.audit.append(tx, {
        orgId: hold.org_id,
        actor: { type: 'system' },
        action: 'hold.posted',
        subject: { type: 'hold', id: hold.id },
        data: {
          agentId: hold.agent_id,
          paymentId: hold.payment_id,
          network: hold.network,
          asset: hold.asset,
          amountAtomic: hold.amount.toFixed(),
          postedAmountAtomic: amount,
          settlementId: settlement.id,
        },
      });
    }
    if (posted.length > 0)
      this.logger.log({ settlementId: settlement.id, holds: posted.length }, 'hold posted');
  }
}
