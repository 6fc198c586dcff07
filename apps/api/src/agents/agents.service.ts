import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type Agent, AuditLogRepository, type Prisma, PrismaService, type Wallet } from '@proco/persistence';
import { type OperatorPrincipal } from '../auth/principal';
import { cursorOf, type Page, pageOf, pastCursor } from '../common/pagination';
import { WalletsService } from '../wallets/wallets.service';
import {
  type AgentMetadata,
  type AgentView,
  type CreateAgent,
  type ListAgentsQuery,
  type UpdateAgent,
} from './agents.dto';
import { AgentNotFoundError } from './agents.errors';
import { lockAgentRow } from './lock-agent-row';

type AgentWithWallet = Agent & { wallet: Wallet | null };

/** Agents of an org and the wallet each is issued. Every query is scoped to the caller's org. */
@Injectable()
export class AgentsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    private readonly wallets: WalletsService,
  ) {}

  /** Creates an agent and issues its wallet in one transaction. */
  async create(operator: OperatorPrincipal, input: CreateAgent, requestId?: string): Promise<AgentView> {
    const agentId = randomUUID();
    const agent = await this.prisma.$transaction(async (tx) => {
      const created = await tx.agent.create({
        data: { id: agentId, orgId: operator.orgId, name: input.name, metadata: input.metadata },
      });
      const wallet = await this.wallets.issue(tx, { orgId: operator.orgId, agentId });
      await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: { type: 'operator', id: operator.apiKeyId },
        action: 'agent.created',
        subject: { type: 'agent', id: agentId },
        data: { name: created.name, walletId: wallet.id, address: wallet.address },
        requestId,
      });
      return { ...created, wallet };
    });
    return toAgentView(agent);
  }

  async list(operator: OperatorPrincipal, query: ListAgentsQuery): Promise<Page<AgentView>> {
    const cursor = cursorOf(query.cursor);
    const where: Prisma.AgentWhereInput = {
      orgId: operator.orgId,
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.name === undefined ? {} : { name: { contains: query.name, mode: 'insensitive' } }),
      ...pastCursor(cursor, 'asc'),
    };
    const rows = await this.prisma.agent.findMany({
      where,
      include: { wallet: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: query.limit + 1,
    });
    return pageOf(rows, query.limit, toAgentView);
  }

  async get(operator: OperatorPrincipal, agentId: string): Promise<AgentView> {
    return toAgentView(await this.find(operator.orgId, agentId));
  }

  /** Renames, re-tags, freezes or unfreezes an agent. Errors: `agent_not_found`. */
  async update(
    operator: OperatorPrincipal,
    agentId: string,
    input: UpdateAgent,
    requestId?: string,
  ): Promise<AgentView> {
    const agent = await this.prisma.$transaction(async (tx) => {
      // Locked before it is read: the status read here decides between `agent.frozen` and
      // `agent.updated`, so a parallel freeze must not read the same pre-freeze status.
      const exists = await lockAgentRow(tx, { orgId: operator.orgId, agentId });
      const existing = exists
        ? await tx.agent.findFirst({ where: { id: agentId, orgId: operator.orgId } })
        : null;
      if (existing === null) throw new AgentNotFoundError(agentId);
      const updated = await tx.agent.update({
        where: { id: existing.id },
        data: {
          ...(input.name === undefined ? {} : { name: input.name }),
          ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
          ...(input.status === undefined ? {} : { status: input.status }),
        },
        include: { wallet: true },
      });
      const action =
        input.status !== undefined && input.status !== existing.status
          ? input.status === 'frozen'
            ? 'agent.frozen'
            : 'agent.unfrozen'
          : 'agent.updated';
      await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: { type: 'operator', id: operator.apiKeyId },
        action,
        subject: { type: 'agent', id: agentId },
        data: { changed: Object.keys(input).sort() },
        requestId,
      });
      return updated;
    });
    return toAgentView(agent);
  }

  /** The agent with its wallet, or `agent_not_found` (also for another org's agent). */
  async find(orgId: string, agentId: string): Promise<AgentWithWallet> {
    const agent = await this.prisma.agent.findFirst({
      where: { id: agentId, orgId },
      include: { wallet: true },
    });
    if (agent === null) throw new AgentNotFoundError(agentId);
    return agent;
  }
}

export function toAgentView(agent: AgentWithWallet): AgentView {
  if (agent.wallet === null) throw new Error(`agent ${agent.id} has no wallet`);
  return {
    id: agent.id,
    name: agent.name,
    status: agent.status,
    metadata: agent.metadata as AgentMetadata,
    wallet: { address: agent.wallet.address },
    createdAt: agent.createdAt.toISOString(),
    updatedAt: agent.updatedAt.toISOString(),
  };
}
