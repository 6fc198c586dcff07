import { Injectable } from '@nestjs/common';
import { type Prisma, PrismaService } from '@proco/persistence';
import {
  type BacktestPayment,
  type BacktestPriorHold,
  backtestPolicy,
  type PaymentRequest,
  parseDecimal,
  parsePolicyDocument,
  type PolicyDocument,
  type PolicyDecision,
  PolicyValidationError,
} from '@proco/policy';
import { AgentNotFoundError } from '../agents/agents.errors';
import { type OperatorPrincipal } from '../auth/principal';
import { type FieldError, ValidationFailedError } from '../common/api.errors';
import { NetworkRegistryService } from '../networks/network-registry.service';
import { type BacktestPolicy } from './policies.dto';
import { PoliciesService } from './policies.service';
import {
  BACKTEST_CHANGES_MAX,
  BACKTEST_PAYMENTS_MAX,
  BACKTEST_PRIOR_HOLDS_MAX,
} from './policy-backtest.limits';
import { type BacktestPolicySource, type BacktestView, toBacktestTotalsView } from './policy-backtest.view';

const MILLISECONDS_PER_DAY = 86_400_000;
const MILLISECONDS_PER_SECOND = 1000;
const LEVELS = ['org', 'agent'] as const;

type Documents = { org?: PolicyDocument | undefined; agent?: PolicyDocument | undefined };
type PaymentRow = Prisma.PaymentGetPayload<object>;

/**
 * "What would this draft have changed?" Loads an agent's recorded payments of the last days and
 * the holds before them, and hands them to the pure `backtestPolicy`. Reads only: no hold, no
 * audit entry, no policy version.
 */
