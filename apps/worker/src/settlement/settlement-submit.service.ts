import { randomUUID } from 'node:crypto';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import {
  type JobPayloads,
  SETTLEMENT_JOB_OPTIONS,
  SETTLEMENT_QUEUE,
  settlementConfirmJobId,
} from '@proco/jobs';
import { PrismaService, type SettlementRecord, toSettlementRecord } from '@proco/persistence';
import { type Queue } from 'bullmq';
import { getAddress, keccak256, type Hex } from 'viem';
import { FailpointsService } from './failpoints.service';
import { RelayerService } from './relayer.service';
import { failureReasonOf, revertMessageOf, type SettlementFailureReason } from './revert-reason';
import { batchCallData, decodeBatchResults, relayerCallOf, transferCallData } from './settlement-calls';
import { SettlementLedgerService } from './settlement-ledger.service';
import { type SettlementNetwork, SettlementNetworksService } from './settlement-networks.service';

/** Batches one submit job signs at most; more queued settlements wait for the next job. */
export const SUBMIT_ROUNDS_MAX = 16;
/**
 * Seconds of validity an authorization must have left to be sent, as the reference facilitator
 * asks at verify: less, and the transaction could land after `validBefore` and only burn gas.
 */
export const VALIDITY_MARGIN_SECONDS = 6n;
/** The base fee a relayer transaction can absorb, as a multiple of the latest block's. */
export const BASE_FEE_HEADROOM = 2n;
/** Gas limit headroom over the estimate, in tenths (13 = +30%), never above the cap. */
const GAS_HEADROOM_TENTHS = 13n;

/** What one submit job did. */
export interface SubmitOutcome {
  /** Relayer transactions signed and stored (each then confirmed by its own job). */
  readonly transactions: readonly string[];
  /** Settlements ended before any broadcast (refused by simulation, expired, over the gas cap). */
  readonly endedBeforeBroadcast: number;
}

/**
 * Signs and stores relayer transactions for the queued settlements of one asset on one network:
 * up to `PROCO_SETTLEMENT_BATCH_SIZE` authorizations per transaction, simulated together first so
 * a failing one is ended without spending gas and never sinks the others.
 *
 * Crash safety: the relayer nonce is allocated, the transaction signed and stored, and the
 * settlements attached to it in one PostgreSQL transaction; nothing is broadcast here. The
 * confirm job broadcasts the stored bytes (again after a crash), so an authorization is only ever
 * carried by one relayer transaction. Running a job twice is safe: settlements are claimed with
 * `FOR UPDATE SKIP LOCKED` on `status = 'queued'`.
 */
@Injectable()
export class SettlementSubmitService {
  private readonly logger = new Logger(SettlementSubmitService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly networks: SettlementNetworksService,
    private readonly relayers: RelayerService,
    private readonly ledger: SettlementLedgerService,
    private readonly failpoints: FailpointsService,
    @InjectQueue(SETTLEMENT_QUEUE) private readonly queue: Queue<JobPayloads['settlement.confirm']>,
    @InjectConfig() private readonly config: ProcoConfig,
  ) {}

  async submit(job: JobPayloads['settlement.submit']): Promise<SubmitOutcome> {
    const network = await this.networks.checkedNetwork(job.network);
    if (network === undefined) {
      throw new Error(`Settlements queued on ${job.network}, which is not configured.`);
    }
    const { batchSize } = this.config.settlement;
    const transactions: string[] = [];
    let endedBeforeBroadcast = 0;
    for (let round = 0; round < SUBMIT_ROUNDS_MAX; round += 1) {
      const candidates = await this.queuedBatch({ network: job.network, asset: job.asset, limit: batchSize });
      if (candidates.length === 0) break;
      const { sendable, refused } = await this.screen(network, candidates);
      for (const refusal of refused) {
        await this.ledger.endBeforeBroadcast(network, refusal);
      }
      endedBeforeBroadcast += refused.length;
      if (sendable.length > 0) {
        const transactionId = await this.signAndStore(network, sendable);
        if (transactionId === null) continue; // another job claimed part of the batch: read again
        transactions.push(transactionId);
        await this.enqueueConfirm(transactionId);
      }
      if (candidates.length < batchSize) break;
    }
    return { transactions, endedBeforeBroadcast };
  }

  private async queuedBatch(params: {
    network: string;
    asset: string;
    limit: number;
  }): Promise<SettlementRecord[]> {
    const rows = await this.prisma.settlement.findMany({
      where: { status: 'queued', network: params.network, asset: params.asset.toLowerCase() },
      orderBy: { createdAt: 'asc' },
      take: params.limit,
    });
    return rows.map(toSettlementRecord);
  }

