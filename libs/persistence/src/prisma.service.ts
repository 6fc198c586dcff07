import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import { Pool } from 'pg';
import { PrismaClient } from './generated/prisma/client';

/** Time a statement may run before PostgreSQL cancels it. */
export const STATEMENT_TIMEOUT_MS = 10_000;
/** Time to wait for a pooled connection before failing the request. */
export const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * The Prisma client, on the pg driver adapter, closed with the application. The adapter runs on a
 * pool this service owns and exposes as `pool`: the payment hot path sends its two SQL function
 * calls through it directly (see `PaymentStore`), sharing connections and limits with Prisma.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  readonly pool: Pool;

  constructor(@InjectConfig() config: ProcoConfig) {
    const pool = new Pool({
      connectionString: config.database.url,
      max: config.database.poolSize,
      connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      application_name: 'proco',
    });
    super({ adapter: new PrismaPg(pool) });
    this.pool = pool;
    // An idle connection dropped by the server emits here; unhandled, it would end the process.
    // The pool replaces the connection on the next checkout.
    const logger = new Logger(PrismaService.name);
    pool.on('error', (error) =>
      logger.warn({ err: { message: error.message } }, 'idle database connection lost'),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    await this.pool.end();
  }
}
