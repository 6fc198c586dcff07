import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
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
import { AuditService } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @OperatorAccess('read')
  @ApiOperation({ summary: "The org's audit events, newest first (the org's own chain)" })
  list(
    @CurrentOperator() operator: OperatorPrincipal,
    @Query(new ZodValidationPipe(ListAuditEventsQuerySchema)) query: ListAuditEventsQuery,
  ): Promise<Page<AuditEventView>> {
    return this.audit.list(operator, query);
  }

  @Get('verification')
  @OperatorAccess('read')
  @ApiOperation({ summary: "Verify the hash chain of the org's audit log" })
  verify(@CurrentOperator() operator: OperatorPrincipal): Promise<AuditVerificationView> {
    return this.audit.verify(operator);
  }
}
