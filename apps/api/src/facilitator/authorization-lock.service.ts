import { Injectable } from '@nestjs/common';
import { RedisService } from '@proco/persistence';

/** Redis key space of the in-flight locks, under the configured Redis prefix. */
export const AUTHORIZATION_LOCK_KEY_PREFIX = 'facilitator:authorization-lock:';
/** Redis key space of the per-payer verify counters. */
export const PAYER_VERIFY_COUNTER_KEY_PREFIX = 'facilitator:payer-verifies:';

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
  constructor(private readonly redis: RedisService) {}

  /** Takes the lock; false when another verify holds it. */
  async acquire({ authorizationId, holder, ttlMs }: AcquireAuthorizationLockParams): Promise<boolean> {
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1)
      throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
    await this.redis.ensureConnected();
    const answer = await this.redis.client.set(
      `${AUTHORIZATION_LOCK_KEY_PREFIX}${authorizationId}`,
      holder,
      'PX',
      ttlMs,
      'NX',
    );
    return answer === 'OK';
  }

  /**
   * Takes the lock, or confirms that `holder` already holds it (settle after its own verify).
   * False when another holder has it. The lock is left in place either way: it lapses by itself.
   */
  async acquireOrHold(params: AcquireAuthorizationLockParams): Promise<boolean> {
    if (await this.acquire(params)) return true;
    const current = await this.redis.client.get(`${AUTHORIZATION_LOCK_KEY_PREFIX}${params.authorizationId}`);
    // Expired between the two calls: nobody holds it now, so take it again.
    if (current === null) return this.acquire(params);
    return current === params.holder;
  }

  /**
   * Counts one verify of `payer`'s authorization on `chainId` in the current fixed window and
   * answers how many there were, this one included. One `INCR` and `PEXPIRE` in a transaction, so
   * concurrent verifies on any replica count exactly; the key outlives its window by one window.
   */
  async countPayerVerify(params: {
    chainId: number;
    payer: string;
    windowMs: number;
    nowMs: number;
  }): Promise<number> {
    await this.redis.ensureConnected();
    const window = Math.floor(params.nowMs / params.windowMs);
    const key = `${PAYER_VERIFY_COUNTER_KEY_PREFIX}${params.chainId}:${params.payer.toLowerCase()}:${window}`;
    const results = await this.redis.client
      .multi()
      .incr(key)
      .pexpire(key, 2 * params.windowMs)
      .exec();
    const counted = results?.[0]?.[1];
    if (typeof counted !== 'number') throw new Error('Redis answered no count for a payer verify.');
    return counted;
  }
}
