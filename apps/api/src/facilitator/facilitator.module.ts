import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { SETTLEMENT_QUEUE } from '@proco/jobs';
import { NetworksModule } from '../networks/networks.module';
import { AuthorizationLockService } from './authorization-lock.service';
import { FacilitatorController } from './facilitator.controller';
import { FacilitatorService } from './facilitator.service';
import { SettleService } from './settle.service';

@Module({
  imports: [NetworksModule, BullModule.registerQueue({ name: SETTLEMENT_QUEUE })],
  controllers: [FacilitatorController],
  providers: [FacilitatorService, SettleService, AuthorizationLockService],
})
export class FacilitatorModule {}
