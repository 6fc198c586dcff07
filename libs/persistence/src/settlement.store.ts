import { Injectable } from '@nestjs/common';
import { AuditLogRepository } from './audit-log.repository';
import { Prisma, type Settlement } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { withTransientRetry } from './transient-retry';

/** Where a settlement stands; see the `Settlement` model. */
export type SettlementStatus = 'queued' | 'broadcast' | 'confirmed' | 'failed' | 'unknown';

/** A settlement as the application sees it: amounts as bigint, addresses lowercase. */
export interface SettlementRecord {
  readonly id: string;
  readonly orgId: string;
  readonly network: string;
  readonly requestNetwork: string;
  readonly x402Version: number;
  readonly chainId: number;
  readonly asset: string;
  readonly payer: string;
  readonly payTo: string;
  readonly amountAtomic: bigint;
  readonly nonce: string;
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly signature: string;
  readonly signatureHash: string;
  readonly status: SettlementStatus;
  readonly relayerTransactionId: string | null;
  readonly transactionHash: string | null;
  readonly errorReason: string | null;
  readonly errorMessage: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly settledAt: Date | null;
}

/** The unique key of an authorization on chain, lowercase. */
export interface AuthorizationKey {
  readonly chainId: number;
  readonly asset: string;
  readonly payer: string;
  readonly nonce: string;
}

/** What `queue` stores; addresses, nonce and hashes are lowercased here. */
export interface QueueSettlementParams {
  readonly id: string;
  readonly orgId: string;
  readonly network: string;
  readonly requestNetwork: string;
  readonly x402Version: number;
  readonly chainId: number;
  readonly asset: string;
  readonly payer: string;
  readonly payTo: string;
  readonly amountAtomic: bigint;
  readonly nonce: string;
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly signature: string;
  readonly signatureHash: string;
}

/** The outcome of `queue`: the stored row, and whether this call created it. */
export interface QueueSettlementResult {
  readonly inserted: boolean;
  readonly settlement: SettlementRecord;
}

const TRANSACTION_OPTIONS = {
  isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted,
  maxWait: 5_000,
  timeout: 10_000,
} as const;

/**
 * Settlement rows for the facilitator: the unique authorization key makes `queue` idempotent, so
 * any number of concurrent settles of one authorization share one row (and one chain transfer).
 */
@Injectable()
export class SettlementStore {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
  ) {}

  async findByAuthorization(key: AuthorizationKey): Promise<SettlementRecord | null> {
    const row = await this.prisma.settlement.findUnique({
      where: { chainId_asset_payer_nonce: lowercaseKey(key) },
    });
    return row === null ? null : toSettlementRecord(row);
  }

  /**
   * Just the status of the settlement of an authorization (and why it failed), or null: one
   * prepared statement on the shared pool, for verify's hot path.
   */
  async statusByAuthorization(
    key: AuthorizationKey,
  ): Promise<{ readonly status: SettlementStatus; readonly errorReason: string | null } | null> {
    const lower = lowercaseKey(key);
    const result = await this.prisma.pool.query<{ status: SettlementStatus; error_reason: string | null }>({
      name: 'proco_settlement_status_by_authorization',
      text: `SELECT "status", "error_reason" FROM "settlements"
              WHERE "chain_id" = $1 AND "asset" = $2 AND "payer" = $3 AND "nonce" = $4`,
      values: [lower.chainId, lower.asset, lower.payer, lower.nonce],
    });
    const [row] = result.rows;
    return row === undefined ? null : { status: row.status, errorReason: row.error_reason };
  }

  /**
   * Stores a `queued` settlement and its audit event, or finds the one already stored for the
   * same authorization (`inserted: false`, whatever its payload: the caller compares signatures).
   */
  async queue(params: QueueSettlementParams): Promise<QueueSettlementResult> {
    const key = lowercaseKey(params);
    return withTransientRetry(() =>
      this.prisma.$transaction(async (tx): Promise<QueueSettlementResult> => {
        const inserted = await tx.$queryRaw<{ id: string }[]>`
          INSERT INTO "settlements" (
            "id", "org_id", "network", "request_network", "x402_version", "chain_id", "asset",
            "payer", "pay_to", "amount", "nonce", "valid_after", "valid_before", "signature",
            "signature_hash", "status")
          VALUES (
            ${params.id}::uuid, ${params.orgId}::uuid, ${params.network}, ${params.requestNetwork},
            ${params.x402Version}, ${key.chainId}, ${key.asset}, ${key.payer},
            ${params.payTo.toLowerCase()}, ${params.amountAtomic.toString()}::numeric, ${key.nonce},
            ${params.validAfter.toString()}::numeric, ${params.validBefore.toString()}::numeric,
            ${params.signature.toLowerCase()}, ${params.signatureHash.toLowerCase()}, 'queued')
          ON CONFLICT ("chain_id", "asset", "payer", "nonce") DO NOTHING
          RETURNING "id"`;
        if (inserted.length > 0) {
          await this.audit.append(tx, {
            orgId: params.orgId,
            actor: { type: 'system' },
            action: 'settlement.queued',
            subject: { type: 'settlement', id: params.id },
            data: {
              network: params.network,
              asset: key.asset,
              payer: key.payer,
              payTo: params.payTo.toLowerCase(),
              amountAtomic: params.amountAtomic.toString(),
              nonce: key.nonce,
            },
          });
        }
        const row = await tx.settlement.findUnique({ where: { chainId_asset_payer_nonce: key } });
        if (row === null) throw new Error(`Settlement of ${key.nonce} vanished while it was queued.`);
        return { inserted: inserted.length > 0, settlement: toSettlementRecord(row) };
      }, TRANSACTION_OPTIONS),
    );
  }
}

function lowercaseKey(key: AuthorizationKey): AuthorizationKey {
  return {
    chainId: key.chainId,
    asset: key.asset.toLowerCase(),
    payer: key.payer.toLowerCase(),
    nonce: key.nonce.toLowerCase(),
  };
}

/** Maps a Prisma row; NUMERIC columns become bigint through their exact decimal text. */
export function toSettlementRecord(row: Settlement): SettlementRecord {
  return {
    id: row.id,
    orgId: row.orgId,
    network: row.network,
    requestNetwork: row.requestNetwork,
    x402Version: row.x402Version,
    chainId: row.chainId,
    asset: row.asset,
    payer: row.payer,
    payTo: row.payTo,
    amountAtomic: BigInt(row.amount.toFixed()),
    nonce: row.nonce,
    validAfter: BigInt(row.validAfter.toFixed()),
    validBefore: BigInt(row.validBefore.toFixed()),
    signature: row.signature,
    signatureHash: row.signatureHash,
    status: row.status,
    relayerTransactionId: row.relayerTransactionId,
    transactionHash: row.transactionHash,
    errorReason: row.errorReason,
    errorMessage: row.errorMessage,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    settledAt: row.settledAt,
  };
}
