import { Injectable } from '@nestjs/common';
import { auditChainOf, AuditLogRepository } from '@proco/persistence';
import { type OperatorPrincipal } from '../auth/principal';
import { type Page } from '../common/pagination';
import { type AuditEventView, type AuditVerificationView, type ListAuditEventsQuery } from './audit.dto';

/** An org's view of its own audit chain: its events and their verification. */
@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditLogRepository) {}

  async list(operator: OperatorPrincipal, query: ListAuditEventsQuery): Promise<Page<AuditEventView>> {
    // One extra row tells whether another page exists without a count query.
    const rows = await this.audit.listForOrg({
      orgId: operator.orgId,
      limit: query.limit + 1,
      ...(query.cursor === undefined ? {} : { beforeSequence: BigInt(query.cursor) }),
    });
    const items = rows.slice(0, query.limit).map((row): AuditEventView => ({
      sequence: row.sequence.toString(),
      action: row.action,
      actor: { type: row.actorType, id: row.actorId },
      subject: { type: row.subjectType, id: row.subjectId },
      data: row.data,
      requestId: row.requestId,
      occurredAt: row.occurredAt.toISOString(),
      hash: Buffer.from(row.hash).toString('hex'),
    }));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last !== undefined ? last.sequence : null };
  }

  /** Verifies the caller's org chain only: another org's history is neither read nor counted. */
  async verify(operator: OperatorPrincipal): Promise<AuditVerificationView> {
    const result = await this.audit.verifyChain(auditChainOf(operator.orgId));
    return result.ok
      ? { ok: true, count: result.count, headHash: Buffer.from(result.headHash).toString('hex') }
      : { ok: false, brokenAtSequence: result.brokenAtSequence.toString(), reason: result.reason };
  }
}
