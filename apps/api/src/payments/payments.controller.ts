import {
  Body,
  Controller,
  createParamDecorator,
  type ExecutionContext,
  Get,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import { AgentAccess, CurrentAgent } from '../auth/access.decorators';
import { type AgentPrincipal } from '../auth/principal';
import { IdParam } from '../common/id.params';
import { type Page } from '../common/pagination';
import { RequestId } from '../common/request-id.decorator';
import { openApiSchema, ZodValidationPipe } from '../common/zod-validation.pipe';
import {
  type CreatePayment,
  CreatePaymentSchema,
  IdempotencyKeySchema,
  type ListPaymentsQuery,
  ListPaymentsQuerySchema,
  type PaymentSummaryView,
  type PaymentView,
} from './payments.dto';
import { PaymentsService } from './payments.service';

/** The raw `Idempotency-Key` header (validated by the pipe it is given). */
const IdempotencyKeyHeader = createParamDecorator(
  (_: unknown, context: ExecutionContext): unknown =>
    context.switchToHttp().getRequest<Request>().headers['idempotency-key'],
);

/** Purchases: an agent hands over the 402 it got and receives the header to retry with. */
@ApiTags('payments')
@ApiBearerAuth()
@Controller('v1/payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @AgentAccess()
  @ApiOperation({
    summary: 'Pay a 402: policy, hold, EIP-3009 signature and receipt (201; 200 on an idempotent replay)',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '16-128 characters of [A-Za-z0-9_-]' })
  @ApiBody({ schema: openApiSchema(CreatePaymentSchema) })
  async create(
    @CurrentAgent() agent: AgentPrincipal,
    @Body(new ZodValidationPipe(CreatePaymentSchema)) input: CreatePayment,
    @IdempotencyKeyHeader(new ZodValidationPipe(IdempotencyKeySchema, 'Idempotency-Key'))
    idempotencyKey: string | undefined,
    @RequestId() requestId: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    const result = await this.payments.create({ agent, input, idempotencyKey, requestId });
    // The stored text is sent as is, so a replay is byte-identical to the first answer.
    response
      .status(result.status)
      .type('application/json')
      .setHeader('Idempotency-Key', result.idempotencyKey)
      .setHeader('Idempotency-Hit', result.replayed ? 'true' : 'false')
      .send(result.body);
  }

  @Get()
  @AgentAccess()
  @ApiOperation({ summary: 'The calling agent’s payments, newest first (without stored responses)' })
  list(
    @CurrentAgent() agent: AgentPrincipal,
    @Query(new ZodValidationPipe(ListPaymentsQuerySchema)) query: ListPaymentsQuery,
  ): Promise<Page<PaymentSummaryView>> {
    return this.payments.list(agent, query);
  }

  @Get(':id')
  @AgentAccess()
  @ApiOperation({ summary: 'One of the calling agent’s payments' })
  find(@CurrentAgent() agent: AgentPrincipal, @IdParam('id') paymentId: string): Promise<PaymentView> {
    return this.payments.find(agent, paymentId);
  }
}
