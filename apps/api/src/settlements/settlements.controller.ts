import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentOperator, OperatorAccess } from '../auth/access.decorators';
import { type OperatorPrincipal } from '../auth/principal';
import { IdParam } from '../common/id.params';
import { type Page } from '../common/pagination';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import {
  type ListSettlementsQuery,
  ListSettlementsQuerySchema,
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

  @Get(':id')
  @OperatorAccess('read')
  @ApiOperation({ summary: 'One settlement with its relayer transaction' })
  find(@CurrentOperator() operator: OperatorPrincipal, @IdParam('id') id: string): Promise<SettlementView> {
    return this.settlements.find(operator, id);
  }
}
