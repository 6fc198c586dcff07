import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { CurrentOperator, OperatorAccess } from '../auth/access.decorators';
import { type OperatorPrincipal } from '../auth/principal';
import { IdParam } from '../common/id.params';
import { type Page } from '../common/pagination';
import { openApiSchema, ZodValidationPipe } from '../common/zod-validation.pipe';
import {
  type ListSettlementsQuery,
  ListSettlementsQuerySchema,
  type SettleReceiptBody,
  SettleReceiptBodySchema,
  type SettlementView,
} from './settlements.dto';
import { SettlementsService } from './settlements.service';

/** Settlement status for operators and sellers: what `POST /facilitator/settle` put on chain. */
@ApiTags('settlements')
@ApiBearerAuth()
@Controller('v1/settlements')
export class SettlementsController {
  constructor(private readonly settlements: SettlementsService) {}

  @Get()
  @OperatorAccess('read')
  @ApiOperation({
    summary:
      'The org’s settlements, newest first; filter by status, network, asset, payer, payTo, nonce (an authorization) or transactionHash',
  })
  list(
    @CurrentOperator() operator: OperatorPrincipal,
    @Query(new ZodValidationPipe(ListSettlementsQuerySchema)) query: ListSettlementsQuery,
  ): Promise<Page<SettlementView>> {
    return this.settlements.list(operator, query);
  }

  @Post()
  @OperatorAccess('admin')
  @ApiOperation({
    summary:
      'Deferred settlement: settle the payment of a Proco receipt accepted offline in the next batch (202; 200 when already queued or settled)',
  })
  @ApiBody({ schema: openApiSchema(SettleReceiptBodySchema) })
  async settleReceipt(
    @CurrentOperator() operator: OperatorPrincipal,
    @Body(new ZodValidationPipe(SettleReceiptBodySchema)) body: SettleReceiptBody,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SettlementView> {
    const { created, view } = await this.settlements.settleReceipt(operator, body);
    response.status(created ? 202 : 200);
    return view;
  }

  @Get(':id')
  @OperatorAccess('read')
  @ApiOperation({ summary: 'One settlement with its relayer transaction' })
  find(@CurrentOperator() operator: OperatorPrincipal, @IdParam('id') id: string): Promise<SettlementView> {
    return this.settlements.find(operator, id);
  }
}
