// Invariant 2 and the shape rules behind it, checked where holds are stored and read back.
import type { Hold } from './hold';
import { HoldInvariantViolatedError } from './ledger.errors';
import { HOLD_AMOUNT_ATOMIC_MAX } from './ledger.limits';

/** Every rule the hold breaks, as short sentences; empty when it is well-formed. */
export function holdInvariantViolations(hold: Hold): string[] {
  const violations: string[] = [];
  if (hold.amountAtomic <= 0n) violations.push('amount must be positive');
  if (hold.amountAtomic > HOLD_AMOUNT_ATOMIC_MAX) violations.push('amount must fit in uint256');
  if ((hold.status === 'posted') !== (hold.postedAmountAtomic !== null)) {
    violations.push('a posted amount exists exactly when the hold is posted');
  }
  if (hold.postedAmountAtomic !== null && hold.postedAmountAtomic <= 0n) {
    violations.push('posted amount must be positive');
  }
  if (hold.postedAmountAtomic !== null && hold.postedAmountAtomic > hold.amountAtomic) {
    violations.push('posted amount must not exceed the held amount');
  }
  if ((hold.status === 'pending') !== (hold.resolvedAt === null)) {
    violations.push('resolvedAt is set exactly when the hold is resolved');
  }
  const needsReason = hold.status === 'voided' || hold.status === 'expired';
  if (needsReason !== (hold.resolutionReason !== null)) {
    violations.push('a resolution reason exists exactly when the hold is voided or expired');
  }
  if (hold.expiresAt.getTime() <= hold.createdAt.getTime())
    violations.push('expiresAt must follow createdAt');
  return violations;
}

/**
 * Throws when the hold breaks an invariant.
 * @throws HoldInvariantViolatedError (`hold_invariant_violated`).
 */
export function assertHoldInvariants(hold: Hold): Hold {
  const violations = holdInvariantViolations(hold);
  if (violations.length > 0) throw new HoldInvariantViolatedError({ holdId: hold.id, violations });
  return hold;
}
