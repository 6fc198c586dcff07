import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentOperator, OperatorAccess } from '../auth/access.decorators';
import { type OperatorPrincipal } from '../auth/principal';
import { IdParam } from '../common/id.params';
import { type Page } from '../common/pagination';
import { RequestId } from '../common/request-id.decorator';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { type ApprovalView, type ListApprovalsQuery, ListApprovalsQuerySchema } from './approvals.dto';
import { ApprovalsService } from './approvals.service';
import { type PaymentView } from './payments.dto';

/** Operators' queue of payments held for approval, and their decisions on them. */
@ApiTags('approvals')
@ApiBearerAuth()
@Controller('v1/approvals')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Get()
  @OperatorAccess('read')
  @ApiOperation({ summary: 'Payments waiting for approval, with their context (cursor pagination)' })
  list(
    @CurrentOperator() operator: OperatorPrincipal,
    @Query(new ZodValidationPipe(ListApprovalsQuerySchema)) query: ListApprovalsQuery,
  ): Promise<Page<ApprovalView>> {
    return this.approvals.list(operator, query);
  }

  @Post(':paymentId/approve')
  @HttpCode(200)
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Approve: re-evaluate policy and budgets now, then reserve and sign' })
  approve(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('paymentId') paymentId: string,
    @RequestId() requestId: string | undefined,
  ): Promise<PaymentView> {
    return this.approvals.approve({ operator, paymentId, requestId });
  }

  @Post(':paymentId/reject')
  @HttpCode(200)
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Reject: nothing is reserved or signed' })
  reject(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('paymentId') paymentId: string,
    @RequestId() requestId: string | undefined,
  ): Promise<PaymentView> {
    return this.approvals.reject({ operator, paymentId, requestId });
  }
}
