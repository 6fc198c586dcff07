import { Injectable, Logger } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import { type JobPayloads } from '@proco/jobs';
import {
  PrismaService,
  type RelayerTransaction,
  type SettlementRecord,
  toSettlementRecord,
} from '@proco/persistence';
import {
  BaseError,
  getAddress,
  TransactionReceiptNotFoundError,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { FailpointsService } from './failpoints.service';
import { authorizationKey, usedAuthorizationsIn } from './settlement-calls';
import {
  type SettlementOutcome,
  SettlementLedgerService,
  type UseEvidence,
} from './settlement-ledger.service';
import { type SettlementNetwork, SettlementNetworksService } from './settlement-networks.service';

/** How often a confirmation attempt reads the chain while it waits (receipt, then block height). */
export const CONFIRM_POLL_INTERVAL_MS = 250;

/**
 * Thrown when an attempt ends without a final outcome; the job is retried (bounded) and swept
 * later. `no_receipt`: the chain showed no receipt in time (the settlement is `unknown`);
 * `confirmations` or `reorg`: mined, not final yet (it stays `broadcast`).
 */
export class SettlementNotFinalError extends Error {
  readonly code = 'settlement_not_final';
  constructor(
    readonly reason: 'no_receipt' | 'confirmations' | 'reorg',
    message: string,
  ) {
    super(message);
    this.name = 'SettlementNotFinalError';
  }
}

/** What one confirm job did. */
export interface ConfirmOutcome {
  readonly status: 'mined' | 'reverted' | 'replaced' | 'already_final';
  readonly confirmed: number;
  readonly failed: number;
}

type RelayerTransactionWithSettlements = RelayerTransaction & {
  settlements: Parameters<typeof toSettlementRecord>[0][];
  relayer: { address: string };
};

/**
 * Brings one stored relayer transaction to a chain outcome: broadcasts its stored bytes when the
 * chain has no receipt for it (a crash may have come before or after the first broadcast; both are
 * the same transaction, so resending is harmless), waits for the receipt and the network's
 * confirmations, then records every settlement it carried from the token's own evidence: its
 * `AuthorizationUsed` log in the receipt, or else `authorizationState` (used by someone else's
 * transaction) and failed only when the authorization is still unused.
 *
 * While the RPC cannot answer, its settlements are `unknown`, never `failed`.
 */
@Injectable()
export class SettlementConfirmService {
  private readonly logger = new Logger(SettlementConfirmService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly networks: SettlementNetworksService,
    private readonly ledger: SettlementLedgerService,
    private readonly failpoints: FailpointsService,
    @InjectConfig() private readonly config: ProcoConfig,
  ) {}

  async confirm(job: JobPayloads['settlement.confirm']): Promise<ConfirmOutcome> {
    const transaction = await this.prisma.relayerTransaction.findUnique({
      where: { id: job.relayerTransactionId },
      include: { settlements: true, relayer: { select: { address: true } } },
    });
    if (transaction === null)
      throw new Error(`Relayer transaction ${job.relayerTransactionId} does not exist.`);
    if (transaction.status !== 'pending') return { status: 'already_final', confirmed: 0, failed: 0 };
    const network = await this.networks.checkedNetwork(transaction.network);
    if (network === undefined)
      throw new Error(`Relayer transaction on ${transaction.network}, which is not configured.`);
    try {
      return await this.bringToOutcome(network, transaction);
    } catch (error: unknown) {
      // The chain did not answer (or not yet with enough evidence): unknown, never failed.
      if (
        error instanceof BaseError ||
        (error instanceof SettlementNotFinalError && error.reason === 'no_receipt')
      ) {
        await this.ledger.markUnknown(transaction.id);
      }
      throw error;
    }
  }

  private async bringToOutcome(
    network: SettlementNetwork,
    transaction: RelayerTransactionWithSettlements,
  ): Promise<ConfirmOutcome> {
    const hash = transaction.hash as Hex;
    // A heartbeat for the outbox sweep: a transaction being confirmed right now needs no new job.
    await this.prisma.$executeRaw`
      UPDATE "relayer_transactions" SET "updated_at" = now()
       WHERE "id" = ${transaction.id}::uuid AND "status" = 'pending'`;
    let receipt = await this.receiptOf(network, hash);
    if (receipt === null) {
      const sent = await this.broadcast(network, transaction);
      if (sent === 'nonce_taken') {
        receipt = await this.receiptOf(network, hash);
        if (receipt === null) {
          // "Nonce too low" may come from the chain's head while reads come from a node behind it
          // (load-balanced RPCs): only a node that itself counts the nonce as used, and has no
          // receipt for ours, proves that another transaction took it.
          const used = await network.client.getTransactionCount({
            address: getAddress(transaction.relayer.address),
            blockTag: 'latest',
          });
          if (BigInt(used) <= transaction.nonce) {
            throw new SettlementNotFinalError(
              'no_receipt',
              `the RPC refused nonce ${transaction.nonce} as used but reads a count of ${used}: its reads lag`,
            );
          }
          // Read the receipt again after the count: a node that counts the nonce used must also
          // show our receipt if ours is what used it.
          receipt = await this.receiptOf(network, hash);
          if (receipt === null) return this.replaced(network, transaction);
        }
      } else {
        this.failpoints.hit('settlement.afterBroadcast');
      }
    }
    receipt ??= await this.waitForReceipt(network, hash);
    this.failpoints.hit('settlement.afterReceipt');
    const final = await this.waitForConfirmations(network, receipt);
    const settlements = transaction.settlements.map(toSettlementRecord).filter(isLive);
    const outcomes = await this.outcomesOf(network, final, settlements);
    await this.ledger.recordMined({
      relayerTransactionId: transaction.id,
      receipt: {
        status: final.status,
        blockNumber: final.blockNumber,
        blockHash: final.blockHash,
        gasUsed: final.gasUsed,
      },
      outcomes,
    });
    this.failpoints.hit('settlement.afterLedger');
    const confirmed = outcomes.filter((outcome) => outcome.kind === 'confirmed').length;
    this.logger.log(
      { relayerTransactionId: transaction.id, hash, status: final.status, confirmed },
      'settlement transaction final',
    );
    return {
      status: final.status === 'success' ? 'mined' : 'reverted',
      confirmed,
      failed: outcomes.length - confirmed,
    };
  }

  private async receiptOf(network: SettlementNetwork, hash: Hex): Promise<TransactionReceipt | null> {
    try {
      return await network.client.getTransactionReceipt({ hash });
    } catch (error: unknown) {
      if (error instanceof TransactionReceiptNotFoundError) return null;
      throw error;
    }
  }

  // Sends the stored bytes. A node that already has them, or has mined them, says so; any other
  // refusal is an RPC failure and the job is retried.
  private async broadcast(
    network: SettlementNetwork,
    transaction: RelayerTransaction,
  ): Promise<'sent' | 'nonce_taken'> {
    let outcome: 'sent' | 'nonce_taken' = 'sent';
    // Counted before sending: the node may take the bytes even when its answer is lost.
    await this.prisma.$executeRaw`
      UPDATE "relayer_transactions"
         SET "broadcast_count" = "broadcast_count" + 1, "broadcast_at" = COALESCE("broadcast_at", now()),
             "updated_at" = now()
       WHERE "id" = ${transaction.id}::uuid`;
    try {
      await network.client.sendRawTransaction({ serializedTransaction: transaction.rawTransaction as Hex });
    } catch (error: unknown) {
      const text = messagesOf(error);
      if (/nonce too low|nonce has already been used|oldnonce/i.test(text)) outcome = 'nonce_taken';
      else if (!/already known|already imported|known transaction|already exists/i.test(text)) throw error;
    }
    return outcome;
  }

  private async waitForReceipt(network: SettlementNetwork, hash: Hex): Promise<TransactionReceipt> {
    try {
      return await network.client.waitForTransactionReceipt({
        hash,
        timeout: this.config.settlement.receiptTimeoutMs,
        pollingInterval: CONFIRM_POLL_INTERVAL_MS,
        // viem would answer with the receipt of a transaction that replaced ours (same nonce), as
        // if it were ours; a replacement is decided by the `nonce_taken` path instead.
        checkReplacement: false,
      });
    } catch (error: unknown) {
      throw new SettlementNotFinalError(
        'no_receipt',
        `no receipt for ${hash} yet: ${messagesOf(error).slice(0, 200)}`,
      );
    }
  }

  // Waits until the receipt's block has the network's confirmations, then reads the receipt again:
  // a reorg that dropped or moved the transaction sends the job back to waiting.
  private async waitForConfirmations(
    network: SettlementNetwork,
    receipt: TransactionReceipt,
  ): Promise<TransactionReceipt> {
    const needed = BigInt(Math.max(1, network.config.confirmations));
    const deadline = Date.now() + this.config.settlement.receiptTimeoutMs;
    for (;;) {
      const head = await network.client.getBlockNumber({ cacheTime: 0 });
      if (head - receipt.blockNumber + 1n >= needed) break;
      if (Date.now() + CONFIRM_POLL_INTERVAL_MS > deadline) {
        throw new SettlementNotFinalError(
          'confirmations',
          `${receipt.transactionHash} has ${head - receipt.blockNumber + 1n} of ${needed} confirmations`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, CONFIRM_POLL_INTERVAL_MS));
    }
    const again = await this.receiptOf(network, receipt.transactionHash);
    if (again === null || again.blockHash !== receipt.blockHash) {
      throw new SettlementNotFinalError(
        'reorg',
        `${receipt.transactionHash} left block ${receipt.blockHash} (reorg)`,
      );
    }
    return again;
  }

  private async outcomesOf(
    network: SettlementNetwork,
    receipt: TransactionReceipt,
    settlements: readonly SettlementRecord[],
  ): Promise<SettlementOutcome[]> {
    const outcomes: SettlementOutcome[] = [];
    for (const settlement of settlements) {
      const used = usedAuthorizationsIn(receipt.logs, settlement.asset);
      // Our own call used it: the token moved exactly the signed terms.
      if (used.has(authorizationKey(settlement.payer, settlement.nonce))) {
        outcomes.push({ kind: 'confirmed', settlement, transactionHash: receipt.transactionHash });
        continue;
      }
      const evidence = await this.ledger.useEvidence(network, settlement);
      outcomes.push(
        outcomeFromEvidence(settlement, evidence, {
          kind: 'failed',
          settlement,
          reason: 'invalid_exact_evm_transaction_failed',
          message:
            receipt.status === 'reverted'
              ? `transaction ${receipt.transactionHash} reverted`
              : `its call failed in batch transaction ${receipt.transactionHash}`,
        }),
      );
    }
    return outcomes;
  }

  private async replaced(
    network: SettlementNetwork,
    transaction: RelayerTransactionWithSettlements,
  ): Promise<ConfirmOutcome> {
    const outcomes: SettlementOutcome[] = [];
    const requeue: SettlementRecord[] = [];
    for (const settlement of transaction.settlements.map(toSettlementRecord).filter(isLive)) {
      const evidence = await this.ledger.useEvidence(network, settlement);
      // Still unused, and our transaction can never land: safe to send it in a new one.
      if (evidence.kind === 'unused') requeue.push(settlement);
      else outcomes.push(outcomeFromEvidence(settlement, evidence, null));
    }
    await this.ledger.recordReplaced({ relayerTransactionId: transaction.id, outcomes, requeue });
    this.logger.warn(
      { relayerTransactionId: transaction.id, requeued: requeue.length },
      'relayer nonce taken by another transaction',
    );
    const confirmed = outcomes.filter((outcome) => outcome.kind === 'confirmed').length;
    return { status: 'replaced', confirmed, failed: outcomes.length - confirmed };
  }
}

/**
 * A settlement's outcome from what the chain shows: confirmed only when paid on its terms; failed
 * when cancelled or used for other terms; `ifUnused` when still unused (null: not expected here).
 * A use whose log is out of reach is no outcome yet: the job retries and the row stays `unknown`.
 */
function outcomeFromEvidence(
  settlement: SettlementRecord,
  evidence: UseEvidence,
  ifUnused: SettlementOutcome | null,
): SettlementOutcome {
  switch (evidence.kind) {
    case 'paid':
      return { kind: 'confirmed', settlement, transactionHash: evidence.transactionHash };
    case 'refused':
      return {
        kind: 'failed',
        settlement,
        reason: 'invalid_exact_evm_nonce_already_used',
        message: evidence.message,
      };
    case 'unproven':
      throw new SettlementNotFinalError('no_receipt', evidence.message);
    case 'unused':
      if (ifUnused === null)
        throw new SettlementNotFinalError('no_receipt', 'the authorization reads unused');
      return ifUnused;
  }
}

function isLive(settlement: SettlementRecord): boolean {
  return settlement.status === 'broadcast' || settlement.status === 'unknown';
}

/** Every message of an error's cause chain (bounded), for matching node answers. */
function messagesOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth += 1) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.join(' | ');
}
