import { once } from 'node:events';
import { Injectable } from '@nestjs/common';
import { REDIS_CONNECT_TIMEOUT_MS, RedisService } from '@proco/persistence';

/** Redis key space of the in-flight locks, under the configured Redis prefix. */
export const AUTHORIZATION_LOCK_KEY_PREFIX = 'facilitator:authorization-lock:';

/** Parameters of `AuthorizationLockService.acquire`. */
export interface AcquireAuthorizationLockParams {
  /** `authorizationIdOf(chainId, asset, from, nonce)`. */
  readonly authorizationId: string;
  /** What the lock records about its holder (a digest of the verified payment), for settle. */
  readonly holder: string;
  readonly ttlMs: number;
}

/**
 * The in-flight lock of an authorization between verify and settle: one Redis `SET NX PX`, so
 * exactly one of any number of concurrent verifies (on any number of API replicas) takes it.
 *
 * Locking contract: `acquire` answers true to exactly one caller per authorization until the lock
 * expires (`ttlMs`) or settle consumes it; it never extends or steals a held lock. A Redis failure
 * propagates (a 503): without the lock Proco cannot promise a single delivery, so it does not
 * answer `isValid: true`.
 */
@Injectable()
export class AuthorizationLockService {
  private connecting: Promise<void> | null = null;

  constructor(private readonly redis: RedisService) {}

  /** Takes the lock; false when another verify holds it. */
  async acquire({ authorizationId, holder, ttlMs }: AcquireAuthorizationLockParams): Promise<boolean> {
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1)
      throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
    await this.connected();
    const answer = await this.redis.client.set(
      `${AUTHORIZATION_LOCK_KEY_PREFIX}${authorizationId}`,
      holder,
      'PX',
      ttlMs,
      'NX',
    );
    return answer === 'OK';
  }

  // The shared client connects lazily and queues nothing while offline, so the first command
  // must wait for the connection; concurrent first calls share one connect. A connection someone
  // else opened is awaited (bounded); when Redis is down the command itself then fails, as a 503.
  private async connected(): Promise<void> {
    const { client } = this.redis;
    if (this.connecting !== null) return this.connecting;
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
}
