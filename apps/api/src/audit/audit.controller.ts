import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditLogRepository } from '@proco/persistence';
import { CurrentOperator, OperatorAccess } from '../auth/access.decorators';
import { type OperatorPrincipal } from '../auth/principal';
import { type Page } from '../common/pagination';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import {
  type AuditEventView,
  type AuditVerificationView,
  type ListAuditEventsQuery,
  ListAuditEventsQuerySchema,
} from './audit.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditLogRepository) {}

  @Get()
  @OperatorAccess('read')
  @ApiOperation({ summary: "The org's audit events, newest first" })
  async list(
    @CurrentOperator() operator: OperatorPrincipal,
    @Query(new ZodValidationPipe(ListAuditEventsQuerySchema)) query: ListAuditEventsQuery,
  ): Promise<Page<AuditEventView>> {
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

  @Get('verification')
  @OperatorAccess('read')
  @ApiOperation({ summary: 'Verify the hash chain of the whole audit log' })
  async verify(): Promise<AuditVerificationView> {
    const result = await this.audit.verifyChain();
    return result.ok
      ? { ok: true, count: result.count, headHash: Buffer.from(result.headHash).toString('hex') }
      : { ok: false, brokenAtSequence: result.brokenAtSequence.toString(), reason: result.reason };
  }
}
