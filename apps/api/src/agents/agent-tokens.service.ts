import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type AgentToken, AuditLogRepository, PrismaService } from '@proco/persistence';
import { mintCredential } from '../auth/credential.util';
import { type OperatorPrincipal } from '../auth/principal';
import { type AgentTokenView, type CreateAgentToken, type CreatedAgentTokenView } from './agents.dto';
import { AgentNotFoundError, AgentTokenLimitError, AgentTokenNotFoundError } from './agents.errors';
import { lockAgentRow } from './lock-agent-row';

/** Bound on live tokens per agent; rotation means create, deploy, revoke the old one. */
export const AGENT_TOKENS_PER_AGENT_MAX = 20;
const LIST_LIMIT = 1_000;

/** Agent tokens: created by operators (secret shown once), usable only on agent routes. */
@Injectable()
export class AgentTokensService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
  ) {}

  async create(
    operator: OperatorPrincipal,
    agentId: string,
    input: CreateAgentToken,
    requestId?: string,
  ): Promise<CreatedAgentTokenView> {
    const credential = mintCredential('agent');
    const token = await this.prisma.$transaction(async (tx) => {
      // The lock serialises creates for this agent, so the count below cannot go stale before
      // the insert; without it parallel creates all see the same count and overshoot the limit.
      const exists = await lockAgentRow(tx, { orgId: operator.orgId, agentId });
      if (!exists) throw new AgentNotFoundError(agentId);
      const live = await tx.agentToken.count({ where: { agentId, revokedAt: null } });
      if (live >= AGENT_TOKENS_PER_AGENT_MAX)
        throw new AgentTokenLimitError(agentId, AGENT_TOKENS_PER_AGENT_MAX);
      const created = await tx.agentToken.create({
        data: {
          id: randomUUID(),
          orgId: operator.orgId,
          agentId,
          name: input.name,
          prefix: credential.prefix,
          secretDigest: credential.digest,
        },
      });
      await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: { type: 'operator', id: operator.apiKeyId },
        action: 'agent_token.created',
        subject: { type: 'agent_token', id: created.id },
        data: { agentId, name: created.name, prefix: created.prefix },
        requestId,
      });
      return created;
    });
    return { ...toAgentTokenView(token), secret: credential.secret };
  }

  async list(operator: OperatorPrincipal, agentId: string): Promise<AgentTokenView[]> {
    const agent = await this.prisma.agent.findFirst({
      where: { id: agentId, orgId: operator.orgId },
      select: { id: true },
    });
    if (agent === null) throw new AgentNotFoundError(agentId);
    const tokens = await this.prisma.agentToken.findMany({
      where: { orgId: operator.orgId, agentId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: LIST_LIMIT,
    });
    return tokens.map(toAgentTokenView);
  }

  /**
   * Revokes a token; revoking a revoked token returns it unchanged and records nothing.
   * Errors: `agent_token_not_found` (also for another agent's or org's token).
   */
  async revoke(
    operator: OperatorPrincipal,
    agentId: string,
    tokenId: string,
    requestId?: string,
  ): Promise<AgentTokenView> {
    const scope = { id: tokenId, agentId, orgId: operator.orgId };
    return this.prisma.$transaction(async (tx) => {
      // A conditional update, not read-then-write: parallel revocations wait on the row lock and
      // then match nothing, so exactly one of them stamps `revokedAt` and writes the audit event.
      const { count } = await tx.agentToken.updateMany({
        where: { ...scope, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      if (count === 1) {
        await this.audit.append(tx, {
          orgId: operator.orgId,
          actor: { type: 'operator', id: operator.apiKeyId },
          action: 'agent_token.revoked',
          subject: { type: 'agent_token', id: tokenId },
          data: { agentId },
          requestId,
        });
      }
      const token = await tx.agentToken.findFirst({ where: scope });
      if (token === null) throw new AgentTokenNotFoundError(tokenId);
      return toAgentTokenView(token);
    });
  }
}

export function toAgentTokenView(token: AgentToken): AgentTokenView {
  return {
    id: token.id,
    agentId: token.agentId,
    name: token.name,
    prefix: token.prefix,
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}
