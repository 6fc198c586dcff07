// Boots the worker application (the same module production runs) on an API harness's database,
// Redis prefix and chain, so a suite can drive settlements from the HTTP API to the chain.
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig, type ProcoConfig } from '@proco/config';
import { inject } from 'vitest';
import { WorkerModule } from '../../apps/worker/src/worker.module';

export interface WorkerHarness {
  readonly app: INestApplicationContext;
  readonly config: ProcoConfig;
  close(): Promise<void>;
}

/**
 * Starts a worker sharing `environment`'s database URL, Redis prefix and master key (pass the API
 * harness's), with any extra variables layered on top.
 */
export async function startWorkerHarness(params: {
  readonly databaseUrl: string;
  readonly redisPrefix: string;
  readonly masterKeyBase64: string;
  readonly environment?: Record<string, string>;
}): Promise<WorkerHarness> {
  const config = loadConfig({
    environment: {
      PROCO_ENV: 'test',
      DATABASE_URL: params.databaseUrl,
      REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      PROCO_REDIS_PREFIX: params.redisPrefix,
      PROCO_MASTER_KEY: params.masterKeyBase64,
      PROCO_NETWORKS_FILE: inject('networksFile'),
      PROCO_LOG_LEVEL: 'silent',
      PROCO_DATABASE_POOL_SIZE: '5',
      ...params.environment,
    },
  });
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: false });
  await app.init();
  return {
    app,
    config,
    async close() {
      await app.close();
    },
  };
}
