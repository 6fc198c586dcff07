import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentOperator, OperatorAccess } from '../auth/access.decorators';
import { type OperatorPrincipal } from '../auth/principal';
import { openApiSchema } from '../common/zod-validation.pipe';
import { FacilitatorService, type SupportedView, type VerifyResponseView } from './facilitator.service';
import { type SettleResponseView, SettleService } from './settle.service';

/** The request body of both facilitator calls, as the reference `HTTPFacilitatorClient` sends it (docs only). */
const FacilitatorRequestDocSchema = z.object({
  x402Version: z.union([z.literal(1), z.literal(2)]),
  paymentPayload: z
    .record(z.string(), z.unknown())
    .describe('The decoded PAYMENT-SIGNATURE (v2) or X-PAYMENT (v1) payload'),
  paymentRequirements: z
    .record(z.string(), z.unknown())
    .describe('The requirements the payment must satisfy'),
});

/**
 * The x402 facilitator API (`HTTPFacilitatorClient({ url: '<proco>/facilitator' })`): sellers, or
 * their resource servers, verify payments with an operator API key.
 */
@ApiTags('facilitator')
@ApiBearerAuth()
@Controller('facilitator')
export class FacilitatorController {
  constructor(
    private readonly facilitator: FacilitatorService,
    private readonly settle_: SettleService,
  ) {}

  @Get('supported')
  @OperatorAccess('read')
  @ApiOperation({
    summary: 'Payment kinds this facilitator verifies: scheme exact on every configured network, v2 and v1',
  })
  supported(): Promise<SupportedView> {
    return this.facilitator.supported();
  }

  @Post('verify')
  @HttpCode(200)
  @OperatorAccess('read')
  @ApiOperation({
    summary:
      'Verify an x402 payment: 200 with isValid true, or false with the reason (reference reason strings)',
  })
  @ApiBody({ schema: openApiSchema(FacilitatorRequestDocSchema) })
  verify(@Body() body: unknown): Promise<VerifyResponseView> {
    return this.facilitator.verify(body);
  }

  @Post('settle')
  @HttpCode(200)
  @OperatorAccess('admin')
  @ApiOperation({
    summary:
      'Settle an x402 payment on chain: 200 with success and the transaction hash once confirmed, ' +
      'settlement_pending with the hash while it is not, or success false with the reason',
  })
  @ApiBody({ schema: openApiSchema(FacilitatorRequestDocSchema) })
  settle(@Body() body: unknown, @CurrentOperator() operator: OperatorPrincipal): Promise<SettleResponseView> {
    return this.settle_.settle(body, operator.orgId);
  }
}
