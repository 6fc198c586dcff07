import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/access.decorators';
import { type Jwks, JWKS_MAX_AGE_SECONDS, ReceiptKeysService } from './receipt-keys.service';

@ApiTags('receipts')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly receiptKeys: ReceiptKeysService) {}

  @Get('jwks.json')
  @Public()
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  @ApiOperation({ summary: 'Public keys that verify Proco receipts offline (JWKS, RFC 7517)' })
  jwks(): Promise<Jwks> {
    return this.receiptKeys.jwks();
  }
}
