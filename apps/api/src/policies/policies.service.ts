import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  AuditLogRepository,
  HOLD_ORG_LOCK_CLASS,
  type PolicyVersions,
  Prisma,
  PrismaService,
  type Transaction,
} from '@proco/persistence';
import { parsePolicyDocument, type PolicyDocument, PolicyValidationError } from '@proco/policy';
import { AgentNotFoundError } from '../agents/agents.errors';
import { type OperatorPrincipal } from '../auth/principal';
import { ValidationFailedError } from '../common/api.errors';
import { type Page } from '../common/pagination';
import { type ListPolicyVersionsQuery, type PolicyTarget, type PolicyVersionView } from './policies.dto';
import { PolicyNotFoundError, PolicyVersionNotFoundError } from './policies.errors';

/** Attempts when two first versions of one policy race (the loser retries and appends). */
export const POLICY_CREATE_ATTEMPTS_MAX = 3;

/**
 * Agents whose effective policies are kept in memory. The cache is only a shortcut: a purchase
 * names the versions it was evaluated under and the database refuses it when a pointer has moved
 * since (`PaymentStore.begin`), so a stale entry costs one retry, never a wrong decision.
 */
export const EFFECTIVE_POLICIES_CACHE_MAX = 10_000;

/** The current documents that apply to an agent and the versions they are. */
export interface EffectivePolicies {
  readonly documents: { readonly org?: PolicyDocument; readonly agent?: PolicyDocument };
  readonly versions: PolicyVersions;
}

/** The `target` column: one policy per org default and per agent. */
function targetKey(target: PolicyTarget): string {
  return target.level === 'org' ? 'org' : target.agentId;
}

/**
 * Policies are versioned: every change appends an immutable version and moves the current pointer,
 * in one transaction with its audit event. Old versions stay readable for review and backtests.
 */
