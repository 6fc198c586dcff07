// Boots the real API application (the same factory production uses) against a fresh database,
// the run's anvil chain and a unique Redis key prefix.
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig, type ProcoConfig } from '@proco/config';
import { inject } from 'vitest';
import { OrgsService } from '../../apps/api/src/orgs/orgs.service';
import { createApiApplication } from '../../apps/api/src/setup-application';
import { createTestDatabase, type TestDatabase } from './database';

export interface ApiHarness {
  readonly app: NestExpressApplication;
  readonly config: ProcoConfig;
  readonly database: TestDatabase;
  /** The master key of this run, base64; tests that scan for leaks need it. */
  readonly masterKeyBase64: string;
  /** Creates an org with an admin key through the CLI path. */
  bootstrapOrg(name?: string): Promise<{ orgId: string; adminKey: string }>;
  close(): Promise<void>;
}

export interface StartApiHarnessParams {
  /** Extra environment variables, e.g. a smaller body limit. */
  readonly environment?: Record<string, string>;
  /**
   * Boot against this existing database instead of a fresh one (e.g. a second app sharing the
   * first one's data). Its owner drops it: `close()` then leaves it in place.
   */
  readonly database?: TestDatabase;
  /** The active master key, base64 of 32 bytes; a fresh random key by default. */
  readonly masterKeyBase64?: string;
}

export async function startApiHarness(params: StartApiHarnessParams = {}): Promise<ApiHarness> {
  const ownsDatabase = params.database === undefined;
  const database = params.database ?? (await createTestDatabase());
  const masterKeyBase64 = params.masterKeyBase64 ?? randomBytes(32).toString('base64');
  const config = loadConfig({
    environment: {
      PROCO_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      PROCO_REDIS_PREFIX: `proco-test-${randomUUID().slice(0, 8)}`,
      PROCO_MASTER_KEY: masterKeyBase64,
      PROCO_NETWORKS_FILE: inject('networksFile'),
      PROCO_LOG_LEVEL: 'silent',
      PROCO_DATABASE_POOL_SIZE: '5',
      ...params.environment,
    },
  });
  const app = await createApiApplication(config);
  try {
    await app.init();
  } catch (error: unknown) {
    // A refused boot (bad key, bad network) must not leave connections or databases behind.
    await app.close();
    if (ownsDatabase) await database.drop();
    throw error;
  }
  return {
    app,
    config,
    database,
    masterKeyBase64,
    async bootstrapOrg(name = `org-${randomUUID().slice(0, 8)}`) {
      const result = await app.get(OrgsService).bootstrap({ orgName: name });
      return { orgId: result.org.id, adminKey: result.apiKey.secret };
    },
    async close() {
      await app.close();
      await dropRedisPrefix(config.redis.url, config.redis.prefix);
      if (ownsDatabase) await database.drop();
    },
  };
}

/** Deletes every key the app wrote under its Redis prefix, so runs leave nothing behind. */
async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
