import { Module } from '@nestjs/common';
import { WalletsModule } from '../wallets/wallets.module';
import { JwksController } from './jwks.controller';
import { ReceiptKeysService } from './receipt-keys.service';

/** Receipt signing keys: custody, rotation, the public JWKS and signing. */
@Module({
  // WalletsModule exports the one master-key keyring that seals wallet and receipt keys alike.
  imports: [WalletsModule],
  controllers: [JwksController],
  providers: [ReceiptKeysService],
  exports: [ReceiptKeysService],
})
export class ReceiptsModule {}
