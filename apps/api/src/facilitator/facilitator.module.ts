import { Module } from '@nestjs/common';
import { NetworksModule } from '../networks/networks.module';
import { SettlementsModule } from '../settlements/settlements.module';
import { AuthorizationLockService } from './authorization-lock.service';
import { FacilitatorController } from './facilitator.controller';
import { FacilitatorService } from './facilitator.service';
import { SettleService } from './settle.service';

@Module({
  imports: [NetworksModule, SettlementsModule],
  controllers: [FacilitatorController],
  providers: [FacilitatorService, SettleService, AuthorizationLockService],
})
export class FacilitatorModule {}