@Injectable()
export class PolicyBacktestService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly registry: NetworkRegistryService,
    private readonly policies: PoliciesService,
  ) {}

  /** Errors: `validation_failed` (fields under `draft.org.` / `draft.agent.`), `agent_not_found`. */
  async backtest(operator: OperatorPrincipal, input: BacktestPolicy): Promise<BacktestView> {
    const drafts = parseDrafts(input.draft);
    const agent = await this.prisma.agent.findFirst({
      where: { id: input.agentId, orgId: operator.orgId },
      select: { id: true },
    });
    if (agent === null) throw new AgentNotFoundError(input.agentId);
    const current = await this.policies.effectiveDocuments(operator.orgId, agent.id);
    const documents: Documents = { org: drafts.org ?? current.org, agent: drafts.agent ?? current.agent };
    const now = new Date();
    const scope = { orgId: operator.orgId, agentId: agent.id };
    const rows = await this.prisma.payment.findMany({
      where: {
        ...scope,
        createdAt: { gte: new Date(now.getTime() - input.days * MILLISECONDS_PER_DAY), lte: now },
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: BACKTEST_PAYMENTS_MAX + 1,
    });
    const paymentsTruncated = rows.length > BACKTEST_PAYMENTS_MAX;
    const kept = rows.slice(0, BACKTEST_PAYMENTS_MAX);
    // When payments were left out, the replay starts at the oldest one kept and everything before
    // it counts as it happened (prior holds), so budgets never forget spend.
    const from = paymentsTruncated
      ? (kept[kept.length - 1]?.createdAt ?? now)
      : new Date(now.getTime() - input.days * MILLISECONDS_PER_DAY);
    const prior = await this.priorHolds({ ...scope, before: from, documents });
    const payments = kept.flatMap((row) => this.replayable(row) ?? []);
    const result = backtestPolicy({
      ...documents,
      payments,
      priorHolds: prior.holds,
      changesMax: BACKTEST_CHANGES_MAX,
    });
    return {
      agentId: agent.id,
      scope: 'agent_payments_only',
      evaluatedAt: now.toISOString(),
      from: from.toISOString(),
      to: now.toISOString(),
      policies: { org: sourceOf(drafts.org, current.org), agent: sourceOf(drafts.agent, current.agent) },
      ...toBacktestTotalsView({
        result,
        statusById: new Map(kept.map((row) => [row.id, row.status])),
        skipped: kept.length - payments.length,
        originallyAuthorized: kept.filter((row) => row.status === 'authorized').length,
      }),
      paymentsTruncated,
      priorHoldsTruncated: prior.truncated,
    };
  }

  /**
   * The agent's holds before the period that the draft's windows can still see: pending ones at
   * their amount, posted ones at the posted amount (voided and expired ones released their budget).
   */
  private async priorHolds(params: {
    orgId: string;
    agentId: string;
    before: Date;
    documents: Documents;
  }): Promise<{ holds: BacktestPriorHold[]; truncated: boolean }> {
    const lookbackMs = longestWindowMs(params.documents);
    if (lookbackMs === 0) return { holds: [], truncated: false };
    const rows = await this.prisma.hold.findMany({
      where: {
        orgId: params.orgId,
        agentId: params.agentId,
        status: { in: ['pending', 'posted'] },
        createdAt: {
          lt: params.before,
          ...(lookbackMs === null ? {} : { gte: new Date(params.before.getTime() - lookbackMs) }),
        },
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: BACKTEST_PRIOR_HOLDS_MAX + 1,
      select: { createdAt: true, network: true, asset: true, amount: true, postedAmount: true, status: true },
    });
    const holds = rows.slice(0, BACKTEST_PRIOR_HOLDS_MAX).map((row) => ({
      createdAt: row.createdAt,
      network: row.network,
      asset: row.asset,
      amountAtomic: BigInt(
        (row.status === 'posted' ? (row.postedAmount ?? row.amount) : row.amount).toFixed(0),
      ),
    }));
    return { holds, truncated: rows.length > BACKTEST_PRIOR_HOLDS_MAX };
  }

  /** A recorded payment as the engine saw it; null when no requirement was ever decided on. */
  private replayable(row: PaymentRow): BacktestPayment | null {
    const original = originalDecisionOf(row.decision);
    if (row.network === null || row.asset === null || row.payTo === null || row.amount === null) return null;
    if (original === null) return null;
    const registered = this.registry.findAsset({ network: row.network, asset: row.asset });
    const request: PaymentRequest = {
      url: row.resourceUrl,
      method: row.method,
      payTo: row.payTo,
      network: row.network,
      asset: row.asset,
      amountAtomic: BigInt(row.amount.toFixed(0)),
      // The rate configured today: a rate changed since the payment is part of what is tested.
      ...(registered?.usdRate === undefined
        ? {}
        : {
            usdRate: {
              usdPerUnit: parseDecimal({ value: registered.usdRate }),
              decimals: registered.decimals,
            },
          }),
    };
    return { id: row.id, createdAt: row.createdAt, request, original };
  }
}

/** Validates both draft levels and reports every bad field of both at once. */
function parseDrafts(draft: BacktestPolicy['draft']): Documents {
  const documents: Documents = {};
  const errors: FieldError[] = [];
  for (const level of LEVELS) {
    const input = draft[level];
    if (input === undefined) continue;
    try {
      documents[level] = parsePolicyDocument(input);
    } catch (error: unknown) {
      if (!(error instanceof PolicyValidationError)) throw error;
      for (const issue of error.issues) {
        const field = issue.field === '(root)' ? `draft.${level}` : `draft.${level}.${issue.field}`;
        errors.push({ field, message: issue.message });
      }
    }
  }
  if (errors.length > 0) throw new ValidationFailedError(errors);
  return documents;
}

/** How far back holds matter: the longest window of any budget or rate limit; null for lifetime. */
function longestWindowMs(documents: Documents): number | null {
  let longestMs = 0;
  for (const level of LEVELS) {
    const document = documents[level];
    for (const budget of document?.budgets ?? []) {
      if (budget.window.kind === 'lifetime') return null;
      longestMs = Math.max(longestMs, budget.window.durationSeconds * MILLISECONDS_PER_SECOND);
    }
    for (const rateLimit of document?.rateLimits ?? []) {
      longestMs = Math.max(longestMs, rateLimit.windowSeconds * MILLISECONDS_PER_SECOND);
    }
  }
  return longestMs;
}

const OUTCOMES: ReadonlySet<string> = new Set<PolicyDecision['outcome']>([
  'allow',
  'deny',
  'hold_for_approval',
]);

/** The outcome and reason stored with a payment (a `DecisionView`), or null if it has none. */
function originalDecisionOf(decision: Prisma.JsonValue): BacktestPayment['original'] | null {
  if (typeof decision !== 'object' || decision === null || Array.isArray(decision)) return null;
  const { outcome, reason } = decision;
  if (typeof outcome !== 'string' || !OUTCOMES.has(outcome)) return null;
  return {
    outcome: outcome as PolicyDecision['outcome'],
    reason: typeof reason === 'string' ? reason : null,
  };
}

function sourceOf(
  draft: PolicyDocument | undefined,
  current: PolicyDocument | undefined,
): BacktestPolicySource {
  if (draft !== undefined) return 'draft';
  return current === undefined ? 'none' : 'current';
}
