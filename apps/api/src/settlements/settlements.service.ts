import { Injectable } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import { Prisma, PrismaService } from '@proco/persistence';
import { type OperatorPrincipal } from '../auth/principal';
import { cursorOf, type Page, pageOf, pastCursor } from '../common/pagination';
import { type ListSettlementsQuery, type SettlementView } from './settlements.dto';
import { SettlementNotFoundError } from './settlements.errors';

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
    @InjectConfig() config: ProcoConfig,
  ) {
    this.explorers = new Map(
      config.networks.flatMap((network) =>
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
