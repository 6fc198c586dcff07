import { Module } from '@nestjs/common';
import { NetworksModule } from '../networks/networks.module';
import { PoliciesModule } from '../policies/policies.module';
import { ReceiptsModule } from '../receipts/receipts.module';
import { WalletsModule } from '../wallets/wallets.module';
import { ApprovalsController } from './approvals.controller';
import { ApprovalsService } from './approvals.service';
import { PaymentAuthorizerService } from './payment-authorizer.service';
import { PaymentSelectionService } from './payment-selection.service';
import { PaymentsController } from './payments.controller';
import { PaymentsService } from './payments.service';

@Module({
  imports: [NetworksModule, PoliciesModule, ReceiptsModule, WalletsModule],
  controllers: [PaymentsController, ApprovalsController],
  providers: [PaymentsService, ApprovalsService, PaymentSelectionService, PaymentAuthorizerService],
})
export class PaymentsModule {}
