import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, PROCO_CONFIG, type ProcoConfig } from '@proco/config';
import { MAINTENANCE_QUEUE } from '@proco/jobs';
import { PersistenceModule } from '@proco/persistence';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { holdStoreProvider } from './hold-store.provider';
import { AuditVerificationProcessor } from './maintenance/audit-verification.processor';
import { HoldExpiryProcessor } from './maintenance/hold-expiry.processor';
import { MaintenanceScheduleService } from './maintenance/maintenance-schedule.service';
import { MaintenanceProcessor } from './maintenance/maintenance.processor';
import { StuckPaymentProcessor } from './maintenance/stuck-payment.processor';

/** Time to establish the queue's Redis connection. */
export const QUEUE_CONNECT_TIMEOUT_MS = 5_000;

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
        BullModule.forRootAsync({
          inject: [PROCO_CONFIG],
          useFactory: (resolved: ProcoConfig) => ({
            prefix: `${resolved.redis.prefix}:bull`,
            // BullMQ workers block on Redis, so they need `maxRetriesPerRequest: null`.
            connection: {
              // Options, not a client: BullMQ closes only the connections it creates itself.
              url: resolved.redis.url,
              maxRetriesPerRequest: null,
              connectTimeout: QUEUE_CONNECT_TIMEOUT_MS,
            },
          }),
        }),
        BullModule.registerQueue({ name: MAINTENANCE_QUEUE }),
      ],
      providers: [
        holdStoreProvider,
        MaintenanceProcessor,
        AuditVerificationProcessor,
        HoldExpiryProcessor,
        StuckPaymentProcessor,
        MaintenanceScheduleService,
      ],
    };
  }
}