  // Leaves out what would fail on chain: too close to validBefore, or refused by a simulation of
  // the whole batch (one eth_call through Multicall3, so every call is judged alone).
  private async screen(
    network: SettlementNetwork,
    candidates: readonly SettlementRecord[],
  ): Promise<{ sendable: SettlementRecord[]; refused: Refusal[] }> {
    const nowSeconds = BigInt(Math.floor(Date.now() / 1_000));
    const refused: Refusal[] = [];
    const live = candidates.filter((settlement) => {
      if (settlement.validBefore > nowSeconds + VALIDITY_MARGIN_SECONDS) return true;
      refused.push({
        settlement,
        reason: 'invalid_exact_evm_payload_authorization_valid_before',
        message: null,
      });
      return false;
    });
    if (live.length === 0) return { sendable: [], refused };
    const { signer } = await this.relayers.current();
    const { data } = await network.client.call({
      account: signer.address,
      to: network.multicall3,
      data: batchCallData(live),
    });
    if (data === undefined) throw new Error('The batch simulation returned no data.');
    const results = decodeBatchResults(data);
    const sendable: SettlementRecord[] = [];
    for (const [index, settlement] of live.entries()) {
      const result = results[index];
      if (result === undefined) throw new Error('The batch simulation returned too few results.');
      if (result.success) sendable.push(settlement);
      else refused.push(await this.explain(network, settlement, revertMessageOf(result.returnData)));
    }
    return { sendable, refused };
  }

  // A revert string names its cause; a token with custom errors (or none) is asked instead, in the
  // order the reference facilitator diagnoses a failed simulation.
  private async explain(
    network: SettlementNetwork,
    settlement: SettlementRecord,
    message: string | null,
  ): Promise<Refusal> {
    const named = failureReasonOf(message);
    if (named !== 'invalid_exact_evm_transaction_failed') return { settlement, reason: named, message };
    if (await this.ledger.isUsed(network, settlement)) {
      return { settlement, reason: 'invalid_exact_evm_nonce_already_used', message };
    }
    if ((await this.ledger.balanceOf(network, settlement)) < settlement.amountAtomic) {
      return { settlement, reason: 'invalid_exact_evm_insufficient_balance', message };
    }
    return { settlement, reason: named, message };
  }

