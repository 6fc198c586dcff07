import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, keyringProvider, PROCO_CONFIG, type ProcoConfig } from '@proco/config';
import { MAINTENANCE_QUEUE, SETTLEMENT_QUEUE, WEBHOOKS_QUEUE } from '@proco/jobs';
import { PersistenceModule, queueRootModule } from '@proco/persistence';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { holdStoreProvider } from './hold-store.provider';
import { AuditVerificationProcessor } from './maintenance/audit-verification.processor';
import { HoldExpiryProcessor } from './maintenance/hold-expiry.processor';
import { HoldReconciliationProcessor } from './maintenance/hold-reconciliation.processor';
import { MaintenanceScheduleService } from './maintenance/maintenance-schedule.service';
import { MaintenanceProcessor } from './maintenance/maintenance.processor';
import { SettlementSweepProcessor } from './maintenance/settlement-sweep.processor';
import { StuckPaymentProcessor } from './maintenance/stuck-payment.processor';
import { FailpointsService } from './settlement/failpoints.service';
import { RelayerService } from './settlement/relayer.service';
import { SettlementConfirmService } from './settlement/settlement-confirm.service';
import { SettlementLedgerService } from './settlement/settlement-ledger.service';
import { SettlementNetworksService } from './settlement/settlement-networks.service';
import { SettlementSubmitService } from './settlement/settlement-submit.service';
import { SettlementProcessor } from './settlement/settlement.processor';
import { WEBHOOK_WORKER_PROVIDERS } from './webhooks/webhooks-worker.providers';

/** The worker process: BullMQ processors for background work. */
@Module({})
export class WorkerModule {
  static forRoot(config?: ProcoConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRootAsync({
          inject: [PROCO_CONFIG],
          useFactory: (resolved: ProcoConfig) => ({
            pinoHttp: [
              { level: resolved.log.level, name: 'proco-worker' },
              resolved.log.file === null
                ? pino.destination(1)
                : pino.destination({ dest: resolved.log.file, append: true, sync: true }),
            ],
          }),
        }),
        PersistenceModule,
        queueRootModule(),
        BullModule.registerQueue(
          { name: MAINTENANCE_QUEUE },
          { name: SETTLEMENT_QUEUE },
          { name: WEBHOOKS_QUEUE },
        ),
      ],
      providers: [
        holdStoreProvider,
        MaintenanceProcessor,
        AuditVerificationProcessor,
        HoldExpiryProcessor,
        StuckPaymentProcessor,
        SettlementSweepProcessor,
        HoldReconciliationProcessor,
        MaintenanceScheduleService,
        keyringProvider,
        FailpointsService,
        SettlementNetworksService,
        RelayerService,
        SettlementLedgerService,
        SettlementSubmitService,
        SettlementConfirmService,
        SettlementProcessor,
        ...WEBHOOK_WORKER_PROVIDERS,
      ],
    };
  }
}
