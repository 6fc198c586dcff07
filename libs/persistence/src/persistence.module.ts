import { Global, Module } from '@nestjs/common';
import { AuditLogRepository } from './audit-log.repository';
import { CredentialRepository } from './credential.repository';
import { PostgresHoldStore } from './hold.store';
import { PaymentStore } from './payment.store';
import { PrismaService } from './prisma.service';
import { RedisService } from './redis.service';
import { SettlementStore } from './settlement.store';

/** PostgreSQL (Prisma) and Redis access for every module. */
@Global()
@Module({
  providers: [
    PrismaService,
    RedisService,
    AuditLogRepository,
    CredentialRepository,
    PostgresHoldStore,
    PaymentStore,
    SettlementStore,
  ],
  exports: [
    PrismaService,
    RedisService,
    AuditLogRepository,
    CredentialRepository,
    PostgresHoldStore,
    PaymentStore,
    SettlementStore,
  ],
})
export class PersistenceModule {}
