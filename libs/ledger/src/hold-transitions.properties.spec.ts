// Goal: property-based evidence that any sequence of transition attempts, in any order and with any
// amounts, keeps invariant 2 (a hold resolves at most once; posted <= held) and that the budget a set
// of holds counts never exceeds what was reserved.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countedAmountOf, type Hold } from './hold';
import { holdInvariantViolations } from './hold-invariants';
import { expireHold, postHold, voidHold } from './hold-transitions';
import { LedgerError } from './ledger.errors';
import { buildHold, CREATED_AT } from './ledger.test-builders';

type Attempt =
  | { kind: 'post'; amountAtomic: bigint; offsetMs: number }
  | { kind: 'void'; offsetMs: number }
  | { kind: 'expire'; offsetMs: number };

const offsetMs = fc.integer({ min: 0, max: 600_000 });
const attempt: fc.Arbitrary<Attempt> = fc.oneof(
  fc.record({
    kind: fc.constant('post' as const),
    amountAtomic: fc.bigInt({ min: -5n, max: 2_000n }),
    offsetMs,
  }),
  fc.record({ kind: fc.constant('void' as const), offsetMs }),
  fc.record({ kind: fc.constant('expire' as const), offsetMs }),
);

function apply(hold: Hold, next: Attempt): Hold {
  const now = new Date(CREATED_AT.getTime() + next.offsetMs);
  switch (next.kind) {
    case 'post':
      return postHold({ hold, amountAtomic: next.amountAtomic, now });
    case 'void':
      return voidHold({ hold, now, reason: 'settlement_failed' });
    case 'expire':
      return expireHold({ hold, now });
  }
}

describe('hold transitions under any sequence of attempts', () => {
  it('resolve at most once, keep posted <= held and never count more than reserved', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 1_500n }),
        fc.array(attempt, { maxLength: 12 }),
        (amountAtomic, attempts) => {
          let hold = buildHold({ amountAtomic });
          let resolutions = 0;
          for (const next of attempts) {
            const before = hold;
            try {
              hold = apply(hold, next);
              resolutions += 1;
            } catch (error: unknown) {
              // A refused attempt is a typed error and leaves the hold exactly as it was.
              expect(error).toBeInstanceOf(LedgerError);
              expect(hold).toBe(before);
            }
            expect(holdInvariantViolations(hold)).toEqual([]);
            expect(countedAmountOf(hold) <= amountAtomic).toBe(true);
            if (before.status !== 'pending') expect(hold).toEqual(before);
          }
          expect(resolutions).toBeLessThanOrEqual(1);
          expect(resolutions === 1).toBe(hold.status !== 'pending');
        },
      ),
    );
  });

  it('a set of holds counts at most the sum reserved, whatever resolves', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.bigInt({ min: 1n, max: 1_000n }), fc.array(attempt, { maxLength: 3 })), {
          maxLength: 20,
        }),
        (plans) => {
          let reserved = 0n;
          let counted = 0n;
          for (const [amountAtomic, attempts] of plans) {
            let hold = buildHold({ amountAtomic });
            reserved += amountAtomic;
            for (const next of attempts) {
              try {
                hold = apply(hold, next);
              } catch {
                // Refusals are covered by the property above.
              }
            }
            counted += countedAmountOf(hold);
          }
          expect(counted <= reserved).toBe(true);
        },
      ),
    );
  });
});
