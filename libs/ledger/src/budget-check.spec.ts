// Goal: window starts (rolling edges inclusive, lifetime unbounded), standings arithmetic and the
// room rule of invariant 1, by table and by property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { budgetStandingOf, hasRoom, rateLimitStandingOf, windowStartOf } from './budget-check';
import { buildBudgetCheck, buildRateLimitCheck } from './ledger.test-builders';

const NOW = new Date('2026-03-29T01:30:00.000Z'); // the night Europe moves its clocks: UTC does not care

describe('windowStartOf', () => {
  const cases = [
    { name: 'one minute', durationSeconds: 60, start: '2026-03-29T01:29:00.000Z' },
    { name: 'one day across a DST change', durationSeconds: 86_400, start: '2026-03-28T01:30:00.000Z' },
    { name: 'thirty days', durationSeconds: 30 * 86_400, start: '2026-02-27T01:30:00.000Z' },
  ];
  for (const { name, durationSeconds, start } of cases) {
    it(`rolling ${name}`, () => {
      expect(windowStartOf({ window: { kind: 'rolling', durationSeconds }, now: NOW })?.toISOString()).toBe(
        start,
      );
    });
  }

  it('lifetime has no start', () => {
    expect(windowStartOf({ window: { kind: 'lifetime' }, now: NOW })).toBeNull();
  });

  it('a later now never moves the start back (windows only slide forward)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 8 }), fc.nat(10 ** 9), (durationSeconds, stepMs) => {
        const window = { kind: 'rolling' as const, durationSeconds };
        const later = new Date(NOW.getTime() + stepMs);
        expect(windowStartOf({ window, now: later })!.getTime()).toBeGreaterThanOrEqual(
          windowStartOf({ window, now: NOW })!.getTime(),
        );
      }),
    );
  });
});

describe('standings', () => {
  it('a reserved hold is subtracted from the remaining budget', () => {
    const check = buildBudgetCheck({ limitAtomic: 100n });
    expect(budgetStandingOf({ check, usedAtomic: 30n, addedAtomic: 50n })).toEqual({
      key: check.key,
      scope: 'agent',
      limitAtomic: 100n,
      usedAtomic: 30n,
      remainingAtomic: 20n,
    });
  });

  it('remaining never goes negative (a limit lowered below what was used)', () => {
    const check = buildBudgetCheck({ limitAtomic: 10n });
    expect(budgetStandingOf({ check, usedAtomic: 30n, addedAtomic: 0n }).remainingAtomic).toBe(0n);
    const rateLimit = buildRateLimitCheck({ maxPayments: 2 });
    expect(rateLimitStandingOf({ check: rateLimit, usedCount: 5, addedCount: 0 }).remainingCount).toBe(0);
  });

  it('counts the reserved payment against a rate limit', () => {
    const check = buildRateLimitCheck({ maxPayments: 3 });
    expect(rateLimitStandingOf({ check, usedCount: 1, addedCount: 1 }).remainingCount).toBe(1);
  });
});

describe('hasRoom', () => {
  it.each([
    { limitAtomic: 100n, usedAtomic: 60n, amountAtomic: 40n, room: true },
    { limitAtomic: 100n, usedAtomic: 60n, amountAtomic: 41n, room: false },
    { limitAtomic: 0n, usedAtomic: 0n, amountAtomic: 1n, room: false },
    { limitAtomic: 2n ** 256n - 1n, usedAtomic: 2n ** 256n - 2n, amountAtomic: 1n, room: true },
  ])('limit $limitAtomic, used $usedAtomic, amount $amountAtomic -> $room', (row) => {
    expect(hasRoom(row)).toBe(row.room);
  });

  it('accepting exactly when it has room never takes used past the limit, and a larger limit allows more', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 29n }), { maxLength: 40 }),
        fc.bigInt({ min: 0n, max: 10n ** 29n }),
        (limitAtomic, amounts, extra) => {
          let used = 0n;
          for (const amountAtomic of amounts) {
            if (!hasRoom({ limitAtomic, usedAtomic: used, amountAtomic })) continue;
            expect(hasRoom({ limitAtomic: limitAtomic + extra, usedAtomic: used, amountAtomic })).toBe(true);
            used += amountAtomic;
          }
          expect(used <= limitAtomic).toBe(true);
        },
      ),
    );
  });
});
