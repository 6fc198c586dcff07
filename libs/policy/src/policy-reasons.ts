// Every reason a policy decision can carry, in precedence order: when several rules fail, the one
// whose reason comes first here is reported, so a decision is reproducible from its inputs.
//
// Why this order. The question an operator (or agent) asks of a denial is "will retrying help?",
// so reasons that are permanent for this payment come before those that depend on the clock or on
// other payments:
//   1. what is paid and to whom (network, asset, payee): the cheapest checks and the most
//      fundamental, since a payment on a forbidden chain or to a forbidden payee is wrong whatever
//      it buys;
//   2. what it buys (host, then path, then method of the HTTP request);
//   3. how much, against static caps (per-payment maximum in atomic units, then in USD, then the
//      per-endpoint price ceiling);
//   4. when: outside the active hours, a denial that a later retry may pass;
//   5. the stateful rules that read the usage snapshot last, rate limit before budget because a
//      payment over the rate limit would be refused even with budget left.
// Within each list kind the deny list comes before the allow list: an explicit denial names the
// entry that matched, which explains more than "not in the allow list".
// A hold is only considered when nothing denies, so it comes after every deny reason.

/** Reasons for `deny`, in precedence order (first failing rule wins). */
export const POLICY_DENY_REASONS = [
  'network_denied',
  'network_not_allowed',
  'asset_denied',
  'asset_not_allowed',
  'payee_denied',
  'payee_not_allowed',
  'host_denied',
  'host_not_allowed',
  'path_denied',
  'path_not_allowed',
  'method_denied',
  'method_not_allowed',
  'amount_exceeds_max_per_payment',
  'amount_exceeds_max_per_payment_usd',
  'price_ceiling_exceeded',
  'outside_active_hours',
  'rate_limit_exceeded',
  'budget_exceeded',
] as const;

/** Reasons for `hold_for_approval`, in precedence order. */
export const POLICY_HOLD_REASONS = [
  'approval_threshold_exceeded',
  'approval_threshold_usd_exceeded',
] as const;

/** Every reason, deny reasons first (deny beats hold), each group in its precedence order. */
export const POLICY_REASONS = [...POLICY_DENY_REASONS, ...POLICY_HOLD_REASONS] as const;

export type PolicyDenyReason = (typeof POLICY_DENY_REASONS)[number];
export type PolicyHoldReason = (typeof POLICY_HOLD_REASONS)[number];
export type PolicyReason = (typeof POLICY_REASONS)[number];

const PRECEDENCE = new Map<PolicyReason, number>(POLICY_REASONS.map((reason, index) => [reason, index]));

/** Position of a reason in `POLICY_REASONS`; lower wins. */
export function reasonPrecedence(reason: PolicyReason): number {
  const index = PRECEDENCE.get(reason);
  // Every member of the union is in the map by construction; the check keeps the compiler honest.
  if (index === undefined) throw new RangeError(`Unknown policy reason ${reason}`);
  return index;
}
