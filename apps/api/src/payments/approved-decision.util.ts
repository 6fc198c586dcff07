import { type DecisionView } from '../policies/decision.view';

/**
 * The decision an operator's approval turns a fresh evaluation into. The policy engine is not told
 * about approvals: it evaluates the payment as it would any other, and the approval overrides
 * exactly one outcome, `hold_for_approval`, into `allow`. Deny reasons precede hold reasons in the
 * engine's precedence, so a `hold_for_approval` outcome means no deny rule and no budget or rate
 * limit failed at that instant; a `deny` is returned unchanged and stays a denial. Budgets and
 * rate limits are then enforced once more by the atomic reserve.
 */
export function approvedDecisionOf(decision: DecisionView): DecisionView {
  if (decision.outcome !== 'hold_for_approval') return decision;
  return { ...decision, outcome: 'allow', reason: null, rule: null };
}
