import { Injectable } from '@nestjs/common';
import {
  type AuditEventRecord,
  canonicalJson,
  type ChainedAuditEvent,
  computeAuditContentHash,
  verifyAuditChainPages,
  type VerifyAuditChainResult,
} from '@proco/audit';
import { PrismaService } from './prisma.service';
import { type Transaction } from './transaction';

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

/**
 * An audit event as the SQL function `proco_audit_append(p_event jsonb)` takes it: serialise it
 * with `JSON.stringify` and pass it as jsonb. Everything but the sequence and the link hash, which
 * the function assigns under the chain's lock.
 */
export interface PreparedAuditEvent {
  /** The org id, or `system` for an event of no org (`auditChainOf`). */
  readonly chain: string;
  readonly orgId: string | null;
  readonly actorType: AuditActor['type'];
  readonly actorId: string | null;
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string | null;
  /** The event's data in its JSON form: bigints as decimal strings, Dates as ISO 8601 strings. */
  readonly data: Record<string, unknown>;
  readonly requestId: string | null;
  /** ISO 8601 in UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
  readonly occurredAt: string;
  /** `computeAuditContentHash` of the event (hash format version 2), 64 lowercase hex characters. */
  readonly contentHash: string;
}

/** The chain an org's events belong to. */
export function auditChainOf(orgId: string | null): string {
  return orgId ?? SYSTEM_AUDIT_CHAIN;
}

/**
 * Turns what to record into the JSON `proco_audit_append` takes, content hash included, so the
 * append itself is one statement whose locked part is a single short hash. Other SQL functions
 * receive events prepared here (as jsonb) and append them themselves. `occurredAt` defaults to now.
 *
 * Throws `canonical_json_unsupported` or `canonical_json_too_deep` (data with no JSON form).
 */
export function prepareAuditEvent(
  params: AppendAuditEventParams & { occurredAt?: Date },
): PreparedAuditEvent {
  const chain = auditChainOf(params.orgId);
  // The column keeps milliseconds, as does a Date, so the hash recomputes from what is stored.
  const occurredAt = params.occurredAt ?? new Date();
  // Data is hashed in the JSON form the jsonb column stores and gives back, so a bigint or a Date
  // in it is hashed as the string the verifier will read.
  const data = JSON.parse(canonicalJson(params.data ?? {})) as Record<string, unknown>;
  const content = {
    chain,
    orgId: params.orgId,
    actorType: params.actor.type,
    actorId: params.actor.id ?? null,
    action: params.action,
    subjectType: params.subject.type,
    subjectId: params.subject.id ?? null,
    data,
    requestId: params.requestId ?? null,
  };
  const contentHash = computeAuditContentHash({ ...content, occurredAt });
  return {
    ...content,
    occurredAt: occurredAt.toISOString(),
    contentHash: Buffer.from(contentHash).toString('hex'),
  };
}

/** Append-only, hash-chained audit log, one chain per org (invariant 6). */
@Injectable()
export class AuditLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Appends one event inside the caller's transaction, so the audited change and its record
   * commit together or not at all. One statement, `proco_audit_append`, which locks the chain's
   * head row, links the event to it and inserts it; the row lock is held until that transaction
   * ends, so append last, just before the transaction commits, to keep the chain free for others.
   *
   * At READ COMMITTED (Prisma's default) concurrent appends to one chain queue on the head row.
   * Under a snapshot isolation level an append after a concurrent one fails the transaction with a
   * serialization failure (40001) rather than fork the chain.
   */
  async append(tx: Transaction, params: AppendAuditEventParams): Promise<AuditEventRecord> {
    const occurredAt = new Date();
    const event = prepareAuditEvent({ ...params, occurredAt });
    const rows = await tx.$queryRaw<{ sequence: bigint }[]>`
      SELECT proco_audit_append(${JSON.stringify(event)}::jsonb) AS "sequence"`;
    return {
      sequence: BigInt(rows[0]!.sequence),
      orgId: event.orgId,
      actorType: event.actorType,
      actorId: event.actorId,
      action: event.action,
      subjectType: event.subjectType,
      subjectId: event.subjectId,
      data: event.data,
      requestId: event.requestId,
      occurredAt,
    };
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
