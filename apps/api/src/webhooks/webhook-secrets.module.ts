import { Module } from '@nestjs/common';
import { WalletsModule } from '../wallets/wallets.module';
import { WebhookSecretsService } from './webhook-secrets.service';

/**
 * Custody of endpoint signing secrets, apart from the HTTP module so the CLI's master-key rotation
 * can re-wrap them without a queue connection.
 */
@Module({
  // WalletsModule exports the one master-key keyring every sealed secret shares.
  imports: [WalletsModule],
  providers: [WebhookSecretsService],
  exports: [WebhookSecretsService],
})
export class WebhookSecretsModule {}
