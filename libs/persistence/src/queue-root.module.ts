import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule } from '@nestjs/common';
import { PROCO_CONFIG, type ProcoConfig } from '@proco/config';

/** Time to establish a queue's Redis connection. */
export const QUEUE_CONNECT_TIMEOUT_MS = 5_000;

/**
 * BullMQ's root module on the configured Redis, under `<prefix>:bull`: the API (a producer) and
 * the worker (producer and consumer) import it so both address the same queues.
 */
export function queueRootModule(): DynamicModule {
  return BullModule.forRootAsync({
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
  });
}
