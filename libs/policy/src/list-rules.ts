// Leaf rules for the allow and deny lists. Each returns the failing findings of one level; the
// parent picks the winner by precedence. A deny entry that matches fails with `<kind>_denied` and
// names the entry; an allow list that nothing matches fails with `<kind>_not_allowed`.
import { addressesEqual } from './address.util';
import { hostMatches } from './host-pattern.util';
import type { NormalizedPayment } from './payment-request';
import { pathMatches } from './path-pattern.util';
import type { PolicyFinding, PolicyLevel, PolicyRuleKind } from './policy-decision';
import type { PolicyDocument } from './policy-document.schema';
import type { PolicyDenyReason } from './policy-reasons';

interface AllowDenyList<Item> {
  readonly allow?: readonly Item[] | undefined;
  readonly deny?: readonly Item[] | undefined;
}

interface ListRuleParams<Item> {
  readonly level: PolicyLevel;
  readonly kind: PolicyRuleKind;
  readonly list: AllowDenyList<Item> | undefined;
  readonly matches: (item: Item) => boolean;
  readonly deniedReason: PolicyDenyReason;
  readonly notAllowedReason: PolicyDenyReason;
}

function listRuleFindings<Item>(params: ListRuleParams<Item>): PolicyFinding[] {
  const { level, kind, list, matches } = params;
  if (list === undefined) return [];
  const findings: PolicyFinding[] = [];
  const deniedIndex = (list.deny ?? []).findIndex(matches);
  if (deniedIndex >= 0)
    findings.push({ reason: params.deniedReason, rule: { level, kind, index: deniedIndex } });
  if (list.allow !== undefined && !list.allow.some(matches)) {
    findings.push({ reason: params.notAllowedReason, rule: { level, kind, index: null } });
  }
  return findings;
}

/** Parameters of `listFindings`. */
export interface ListFindingsParams {
  readonly level: PolicyLevel;
  readonly document: PolicyDocument;
  readonly payment: NormalizedPayment;
}

/** Failing allow/deny-list rules of one level (networks, assets, payees, hosts, paths, methods). */
export function listFindings({ level, document, payment }: ListFindingsParams): PolicyFinding[] {
  return [
    ...listRuleFindings({
      level,
      kind: 'networks',
      list: document.networks,
      matches: (network) => network === payment.network,
      deniedReason: 'network_denied',
      notAllowedReason: 'network_not_allowed',
    }),
    ...listRuleFindings({
      level,
      kind: 'assets',
      list: document.assets,
      matches: (asset) =>
        asset.network === payment.network && addressesEqual({ left: asset.asset, right: payment.asset }),
      deniedReason: 'asset_denied',
      notAllowedReason: 'asset_not_allowed',
    }),
    ...listRuleFindings({
      level,
      kind: 'payees',
      list: document.payees,
      matches: (payee) => addressesEqual({ left: payee, right: payment.payTo }),
      deniedReason: 'payee_denied',
      notAllowedReason: 'payee_not_allowed',
    }),
    ...listRuleFindings({
      level,
      kind: 'hosts',
      list: document.hosts,
      matches: (pattern) => hostMatches({ pattern, host: payment.host }),
      deniedReason: 'host_denied',
      notAllowedReason: 'host_not_allowed',
    }),
    ...listRuleFindings({
      level,
      kind: 'paths',
      list: document.paths,
      matches: (pattern) => pathMatches({ pattern, path: payment.path }),
      deniedReason: 'path_denied',
      notAllowedReason: 'path_not_allowed',
    }),
    ...listRuleFindings({
      level,
      kind: 'methods',
      list: document.methods,
      matches: (method) => method.toUpperCase() === payment.method,
      deniedReason: 'method_denied',
      notAllowedReason: 'method_not_allowed',
    }),
  ];
}
