// Goal: retries back off exponentially from the configured base, never wait longer than the cap,
// jitter stays within its ratio, and the attempt count is bounded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  WEBHOOK_DELIVERY_ATTEMPTS_MAX,
  WEBHOOK_RETRY_DELAY_MAX_MS,
  WEBHOOK_RETRY_JITTER_RATIO,
  webhookRetryDelayMs,
} from './webhook-retry';

const BASE_MS = 30_000;
const MIDDLE = 0.5; // no jitter

describe('webhookRetryDelayMs', () => {
  it('doubles from the base up to the cap', () => {
    const delays = Array.from({ length: WEBHOOK_DELIVERY_ATTEMPTS_MAX - 1 }, (_, index) =>
      webhookRetryDelayMs({ attempt: index + 1, baseDelayMs: BASE_MS, random: MIDDLE }),
    );
    expect(delays).toEqual([
      30_000,
      60_000,
      120_000,
      240_000,
      480_000,
      960_000,
      1_920_000,
      3_840_000,
      WEBHOOK_RETRY_DELAY_MAX_MS,
    ]);
    // About four hours from the first attempt to the last.
    const totalHours = delays.reduce((sum, delay) => sum + delay, 0) / 3_600_000;
    expect(totalHours).toBeGreaterThan(4);
    expect(totalHours).toBeLessThan(4.5);
  });

  it.each([
    { attempt: 0, expected: BASE_MS },
    { attempt: -3, expected: BASE_MS },
    { attempt: 1.7, expected: BASE_MS },
    { attempt: 1_000, expected: WEBHOOK_RETRY_DELAY_MAX_MS },
  ])('bounds a strange attempt number ($attempt)', ({ attempt, expected }) => {
    expect(webhookRetryDelayMs({ attempt, baseDelayMs: BASE_MS, random: MIDDLE })).toBe(expected);
  });

  it('keeps jitter within its ratio and every delay within [0, cap]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: WEBHOOK_DELIVERY_ATTEMPTS_MAX }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, baseDelayMs, random) => {
          const delay = webhookRetryDelayMs({ attempt, baseDelayMs, random });
          const plain = Math.min(baseDelayMs * 2 ** (attempt - 1), WEBHOOK_RETRY_DELAY_MAX_MS);
          return (
            delay >= 0 &&
            delay <= WEBHOOK_RETRY_DELAY_MAX_MS &&
            delay >= Math.floor(plain * (1 - WEBHOOK_RETRY_JITTER_RATIO)) &&
            delay <= Math.ceil(plain * (1 + WEBHOOK_RETRY_JITTER_RATIO))
          );
        },
      ),
    );
  });
});
