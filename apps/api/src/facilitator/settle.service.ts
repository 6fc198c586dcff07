import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import {
  PrismaService,
  type SettlementRecord,
  SettlementStore,
  toSettlementRecord,
} from '@proco/persistence';
import { openSignatureEnvelope, payerOf, type Eip3009VerifyRequest, type VerifyRequest } from '@proco/x402';
import { keccak256 } from 'viem';
import { type RegisteredNetwork } from '../networks/network-registry.service';
import { SettlementJobsService } from '../settlements/settlement-jobs.service';
import { FacilitatorService, parseFacilitatorRequest } from './facilitator.service';

/** `POST /facilitator/settle`'s answer, the x402 SettleResponse. */
export interface SettleResponseView {
  readonly success: boolean;
  readonly errorReason?: string;
  readonly errorMessage?: string;
  /** The transaction hash; `""` when there is none (a failure before broadcast). */
  readonly transaction: string;
  /** As the caller named it: CAIP-2 (v2) or the v1 name. */
  readonly network: string;
  readonly payer?: string;
}

/** First and longest pause between two reads of a settlement that is being waited for. */
export const SETTLE_POLL_FIRST_MS = 25;
export const SETTLE_POLL_MAX_MS = 250;

/**
 * `POST /facilitator/settle`: re-verifies the payment (signature, terms, simulation) and queues
 * one settlement per authorization; then waits, up to `PROCO_SETTLE_WAIT_MS`, for the worker to
 * confirm it on chain. Idempotent per authorization: every caller of the same payload gets the
 * answer of the same stored settlement, and only one transfer ever reaches the chain.
 */
@Injectable()
export class SettleService {
  constructor(
    private readonly facilitator: FacilitatorService,
    private readonly settlements: SettlementStore,
    private readonly prisma: PrismaService,
    private readonly jobs: SettlementJobsService,
    @InjectConfig() private readonly config: ProcoConfig,
  ) {}

  /**
   * Errors: those of `verify` but `rate_limited` (the caller is an authenticated operator and every
   * settle is one row); business refusals are `success: false` answers, never errors.
   */
  async settle(body: unknown, orgId: string): Promise<SettleResponseView> {
    const deadline = Date.now() + this.config.settlement.settleWaitMs;
    const request = parseFacilitatorRequest(body);
    const network = this.facilitator.networkOf(request);
    if (network === undefined || request.payment.kind !== 'eip3009') {
      const refusal = await this.facilitator.refusalOf(request, 'settle');
      return failureOf(request, refusal?.reason ?? 'unsupported_payload_type', refusal?.message);
    }
    const eip3009: Eip3009VerifyRequest = { ...request, payment: request.payment };
    const signatureHash = keccak256(eip3009.payment.signature);
    let settlement = await this.settlements.findByAuthorization(authorizationKeyOf(network, eip3009));
    if (settlement === null) {
      const refusal = await this.facilitator.refusalOf(eip3009, 'settle');
      if (refusal !== null) {
        // A concurrent settle of the same payload may have queued it, and even landed it (so the
        // simulation saw the nonce used) while this one was checking: its answer is the answer.
        settlement = await this.settlements.findByAuthorization(authorizationKeyOf(network, eip3009));
        if (settlement === null) return failureOf(request, refusal.reason, refusal.message);
      }
    }
    if (settlement === null) {
      const queued = await this.settlements.queue(
        queueParamsOf({ network, request: eip3009, orgId, signatureHash }),
      );
      settlement = queued.settlement;
      if (queued.inserted) await this.jobs.enqueueSubmit(settlement);
    }
    if (settlement.signatureHash !== signatureHash.toLowerCase()) {
      return failureOf(request, 'duplicate_settlement', 'another payment of this authorization was settled');
    }
    // The same payment presented against other requirements (a higher price, another payee)
    // does not inherit the stored answer: it would not have passed verify.
    if (request.requirements.payTo.toLowerCase() !== settlement.payTo) {
      return failureOf(
        request,
        'invalid_exact_evm_recipient_mismatch',
        'the settled authorization pays another payee',
      );
    }
    if (request.requirements.amountAtomic !== settlement.amountAtomic) {
      return failureOf(
        request,
        'invalid_exact_evm_payload_authorization_value_mismatch',
        'the settled authorization is for another amount',
      );
    }
    return this.answerOf(request, await this.awaitOutcome(settlement, deadline));
  }

