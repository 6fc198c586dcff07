import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { SETTLEMENT_QUEUE } from '@proco/jobs';
import { ReceiptsModule } from '../receipts/receipts.module';
import { SettlementJobsService } from './settlement-jobs.service';
import { SettlementsController } from './settlements.controller';
import { SettlementsService } from './settlements.service';

@Module({
  imports: [BullModule.registerQueue({ name: SETTLEMENT_QUEUE }), ReceiptsModule],
  controllers: [SettlementsController],
  providers: [SettlementsService, SettlementJobsService],
  exports: [SettlementJobsService],
})
export class SettlementsModule {}
