import { Global, Module } from '@nestjs/common';
import { AuditLogRepository } from './audit-log.repository';
import { CredentialRepository } from './credential.repository';
import { PrismaService } from './prisma.service';
import { RedisService } from './redis.service';

/** PostgreSQL (Prisma) and Redis access for every module. */
@Global()
@Module({
  providers: [PrismaService, RedisService, AuditLogRepository, CredentialRepository],
  exports: [PrismaService, RedisService, AuditLogRepository, CredentialRepository],
})
export class PersistenceModule {}
