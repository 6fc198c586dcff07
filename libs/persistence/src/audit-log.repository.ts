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
 * Advisory-lock key that serialises appends to the audit chain. Each append reads the head and
 * links to it, so two appends must never interleave.
 */
export const AUDIT_CHAIN_LOCK_KEY = 0x70726f636f; // "proco"
/** Rows read per page while verifying the chain. */
export const AUDIT_VERIFY_PAGE_SIZE = 1_000;

/** Who caused an audited change. */
export interface AuditActor {
  readonly type: 'operator' | 'agent' | 'system' | 'cli';
  readonly id?: string;
}

/** What to record; the repository adds the sequence, time and hashes. */
export interface AppendAuditEventParams {
  readonly orgId: string | null;
  readonly actor: AuditActor;
  readonly action: string;
  readonly subject: { readonly type: string; readonly id?: string };
  readonly data?: Record<string, unknown>;
  readonly requestId?: string;
}

/** Append-only, hash-chained audit log (invariant 6). */
@Injectable()
export class AuditLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Appends one event inside the caller's transaction, so the audited change and its record
   * commit together or not at all. Holds the chain lock until that transaction ends.
   */
  async append(tx: Transaction, params: AppendAuditEventParams): Promise<AuditEventRecord> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_KEY}::bigint)`;
    const head = await tx.auditEvent.findFirst({
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
      // Millisecond precision matches the column, so the hash recomputes from what is stored.
      occurredAt: new Date(Math.floor(Date.now())),
    };
    const previousHash = head === null ? GENESIS_HASH : Uint8Array.from(head.hash);
    const hash = computeAuditHash({ previousHash, event });
    await tx.auditEvent.create({
      data: {
        ...event,
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
        orgId: params.orgId,
        ...(params.beforeSequence === undefined ? {} : { sequence: { lt: params.beforeSequence } }),
      },
      orderBy: { sequence: 'desc' },
      take: params.limit,
    });
  }

  /** Verifies the whole chain from genesis, reading it page by page. */
  async verifyChain(pageSize = AUDIT_VERIFY_PAGE_SIZE): Promise<VerifyAuditChainResult> {
    return verifyAuditChainPages({ pages: this.readChain(pageSize) });
  }

  /** Reads the whole chain in sequence order, page by page. */
  async *readChain(pageSize: number): AsyncGenerator<ChainedAuditEvent[]> {
    let afterSequence = 0n;
    for (;;) {
      const page = await this.prisma.auditEvent.findMany({
        where: { sequence: { gt: afterSequence } },
        orderBy: { sequence: 'asc' },
        take: pageSize,
      });
      if (page.length === 0) return;
      yield page;
      afterSequence = page[page.length - 1]!.sequence;
    }
  }
}