  // Reads the row until it is confirmed or failed, or the deadline passes (then its last state).
  private async awaitOutcome(settlement: SettlementRecord, deadline: number): Promise<SettlementState> {
    let current = await this.stateOf(settlement.id);
    let pause = SETTLE_POLL_FIRST_MS;
    while (!isTerminal(current.settlement) && Date.now() + pause < deadline) {
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, SETTLE_POLL_MAX_MS);
      current = await this.stateOf(settlement.id);
    }
    return current;
  }

  private async stateOf(id: string): Promise<SettlementState> {
    const row = await this.prisma.settlement.findUnique({
      where: { id },
      include: { relayerTransaction: { select: { hash: true } } },
    });
    if (row === null) throw new Error(`Settlement ${id} disappeared.`);
    return { settlement: toSettlementRecord(row), sentHash: row.relayerTransaction?.hash ?? null };
  }

  private answerOf(request: VerifyRequest, state: SettlementState): SettleResponseView {
    const { settlement, sentHash } = state;
    const payer = payerOf(request) ?? settlement.payer;
    const network = request.requirements.network;
    switch (settlement.status) {
      case 'confirmed':
        // Confirmed only with the hash of the transaction that moved the money.
        return { success: true, transaction: settlement.transactionHash ?? '', network, payer };
      case 'failed':
        return {
          success: false,
          errorReason: settlement.errorReason ?? 'unexpected_settle_error',
          ...(settlement.errorMessage === null ? {} : { errorMessage: settlement.errorMessage }),
          transaction: '',
          network,
          payer,
        };
      default:
        // Never a failure: the transfer may land, and the hash (once there is one) lets anyone check.
        return {
          success: false,
          errorReason: 'settlement_pending',
          errorMessage: `settlement ${settlement.id} is ${settlement.status}; settle again or read GET /v1/settlements/${settlement.id}`,
          transaction: sentHash ?? '',
          network,
          payer,
        };
    }
  }
}

interface SettlementState {
  readonly settlement: SettlementRecord;
  /** The hash of the relayer transaction carrying it, once one is stored. */
  readonly sentHash: string | null;
}

function isTerminal(settlement: SettlementRecord): boolean {
  return settlement.status === 'confirmed' || settlement.status === 'failed';
}

function authorizationKeyOf(network: RegisteredNetwork, request: Eip3009VerifyRequest) {
  return {
    chainId: network.chainId,
    asset: request.requirements.asset,
    payer: request.payment.authorization.from,
    nonce: request.payment.authorization.nonce,
  };
}

function queueParamsOf(params: {
  network: RegisteredNetwork;
  request: Eip3009VerifyRequest;
  orgId: string;
  signatureHash: string;
}) {
  const { network, request, orgId, signatureHash } = params;
  const { authorization } = request.payment;
  // What the token must be given: an ERC-6492 wrapper is opened as verify opened it (a wallet
  // still needing its factory call was refused there), and the payer's wallet judges the inner
  // signature. `signatureHash` stays the digest of the payload as sent, for idempotency.
  const signature = openSignatureEnvelope(request.payment.signature).innerSignature;
  return {
    id: randomUUID(),
    orgId,
    network: network.config.id,
    requestNetwork: request.requirements.network,
    x402Version: request.x402Version,
    ...authorizationKeyOf(network, request),
    payTo: authorization.to,
    amountAtomic: BigInt(authorization.value),
    validAfter: BigInt(authorization.validAfter),
    validBefore: BigInt(authorization.validBefore),
    signature,
    signatureHash,
  };
}

function failureOf(request: VerifyRequest, reason: string, message: string | undefined): SettleResponseView {
  const payer = payerOf(request);
  return {
    success: false,
    errorReason: reason,
    ...(message === undefined ? {} : { errorMessage: message }),
    transaction: '',
    network: request.requirements.network,
    ...(payer === null ? {} : { payer }),
  };
}
