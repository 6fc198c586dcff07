// Goal: an operator's approval overrides exactly the `hold_for_approval` outcome; allow and deny
// decisions pass through unchanged, so an approval never lets a denied payment through.
import { describe, expect, it } from 'vitest';
import { type DecisionView } from '../policies/decision.view';
import { approvedDecisionOf } from './approved-decision.util';

const budget: DecisionView['budgets'][number] = {
  key: 'org:daily',
  level: 'org',
  budgetId: 'daily',
  network: 'eip155:8453',
  asset: '0x833589fcd6edb6e08f4c7c32d4f71b54bda02913',
  window: { kind: 'rolling', durationSeconds: 86_400 },
  limit: '1000',
  used: '100',
  remaining: '900',
};

function decisionWith(overrides: Partial<DecisionView>): DecisionView {
  return { outcome: 'allow', reason: null, rule: null, budgets: [budget], rateLimits: [], ...overrides };
}

describe('approvedDecisionOf', () => {
  it.each<[string, DecisionView, DecisionView]>([
    [
      'held for approval becomes allow, budgets kept',
      decisionWith({
        outcome: 'hold_for_approval',
        reason: 'approval_threshold_exceeded',
        rule: { level: 'agent', kind: 'approvalThreshold', index: 0 },
      }),
      decisionWith({}),
    ],
    ['allow stays allow', decisionWith({}), decisionWith({})],
    [
      'deny stays deny',
      decisionWith({
        outcome: 'deny',
        reason: 'budget_exceeded',
        rule: { level: 'org', kind: 'budgets', index: 0 },
      }),
      decisionWith({
        outcome: 'deny',
        reason: 'budget_exceeded',
        rule: { level: 'org', kind: 'budgets', index: 0 },
      }),
    ],
  ])('%s', (_, decision, expected) => {
    expect(approvedDecisionOf(decision)).toEqual(expected);
  });
});