  // Returns the stored transaction's id, or null when another job claimed part of the batch
  // first (the next round reads the queue again) or the batch is over the gas cap.
  private async signAndStore(
    network: SettlementNetwork,
    batch: readonly SettlementRecord[],
  ): Promise<string | null> {
    const relayer = await this.relayers.current();
    await this.relayers.fundLocally(network);
    const call = relayerCallOf(batch, network.multicall3);
    const estimate = await network.client.estimateGas({
      account: relayer.signer.address,
      to: call.to,
      data: call.data,
    });
    const perAuthorization = BigInt(this.config.settlement.gasPerAuthorizationMax);
    const cap = BigInt(batch.length) * perAuthorization;
    if (estimate > cap) {
      await this.endOverCap({ network, batch, relayer: relayer.signer.address, estimate, cap });
      return null;
    }
    const gasLimit = minBigInt((estimate * GAS_HEADROOM_TENTHS) / 10n, cap);
    const fees = await this.feesOf(network);
    await this.ensureNonceRow(network, relayer.id, relayer.signer.address);
    this.failpoints.hit('settlement.beforeSign');
    const ids = batch.map((settlement) => settlement.id);
    const stored = await this.prisma.$transaction(async (tx) => {
      const claimed = await tx.$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "settlements"
         WHERE "id" = ANY(${ids}::uuid[]) AND "status" = 'queued'
         FOR UPDATE SKIP LOCKED`;
      if (claimed.length !== ids.length) return null;
      const [allocated] = await tx.$queryRaw<{ nonce: bigint }[]>`
        UPDATE "relayer_nonces" SET "next_nonce" = "next_nonce" + 1, "updated_at" = now()
         WHERE "relayer_id" = ${relayer.id}::uuid AND "chain_id" = ${network.chainId}
         RETURNING "next_nonce" - 1 AS "nonce"`;
      if (allocated === undefined)
        throw new Error(`No nonce row for the relayer on chain ${network.chainId}.`);
      const nonce = BigInt(allocated.nonce);
      const raw = await relayer.signer.signTransaction({
        type: 'eip1559',
        chainId: network.chainId,
        nonce: Number(nonce),
        to: call.to,
        data: call.data,
        value: 0n,
        gas: gasLimit,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      });
      const id = randomUUID();
      await tx.$executeRaw`
        INSERT INTO "relayer_transactions" (
          "id", "relayer_id", "network", "chain_id", "nonce", "to", "raw_transaction", "hash",
          "gas_limit", "max_fee_per_gas", "max_priority_fee_per_gas")
        VALUES (
          ${id}::uuid, ${relayer.id}::uuid, ${network.config.id}, ${network.chainId}, ${nonce},
          ${call.to.toLowerCase()}, ${raw}, ${keccak256(raw)}, ${gasLimit.toString()}::numeric,
          ${fees.maxFeePerGas.toString()}::numeric, ${fees.maxPriorityFeePerGas.toString()}::numeric)`;
      await tx.$executeRaw`
        UPDATE "settlements"
           SET "status" = 'broadcast', "relayer_transaction_id" = ${id}::uuid, "updated_at" = now()
         WHERE "id" = ANY(${ids}::uuid[])`;
      return id;
    });
    if (stored !== null) {
      this.logger.log(
        { relayerTransactionId: stored, settlements: ids.length, network: network.config.id },
        'settlement transaction stored',
      );
      this.failpoints.hit('settlement.afterPersist');
    }
    return stored;
  }

  // A batch over the cap: each authorization is estimated alone and only those over the
  // per-authorization cap are ended (one heavy payer must not sink the others); the rest go back
  // to the next round. When none is over alone, the batch as a whole is refused.
  private async endOverCap(params: {
    network: SettlementNetwork;
    batch: readonly SettlementRecord[];
    relayer: Hex;
    estimate: bigint;
    cap: bigint;
  }): Promise<void> {
    const { network, batch, relayer } = params;
    const perAuthorization = BigInt(this.config.settlement.gasPerAuthorizationMax);
    const offenders: { settlement: SettlementRecord; message: string }[] = [];
    if (batch.length > 1) {
      for (const settlement of batch) {
        const alone = await network.client.estimateGas({
          account: relayer,
          to: getAddress(settlement.asset),
          data: transferCallData(settlement),
        });
        if (alone > perAuthorization) {
          offenders.push({
            settlement,
            message: `estimated ${alone} gas, over the cap of ${perAuthorization}`,
          });
        }
      }
    }
    const ended =
      offenders.length > 0
        ? offenders
        : batch.map((settlement) => ({
            settlement,
            message: `estimated ${params.estimate} gas for ${batch.length} authorization(s), over the cap of ${params.cap}`,
          }));
    for (const { settlement, message } of ended) {
      await this.ledger.endBeforeBroadcast(network, {
        settlement,
        reason: 'settlement_gas_cap_exceeded',
        message,
      });
    }
  }

  // Room for the base fee to double before the transaction is underpriced: several full blocks in
  // a row on any EIP-1559 chain. Proco has no fee bump yet (a stored transaction is only ever
  // rebroadcast as it is), so a stuck transaction would hold up every later relayer nonce; the
  // headroom costs nothing unless used, since a transaction pays the base fee actually charged.
  private async feesOf(
    network: SettlementNetwork,
  ): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const [estimate, block] = await Promise.all([
      network.client.estimateFeesPerGas(),
      network.client.getBlock({ blockTag: 'latest' }),
    ]);
    const baseFee = block.baseFeePerGas ?? 0n;
    const headroom = BASE_FEE_HEADROOM * baseFee + estimate.maxPriorityFeePerGas;
    return {
      maxFeePerGas: estimate.maxFeePerGas > headroom ? estimate.maxFeePerGas : headroom,
      maxPriorityFeePerGas: estimate.maxPriorityFeePerGas,
    };
  }

  // The first transaction of the relayer on a chain starts from the chain's count (pending
  // included); from then on PostgreSQL alone allocates, so replicas never collide.
  private async ensureNonceRow(network: SettlementNetwork, relayerId: string, address: Hex): Promise<void> {
    const existing = await this.prisma.relayerNonce.findUnique({
      where: { relayerId_chainId: { relayerId, chainId: network.chainId } },
    });
    if (existing !== null) return;
    const count = await network.client.getTransactionCount({ address, blockTag: 'pending' });
    await this.prisma.$executeRaw`
      INSERT INTO "relayer_nonces" ("relayer_id", "chain_id", "next_nonce")
      VALUES (${relayerId}::uuid, ${network.chainId}, ${count})
      ON CONFLICT DO NOTHING`;
  }

  private async enqueueConfirm(relayerTransactionId: string): Promise<void> {
    await this.queue.add(
      'settlement.confirm',
      { relayerTransactionId },
      {
        ...SETTLEMENT_JOB_OPTIONS,
        backoff: { ...SETTLEMENT_JOB_OPTIONS.backoff },
        jobId: settlementConfirmJobId(relayerTransactionId),
      },
    );
  }
}

/** A settlement ended before broadcast, and why. */
export interface Refusal {
  readonly settlement: SettlementRecord;
  readonly reason: SettlementFailureReason;
  readonly message: string | null;
}

function minBigInt(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
