// Goal: each transition rule of a hold, case by case: pending resolves once to posted, voided or
// expired; posts are positive and at most the held amount; expiry waits for expiresAt.
import { describe, expect, it } from 'vitest';
import { canResolve, countedAmountOf, HOLD_STATUSES, type HoldStatus } from './hold';
import { holdInvariantViolations } from './hold-invariants';
import { expireHold, isHoldDue, postHold, voidHold } from './hold-transitions';
import { type LedgerErrorCode } from './ledger.errors';
import { buildHold, CREATED_AT, EXPIRES_AT } from './ledger.test-builders';

const LATER = new Date(CREATED_AT.getTime() + 1_000);

function codeOf(run: () => unknown): LedgerErrorCode | undefined {
  try {
    run();
    return undefined;
  } catch (error: unknown) {
    return (error as { code?: LedgerErrorCode }).code;
  }
}

describe('canResolve', () => {
  const expected: Record<HoldStatus, readonly HoldStatus[]> = {
    pending: ['posted', 'voided', 'expired'],
    posted: [],
    voided: [],
    expired: [],
  };
  for (const from of HOLD_STATUSES) {
    for (const to of HOLD_STATUSES) {
      it(`${from} -> ${to} is ${expected[from].includes(to) ? 'allowed' : 'refused'}`, () => {
        expect(canResolve({ from, to })).toBe(expected[from].includes(to));
      });
    }
  }
});

describe('postHold', () => {
  const cases: {
    name: string;
    hold: ReturnType<typeof buildHold>;
    amount: bigint;
    code?: LedgerErrorCode;
  }[] = [
    { name: 'full post of a pending hold', hold: buildHold(), amount: 1_000n },
    { name: 'partial post (upto scheme)', hold: buildHold(), amount: 1n },
    { name: 'post above the held amount', hold: buildHold(), amount: 1_001n, code: 'post_exceeds_hold' },
    { name: 'post of zero', hold: buildHold(), amount: 0n, code: 'post_amount_not_positive' },
    { name: 'negative post', hold: buildHold(), amount: -1n, code: 'post_amount_not_positive' },
    {
      name: 'second post',
      hold: buildHold({ status: 'posted', postedAmountAtomic: 1_000n, resolvedAt: LATER }),
      amount: 1_000n,
      code: 'hold_not_pending',
    },
    {
      name: 'post after void',
      hold: buildHold({ status: 'voided', resolvedAt: LATER, resolutionReason: 'settlement_failed' }),
      amount: 1n,
      code: 'hold_not_pending',
    },
  ];
  for (const { name, hold, amount, code } of cases) {
    it(name, () => {
      if (code !== undefined) {
        expect(codeOf(() => postHold({ hold, amountAtomic: amount, now: LATER }))).toBe(code);
        return;
      }
      const posted = postHold({ hold, amountAtomic: amount, now: LATER });
      expect(posted).toMatchObject({ status: 'posted', postedAmountAtomic: amount, resolvedAt: LATER });
      expect(countedAmountOf(posted)).toBe(amount);
      expect(holdInvariantViolations(posted)).toEqual([]);
    });
  }
});

describe('voidHold', () => {
  it('voids a pending hold and releases its budget', () => {
    const voided = voidHold({ hold: buildHold(), now: LATER, reason: 'settlement_failed' });
    expect(voided).toMatchObject({ status: 'voided', resolutionReason: 'settlement_failed' });
    expect(countedAmountOf(voided)).toBe(0n);
    expect(holdInvariantViolations(voided)).toEqual([]);
  });

  it('refuses a resolved hold', () => {
    const expired = buildHold({
      status: 'expired',
      resolvedAt: LATER,
      resolutionReason: 'authorization_expired',
    });
    expect(codeOf(() => voidHold({ hold: expired, now: LATER, reason: 'x' }))).toBe('hold_not_pending');
  });

  it.each(['', 'Not Snake', 'a'.repeat(65), 'drop table'])('refuses the reason %j', (reason) => {
    expect(codeOf(() => voidHold({ hold: buildHold(), now: LATER, reason }))).toBe('void_reason_invalid');
  });
});

describe('expireHold', () => {
  it('expires at exactly expiresAt', () => {
    const hold = buildHold();
    expect(isHoldDue({ hold, now: EXPIRES_AT })).toBe(true);
    expect(expireHold({ hold, now: EXPIRES_AT })).toMatchObject({
      status: 'expired',
      resolvedAt: EXPIRES_AT,
    });
  });

  it('refuses one millisecond early', () => {
    const now = new Date(EXPIRES_AT.getTime() - 1);
    expect(isHoldDue({ hold: buildHold(), now })).toBe(false);
    expect(codeOf(() => expireHold({ hold: buildHold(), now }))).toBe('hold_not_due');
  });

  it('refuses a posted hold even when due', () => {
    const posted = buildHold({ status: 'posted', postedAmountAtomic: 5n, resolvedAt: LATER });
    expect(isHoldDue({ hold: posted, now: EXPIRES_AT })).toBe(false);
    expect(codeOf(() => expireHold({ hold: posted, now: EXPIRES_AT }))).toBe('hold_not_pending');
  });
});

describe('holdInvariantViolations', () => {
  const cases: { name: string; overrides: Parameters<typeof buildHold>[0] }[] = [
    { name: 'zero amount', overrides: { amountAtomic: 0n } },
    { name: 'amount above uint256', overrides: { amountAtomic: 2n ** 256n } },
    { name: 'pending with a posted amount', overrides: { postedAmountAtomic: 1n } },
    {
      name: 'posted above held',
      overrides: { status: 'posted', postedAmountAtomic: 1_001n, resolvedAt: LATER },
    },
    { name: 'posted without amount', overrides: { status: 'posted', resolvedAt: LATER } },
    { name: 'pending with resolvedAt', overrides: { resolvedAt: LATER } },
    { name: 'voided without reason', overrides: { status: 'voided', resolvedAt: LATER } },
    { name: 'expiry not after creation', overrides: { expiresAt: CREATED_AT } },
  ];
  for (const { name, overrides } of cases) {
    it(`reports ${name}`, () => {
      expect(holdInvariantViolations(buildHold(overrides))).not.toEqual([]);
    });
  }
});
