import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import { PrismaClient } from './generated/prisma/client';

/** Time a statement may run before PostgreSQL cancels it. */
export const STATEMENT_TIMEOUT_MS = 10_000;
/** Time to wait for a pooled connection before failing the request. */
export const CONNECTION_TIMEOUT_MS = 5_000;

/** The Prisma client, on the pg driver adapter, closed with the application. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@InjectConfig() config: ProcoConfig) {
    super({
      adapter: new PrismaPg({
        connectionString: config.database.url,
        max: config.database.poolSize,
        connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
        statement_timeout: STATEMENT_TIMEOUT_MS,
        application_name: 'proco',
      }),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
