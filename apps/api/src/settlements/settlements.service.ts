import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import { Prisma, PrismaService, SettlementStore } from '@proco/persistence';
import { ReceiptError, verifyReceipt } from '@proco/receipts';
import { chainIdOf } from '@proco/x402';
import { type Hex, keccak256 } from 'viem';
import { type OperatorPrincipal } from '../auth/principal';
import { cursorOf, type Page, pageOf, pastCursor } from '../common/pagination';
import { ReceiptKeysService } from '../receipts/receipt-keys.service';
import { SettlementJobsService } from './settlement-jobs.service';
import { type ListSettlementsQuery, type SettleReceiptBody, type SettlementView } from './settlements.dto';
import {
  ReceiptInvalidError,
  ReceiptNotSettleableError,
  SettlementNotFoundError,
} from './settlements.errors';

const WITH_TRANSACTION = {
  relayerTransaction: {
    select: {
      hash: true,
      status: true,
      nonce: true,
      blockNumber: true,
      broadcastCount: true,
      _count: { select: { settlements: true } },
    },
  },
} as const;

type SettlementRow = Prisma.SettlementGetPayload<{ include: typeof WITH_TRANSACTION }>;

/** The settlement status API: an org's settlements, by id, transaction or authorization. */
@Injectable()
export class SettlementsService {
  private readonly explorers: ReadonlyMap<string, string>;

  constructor(
    private readonly prisma: PrismaService,
    private readonly store: SettlementStore,
    private readonly jobs: SettlementJobsService,
    private readonly receiptKeys: ReceiptKeysService,
    @InjectConfig() private readonly config: ProcoConfig,
  ) {
    this.explorers = new Map(
      this.config.networks.flatMap((network) =>
        network.explorerUrl === undefined
          ? []
          : [[network.id, network.explorerUrl.replace(/\/+$/, '')] as const],
      ),
    );
  }

  /** The org's settlements, newest first. Errors: `validation_failed` (a malformed cursor). */
  async list(operator: OperatorPrincipal, query: ListSettlementsQuery): Promise<Page<SettlementView>> {
    const cursor = cursorOf(query.cursor);
    const rows = await this.prisma.settlement.findMany({
      where: {
        orgId: operator.orgId,
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.network === undefined ? {} : { network: query.network }),
        ...(query.asset === undefined ? {} : { asset: query.asset }),
        ...(query.payer === undefined ? {} : { payer: query.payer }),
        ...(query.payTo === undefined ? {} : { payTo: query.payTo }),
        ...(query.nonce === undefined ? {} : { nonce: query.nonce }),
        ...(query.transactionHash === undefined
          ? {}
          : {
              OR: [
                { transactionHash: query.transactionHash },
                { relayerTransaction: { hash: query.transactionHash } },
              ],
            }),
        ...pastCursor(cursor, 'desc'),
      },
      include: WITH_TRANSACTION,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    return pageOf(rows, query.limit, (row) => this.viewOf(row));
  }

  /** One of the org's settlements. Errors: `settlement_not_found` (also for other orgs'). */
  async find(operator: OperatorPrincipal, id: string): Promise<SettlementView> {
    const row = await this.prisma.settlement.findFirst({
      where: { id, orgId: operator.orgId },
      include: WITH_TRANSACTION,
    });
    if (row === null) throw new SettlementNotFoundError(id);
    return this.viewOf(row);
  }

  /**
   * Deferred settlement of a receipt a seller accepted offline: verifies it against this
   * deployment's own keys, finds its payment's signed authorization and queues it for the next
   * batch (or finds the settlement already queued for it). Nothing waits for the chain here.
   * Errors: `receipt_invalid` (400), `receipt_not_settleable` (409).
   */
  async settleReceipt(
    operator: OperatorPrincipal,
    body: SettleReceiptBody,
  ): Promise<{ created: boolean; view: SettlementView }> {
    let paymentId: string;
    try {
      const verified = await verifyReceipt({
        token: body.receipt,
        // A mutable copy: jose's key-set type is not readonly.
        keys: { keys: [...(await this.receiptKeys.jwks()).keys] },
        issuer: this.config.api.publicUrl,
        now: new Date(),
      });
      paymentId = verified.claims.sub;
    } catch (error: unknown) {
      if (error instanceof ReceiptError) throw new ReceiptInvalidError(error.code, { cause: error });
      throw error;
    }
    const payment = await this.prisma.payment.findUnique({ where: { id: paymentId } });
    const terms = payment === null ? null : signedTermsOf(payment);
    if (payment === null || terms === null) throw new ReceiptNotSettleableError(paymentId);
    const network = this.config.networks.find((candidate) => candidate.id === payment.network);
    if (network === undefined) throw new ReceiptNotSettleableError(paymentId);
    const queued = await this.store.queue({
      id: randomUUID(),
      orgId: operator.orgId,
      network: network.id,
      requestNetwork: network.id,
      x402Version: 2,
      chainId: chainIdOf(network.id),
      asset: terms.asset,
      payer: terms.authorization.from,
      payTo: terms.authorization.to,
      amountAtomic: BigInt(terms.authorization.value),
      nonce: terms.authorization.nonce,
      validAfter: BigInt(terms.authorization.validAfter),
      validBefore: BigInt(terms.authorization.validBefore),
      signature: terms.signature,
      signatureHash: keccak256(terms.signature),
    });
    if (queued.inserted) await this.jobs.enqueueSubmit(queued.settlement);
    const row = await this.prisma.settlement.findUniqueOrThrow({
      where: { id: queued.settlement.id },
      include: WITH_TRANSACTION,
    });
    return { created: queued.inserted, view: this.viewOf(row) };
  }

  private viewOf(row: SettlementRow): SettlementView {
    const transaction = row.relayerTransaction;
    const explorer = this.explorers.get(row.network);
    return {
      id: row.id,
      status: row.status,
      network: row.network,
      asset: row.asset,
      payer: row.payer,
      payTo: row.payTo,
      amount: row.amount.toFixed(),
      nonce: row.nonce,
      validAfter: row.validAfter.toFixed(),
      validBefore: row.validBefore.toFixed(),
      transactionHash: row.transactionHash,
      transaction:
        transaction === null
          ? null
          : {
              hash: transaction.hash,
              status: transaction.status,
              relayerNonce: transaction.nonce.toString(),
              blockNumber: transaction.blockNumber?.toString() ?? null,
              broadcastCount: transaction.broadcastCount,
              batchSize: transaction._count.settlements,
              explorerUrl: explorer === undefined ? null : `${explorer}/tx/${transaction.hash}`,
            },
      errorReason: row.errorReason,
      errorMessage: row.errorMessage,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      settledAt: row.settledAt?.toISOString() ?? null,
    };
  }
}

/** The signed authorization of an authorized payment, from the answer Proco stored for it. */
interface SignedTerms {
  readonly asset: string;
  readonly signature: Hex;
  readonly authorization: {
    readonly from: string;
    readonly to: string;
    readonly value: string;
    readonly validAfter: string;
    readonly validBefore: string;
    readonly nonce: string;
  };
}

function signedTermsOf(payment: Prisma.PaymentGetPayload<object>): SignedTerms | null {
  if (payment.status !== 'authorized' || payment.response === null || payment.asset === null) return null;
  const response = JSON.parse(payment.response) as {
    payload?: { payload?: Partial<Omit<SignedTerms, 'asset'>> };
  };
  const inner = response.payload?.payload;
  const authorization = inner?.authorization;
  if (typeof inner?.signature !== 'string' || authorization === undefined) return null;
  return { asset: payment.asset, signature: inner.signature, authorization };
}
