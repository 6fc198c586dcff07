import { once } from 'node:events';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import { Redis } from 'ioredis';

/** Time to establish a Redis connection, and to wait for one command's answer. */
export const REDIS_CONNECT_TIMEOUT_MS = 3_000;
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;

/** A shared Redis connection for the API (readiness, later rate limits and queues). */
@Injectable()
export class RedisService implements OnModuleDestroy {
  readonly client: Redis;
  private connecting: Promise<void> | null = null;

  constructor(@InjectConfig() config: ProcoConfig) {
    this.client = new Redis(config.redis.url, {
      lazyConnect: true,
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      keyPrefix: `${config.redis.prefix}:`,
      // Reconnect with capped backoff; commands fail fast meanwhile instead of queueing forever.
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      enableOfflineQueue: false,
    });
    this.client.on('error', () => {
      // Connection errors surface through /readyz and failed commands; no log flood per retry.
    });
  }

  /**
   * Waits until the client can take commands. The client connects lazily and queues nothing while
   * offline, so a first command must wait for the connection; concurrent first callers share one
   * connect, and a connection already under way is awaited for at most the connect timeout. When
   * Redis is down this returns anyway and the command itself fails (a 503 at the edge).
   */
  async ensureConnected(): Promise<void> {
    if (this.connecting !== null) return this.connecting;
    const { client } = this;
    if (client.status === 'wait') {
      this.connecting = client.connect().finally(() => {
        this.connecting = null;
      });
      return this.connecting;
    }
    if (client.status === 'connecting' || client.status === 'connect') {
      await once(client, 'ready', { signal: AbortSignal.timeout(REDIS_CONNECT_TIMEOUT_MS) }).catch(
        () => undefined,
      );
    }
  }

  /** Connects if needed and answers PING; throws when Redis is unreachable. */
  async ping(): Promise<void> {
    await this.ensureConnected();
    await this.client.ping();
  }

  async onModuleDestroy(): Promise<void> {
    this.client.disconnect();
  }
}