@Injectable()
export class PoliciesService {
  /** Keyed by agent id; Map order is insertion order, so the first key is the oldest entry. */
  private readonly effectiveCache = new Map<string, EffectivePolicies>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
  ) {}

  /**
   * Validates a document and makes it the target's current policy.
   * Errors: `validation_failed` (field-level), `agent_not_found`.
   */
  async setPolicy(
    operator: OperatorPrincipal,
    target: PolicyTarget,
    input: unknown,
    requestId?: string,
  ): Promise<PolicyVersionView> {
    const document = parseOrReject(input);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const version = await this.prisma.$transaction((tx) =>
          this.appendVersion(tx, { operator, target, document, requestId }),
        );
        this.forgetEffective(operator.orgId, target);
        return version;
      } catch (error: unknown) {
        const raced = error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
        if (!raced || attempt >= POLICY_CREATE_ATTEMPTS_MAX) throw error;
      }
    }
  }

  /** The current version. Errors: `policy_not_found`, `agent_not_found`. */
  async current(operator: OperatorPrincipal, target: PolicyTarget): Promise<PolicyVersionView> {
    await this.assertTarget(operator, target);
    const policy = await this.prisma.policy.findUnique({
      where: { orgId_target: { orgId: operator.orgId, target: targetKey(target) } },
    });
    if (policy === null) throw new PolicyNotFoundError(targetKey(target));
    return this.version(operator, target, policy.currentVersion);
  }

  /** One version. Errors: `policy_not_found`, `policy_version_not_found`, `agent_not_found`. */
  async version(
    operator: OperatorPrincipal,
    target: PolicyTarget,
    version: number,
  ): Promise<PolicyVersionView> {
    await this.assertTarget(operator, target);
    const policy = await this.prisma.policy.findUnique({
      where: { orgId_target: { orgId: operator.orgId, target: targetKey(target) } },
      include: { versions: { where: { version }, take: 1 } },
    });
    if (policy === null) throw new PolicyNotFoundError(targetKey(target));
    const row = policy.versions[0];
    if (row === undefined) throw new PolicyVersionNotFoundError(targetKey(target), version);
    return toView(policy, row);
  }

  /** Versions, newest first. Errors: `policy_not_found`, `agent_not_found`. */
  async versions(
    operator: OperatorPrincipal,
    target: PolicyTarget,
    query: ListPolicyVersionsQuery,
  ): Promise<Page<PolicyVersionView>> {
    await this.assertTarget(operator, target);
    const policy = await this.prisma.policy.findUnique({
      where: { orgId_target: { orgId: operator.orgId, target: targetKey(target) } },
      include: {
        versions: {
          where: query.cursor === undefined ? {} : { version: { lt: query.cursor } },
          orderBy: { version: 'desc' },
          take: query.limit + 1,
        },
      },
    });
    if (policy === null) throw new PolicyNotFoundError(targetKey(target));
    const items = policy.versions.slice(0, query.limit).map((row) => toView(policy, row));
    const last = items[items.length - 1];
    const nextCursor =
      policy.versions.length > query.limit && last !== undefined ? String(last.version) : null;
    return { items, nextCursor };
  }

  /** The current documents that apply to an agent: the org default and the agent's own. */
  async effectiveDocuments(
    orgId: string,
    agentId: string,
  ): Promise<{ org?: PolicyDocument; agent?: PolicyDocument }> {
    return (await this.readEffective(orgId, agentId)).documents;
  }

  /**
   * The effective policies with their versions, from memory when known. For the purchase path
   * only, which hands the versions to the database to confirm (see `EFFECTIVE_POLICIES_CACHE_MAX`);
   * `fresh` forces a read, as after the database refused stale versions.
   */
  async effectivePolicies(orgId: string, agentId: string, fresh = false): Promise<EffectivePolicies> {
    const cacheKey = `${orgId}:${agentId}`;
    const cached = fresh ? undefined : this.effectiveCache.get(cacheKey);
    if (cached !== undefined) return cached;
    const effective = await this.readEffective(orgId, agentId);
    this.effectiveCache.delete(cacheKey);
    if (this.effectiveCache.size >= EFFECTIVE_POLICIES_CACHE_MAX) {
      const oldest = this.effectiveCache.keys().next();
      if (oldest.done !== true) this.effectiveCache.delete(oldest.value);
    }
    this.effectiveCache.set(cacheKey, effective);
    return effective;
  }

  /**
   * Drops what this process remembers of the policies a change touches (an org policy applies to
   * every agent of the org). Other replicas learn of it when the database refuses their versions.
   */
  private forgetEffective(orgId: string, target: PolicyTarget): void {
    if (target.level === 'agent') {
      this.effectiveCache.delete(`${orgId}:${target.agentId}`);
      return;
    }
    for (const key of [...this.effectiveCache.keys()]) {
      if (key.startsWith(`${orgId}:`)) this.effectiveCache.delete(key);
    }
  }

  private async readEffective(orgId: string, agentId: string): Promise<EffectivePolicies> {
    // One round trip: each target's current version, joined on the pointer.
    const rows = await this.prisma.$queryRaw<
      { level: 'org' | 'agent'; version: number; document: unknown }[]
    >`
      SELECT p.level::text AS level, p.current_version AS version, v.document
      FROM policies p
      JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.current_version
      WHERE p.org_id = ${orgId}::uuid AND p.target IN ('org', ${agentId})`;
    const documents: { org?: PolicyDocument; agent?: PolicyDocument } = {};
    const versions: { org: number | null; agent: number | null } = { org: null, agent: null };
    for (const row of rows) {
      documents[row.level] = row.document as PolicyDocument;
      versions[row.level] = row.version;
    }
    return { documents, versions };
  }

  private async appendVersion(
    tx: Transaction,
    params: {
      operator: OperatorPrincipal;
      target: PolicyTarget;
      document: PolicyDocument;
      requestId: string | undefined;
    },
  ): Promise<PolicyVersionView> {
    const { operator, target, document } = params;
    await this.assertTarget(operator, target, tx);
    // The org's hold lock, exclusively: a purchase reserving under the old version either commits
    // before this change or waits and then sees the new pointer (`proco_begin_payment`).
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${HOLD_ORG_LOCK_CLASS}::int, hashtext(${operator.orgId}))`;
    const key = { orgId: operator.orgId, target: targetKey(target) };
    const existing = await tx.policy.findUnique({ where: { orgId_target: key } });
    // The increment locks the policy row, so concurrent changes get consecutive versions.
    const policy =
      existing === null
        ? await tx.policy.create({
            data: {
              id: randomUUID(),
              ...key,
              level: target.level,
              agentId: target.level === 'agent' ? target.agentId : null,
              currentVersion: 1,
            },
          })
        : await tx.policy.update({ where: { id: existing.id }, data: { currentVersion: { increment: 1 } } });
    const row = await tx.policyVersion.create({
      data: {
        policyId: policy.id,
        version: policy.currentVersion,
        orgId: operator.orgId,
        document,
        createdBy: operator.apiKeyId,
      },
    });
    await this.audit.append(tx, {
      orgId: operator.orgId,
      actor: { type: 'operator', id: operator.apiKeyId },
      action: 'policy.version_created',
      subject: { type: 'policy', id: policy.id },
      data: { level: target.level, agentId: policy.agentId, version: row.version },
      requestId: params.requestId,
    });
    return toView(policy, row);
  }

  private async assertTarget(
    operator: OperatorPrincipal,
    target: PolicyTarget,
    tx: Transaction = this.prisma,
  ): Promise<void> {
    if (target.level === 'org') return;
    const agent = await tx.agent.findFirst({
      where: { id: target.agentId, orgId: operator.orgId },
      select: { id: true },
    });
    if (agent === null) throw new AgentNotFoundError(target.agentId);
  }
}

function parseOrReject(input: unknown): PolicyDocument {
  try {
    return parsePolicyDocument(input);
  } catch (error: unknown) {
    if (error instanceof PolicyValidationError) throw new ValidationFailedError(error.issues);
    throw error;
  }
}

function toView(
  policy: { level: 'org' | 'agent'; agentId: string | null; currentVersion: number },
  row: { version: number; document: unknown; createdAt: Date; createdBy: string | null },
): PolicyVersionView {
  return {
    level: policy.level,
    agentId: policy.agentId,
    version: row.version,
    current: row.version === policy.currentVersion,
    document: row.document as PolicyDocument,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
  };
}
