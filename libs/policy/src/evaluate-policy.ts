import { activeWindowIndex } from './active-hours.util';
import { amountFindings, approvalFindings } from './amount-rules';
import { levelsOf } from './budget-checks';
import { listFindings } from './list-rules';
import { type PaymentRequest, normalizePayment } from './payment-request';
import type { PolicyDecision, PolicyFinding, PolicyLevel, UsageSnapshot } from './policy-decision';
import type { PolicyDocument } from './policy-document.schema';
import {
  POLICY_DENY_REASONS,
  type PolicyDenyReason,
  type PolicyReason,
  reasonPrecedence,
} from './policy-reasons';
import { PaymentRequestInvalidError } from './policy.errors';
import { usageFindings, usageStandings } from './usage-rules';

/** Parameters of `evaluatePolicy`. */
export interface EvaluatePolicyParams {
  /** The org's policy: applies to every agent; its budgets count every agent's spend. */
  readonly org?: PolicyDocument | undefined;
  /** The agent's own policy. */
  readonly agent?: PolicyDocument | undefined;
  /** Spend and payment counts already in each window (pending plus posted holds). */
  readonly usage: UsageSnapshot;
  readonly request: PaymentRequest;
  /** The clock, passed in so that a decision is a function of its inputs. */
  readonly now: Date;
}

/** The decision of `evaluatePolicy`. */
export type EvaluatePolicyResult = PolicyDecision;

const DENY_REASONS: ReadonlySet<PolicyReason> = new Set(POLICY_DENY_REASONS);
const LEVEL_ORDER: Readonly<Record<PolicyLevel, number>> = { org: 0, agent: 1 };

/**
 * Decides a payment under the org and agent policies (both must allow; a missing policy allows
 * everything). Every rule of both levels is evaluated; the failing rule whose reason comes first in
 * `POLICY_REASONS` decides (ties: org before agent, then document order), so deny beats
 * hold_for_approval beats allow. Pure: no clock or I/O inside.
 * Throws `PaymentRequestInvalidError` (`payment_request_invalid`) for a malformed request or clock,
 * and `UsageSnapshotInvalidError` (`usage_snapshot_invalid`) for a negative usage value.
 */
export function evaluatePolicy({
  org,
  agent,
  usage,
  request,
  now,
}: EvaluatePolicyParams): EvaluatePolicyResult {
  if (Number.isNaN(now.getTime())) {
    throw new PaymentRequestInvalidError({ field: 'now', detail: 'is not a valid date' });
  }
  const payment = normalizePayment(request);
  const findings = levelsOf({ org, agent })
    .flatMap(({ level, document }) => [
      ...listFindings({ level, document, payment }),
      ...amountFindings({ level, document, payment }),
      ...activeHoursFindings({ level, document, now }),
      ...usageFindings({ level, document, payment, usage }),
      ...approvalFindings({ level, document, payment }),
    ])
    .sort(compareFindings);
  const decisive = findings[0];
  const standings = usageStandings({ org, agent, payment, usage, allowed: decisive === undefined });
  if (decisive === undefined) return { outcome: 'allow', reason: null, rule: null, findings, ...standings };
  if (isDenyReason(decisive.reason)) {
    return { outcome: 'deny', reason: decisive.reason, rule: decisive.rule, findings, ...standings };
  }
  return {
    outcome: 'hold_for_approval',
    reason: decisive.reason,
    rule: decisive.rule,
    findings,
    ...standings,
  };
}

function activeHoursFindings(params: {
  level: PolicyLevel;
  document: PolicyDocument;
  now: Date;
}): PolicyFinding[] {
  const { level, document, now } = params;
  if (document.activeHours === undefined) return [];
  if (activeWindowIndex({ windows: document.activeHours, now }) >= 0) return [];
  return [{ reason: 'outside_active_hours', rule: { level, kind: 'activeHours', index: null } }];
}

function compareFindings(left: PolicyFinding, right: PolicyFinding): number {
  return (
    reasonPrecedence(left.reason) - reasonPrecedence(right.reason) ||
    LEVEL_ORDER[left.rule.level] - LEVEL_ORDER[right.rule.level] ||
    (left.rule.index ?? -1) - (right.rule.index ?? -1)
  );
}

function isDenyReason(reason: PolicyReason): reason is PolicyDenyReason {
  return DENY_REASONS.has(reason);
}
