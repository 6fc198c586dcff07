import { Injectable } from '@nestjs/common';
import {
  type AuditEventRecord,
  type ChainedAuditEvent,
  computeAuditHash,
  GENESIS_HASH,
  verifyAuditChainPages,
  type VerifyAuditChainResult,
} from '@proco/audit';
import { type Prisma } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { type Transaction } from './transaction';

/**
 * First key of the two-key advisory lock that serialises appends to one chain (the second is the
 * chain's hash). Each append reads its chain's head and links to it, so two appends to the same
 * chain must never interleave; appends to different orgs' chains do not wait for each other.
 */
export const AUDIT_CHAIN_LOCK_CLASS = 0x70726f63; // "proc"
/** The chain of events that belong to no org (system and CLI actions without an org). */
export const SYSTEM_AUDIT_CHAIN = 'system';
/** Rows read per page while verifying a chain. */
export const AUDIT_VERIFY_PAGE_SIZE = 1_000;
/** Chains listed per page when the worker walks all of them. */
export const AUDIT_CHAINS_PAGE_SIZE = 500;

/** Who caused an audited change. */
export interface AuditActor {
  readonly type: 'operator' | 'agent' | 'system' | 'cli';
  readonly id?: string | undefined;
}

/** What to record; the repository adds the chain, sequence, time and hashes. */
export interface AppendAuditEventParams {
  readonly orgId: string | null;
  readonly actor: AuditActor;
  readonly action: string;
  readonly subject: { readonly type: string; readonly id?: string | undefined };
  readonly data?: Record<string, unknown> | undefined;
  readonly requestId?: string | undefined;
}

/** The chain an org's events belong to. */
export function auditChainOf(orgId: string | null): string {
  return orgId ?? SYSTEM_AUDIT_CHAIN;
}

/** Append-only, hash-chained audit log, one chain per org (invariant 6). */
@Injectable()
export class AuditLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Appends one event inside the caller's transaction, so the audited change and its record
   * commit together or not at all. Holds the chain's lock until that transaction ends.
   *
   * Contract: the transaction runs at READ COMMITTED (Prisma's default), so the head read after the
   * lock sees every append committed before it. Under a snapshot isolation level the read could
   * be stale; the (chain, sequence) primary key then fails the transaction rather than fork the
   * chain.
   */
  async append(tx: Transaction, params: AppendAuditEventParams): Promise<AuditEventRecord> {
    const chain = auditChainOf(params.orgId);
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_CLASS}::int, hashtext(${chain}))`;
    const head = await tx.auditEvent.findFirst({
      where: { chain },
      orderBy: { sequence: 'desc' },
      select: { sequence: true, hash: true },
    });
    const event: AuditEventRecord = {
      sequence: (head?.sequence ?? 0n) + 1n,
      orgId: params.orgId,
      actorType: params.actor.type,
      actorId: params.actor.id ?? null,
      action: params.action,
      subjectType: params.subject.type,
      subjectId: params.subject.id ?? null,
      data: params.data ?? {},
      requestId: params.requestId ?? null,
      // The column keeps milliseconds, as does a Date, so the hash recomputes from what is stored.
      occurredAt: new Date(),
    };
    const previousHash = head === null ? GENESIS_HASH : Uint8Array.from(head.hash);
    const hash = computeAuditHash({ previousHash, event });
    await tx.auditEvent.create({
      data: {
        ...event,
        chain,
        data: event.data as Prisma.InputJsonValue,
        previousHash: new Uint8Array(previousHash),
        hash: new Uint8Array(hash),
      },
    });
    return event;
  }

  /** One page of an org's events, newest first. */
  async listForOrg(params: { orgId: string; beforeSequence?: bigint; limit: number }) {
    return this.prisma.auditEvent.findMany({
      where: {
        chain: auditChainOf(params.orgId),
        ...(params.beforeSequence === undefined ? {} : { sequence: { lt: params.beforeSequence } }),
      },
      orderBy: { sequence: 'desc' },
      take: params.limit,
    });
  }

  /** Verifies one chain from its genesis, reading it page by page. */
  async verifyChain(chain: string, pageSize = AUDIT_VERIFY_PAGE_SIZE): Promise<VerifyAuditChainResult> {
    return verifyAuditChainPages({ pages: this.readChain(chain, pageSize) });
  }

  /** Every chain name, in pages (keyset on the name, so the walk is bounded per call). */
  async *listChains(pageSize = AUDIT_CHAINS_PAGE_SIZE): AsyncGenerator<string[]> {
    let after = '';
    for (;;) {
      const rows = await this.prisma.$queryRaw<{ chain: string }[]>`
        SELECT DISTINCT chain FROM audit_events WHERE chain > ${after} ORDER BY chain LIMIT ${pageSize}`;
      if (rows.length === 0) return;
      yield rows.map((row) => row.chain);
      after = rows[rows.length - 1]!.chain;
    }
  }

  /** Reads one chain in sequence order, page by page. */
  async *readChain(chain: string, pageSize: number): AsyncGenerator<ChainedAuditEvent[]> {
    let afterSequence = 0n;
    for (;;) {
      const page = await this.prisma.auditEvent.findMany({
        where: { chain, sequence: { gt: afterSequence } },
        orderBy: { sequence: 'asc' },
        take: pageSize,
      });
      if (page.length === 0) return;
      yield page;
      afterSequence = page[page.length - 1]!.sequence;
    }
  }
}
