// Leaf rules on the amount of one payment against static caps: maximum per payment (atomic and
// USD), per-endpoint price ceilings and the approval threshold. USD comparisons are exact
// rational arithmetic; USD rules skip a payment whose asset has no rate supplied by the caller.
import { addressesEqual } from './address.util';
import { hostMatches } from './host-pattern.util';
import type { NormalizedPayment } from './payment-request';
import { pathMatches } from './path-pattern.util';
import type { PolicyFinding, PolicyLevel } from './policy-decision';
import type { PolicyDocument } from './policy-document.schema';
import { compareRationals, parseDecimal } from './rational.util';

/** Parameters of the amount rule functions. */
export interface AmountFindingsParams {
  readonly level: PolicyLevel;
  readonly document: PolicyDocument;
  readonly payment: NormalizedPayment;
}

/** Failing deny rules on the amount: max per payment (atomic, USD) and price ceilings. */
export function amountFindings({ level, document, payment }: AmountFindingsParams): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const [index, cap] of (document.maxPerPayment ?? []).entries()) {
    if (isSameAsset(cap, payment) && payment.amountAtomic > BigInt(cap.maxAtomic)) {
      findings.push({
        reason: 'amount_exceeds_max_per_payment',
        rule: { level, kind: 'maxPerPayment', index },
      });
    }
  }
  if (document.maxPerPaymentUsd !== undefined && exceedsUsd(payment, document.maxPerPaymentUsd)) {
    findings.push({
      reason: 'amount_exceeds_max_per_payment_usd',
      rule: { level, kind: 'maxPerPaymentUsd', index: null },
    });
  }
  for (const [index, ceiling] of (document.priceCeilings ?? []).entries()) {
    const applies =
      isSameAsset(ceiling, payment) &&
      hostMatches({ pattern: ceiling.host, host: payment.host }) &&
      (ceiling.path === undefined || pathMatches({ pattern: ceiling.path, path: payment.path })) &&
      (ceiling.method === undefined || ceiling.method.toUpperCase() === payment.method);
    if (applies && payment.amountAtomic > BigInt(ceiling.maxAtomic)) {
      findings.push({ reason: 'price_ceiling_exceeded', rule: { level, kind: 'priceCeilings', index } });
    }
  }
  return findings;
}

/** Approval thresholds the payment is above: each one asks for an operator's approval. */
export function approvalFindings({ level, document, payment }: AmountFindingsParams): PolicyFinding[] {
  const threshold = document.approvalThreshold;
  if (threshold === undefined) return [];
  const findings: PolicyFinding[] = [];
  for (const [index, entry] of (threshold.perAsset ?? []).entries()) {
    if (isSameAsset(entry, payment) && payment.amountAtomic > BigInt(entry.aboveAtomic)) {
      findings.push({
        reason: 'approval_threshold_exceeded',
        rule: { level, kind: 'approvalThreshold', index },
      });
    }
  }
  if (threshold.aboveUsd !== undefined && exceedsUsd(payment, threshold.aboveUsd)) {
    findings.push({
      reason: 'approval_threshold_usd_exceeded',
      rule: { level, kind: 'approvalThreshold', index: null },
    });
  }
  return findings;
}

function isSameAsset(rule: { network: string; asset: string }, payment: NormalizedPayment): boolean {
  return rule.network === payment.network && addressesEqual({ left: rule.asset, right: payment.asset });
}

function exceedsUsd(payment: NormalizedPayment, limitUsd: string): boolean {
  if (payment.usdValue === undefined) return false;
  return compareRationals({ left: payment.usdValue, right: parseDecimal({ value: limitUsd }) }) > 0;
}
