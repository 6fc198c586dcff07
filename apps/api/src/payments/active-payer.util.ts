import { type PrismaService } from '@proco/persistence';
import { AgentFrozenError, AgentNotFoundError } from '../agents/agents.errors';
import { WalletNotFoundError } from '../wallets/wallets.errors';

/** Parameters of `activePayerOf`. */
export interface ActivePayerParams {
  readonly orgId: string;
  readonly agentId: string;
}

/**
 * The agent's wallet address; a frozen agent is refused here, before any hold. Used when the
 * agent pays and again when an operator approves, since the agent may have been frozen meanwhile.
 * Errors: `agent_not_found`, `agent_frozen`, `wallet_not_found`.
 */
export async function activePayerOf(
  prisma: PrismaService,
  params: ActivePayerParams,
): Promise<`0x${string}`> {
  const row = await prisma.agent.findFirst({
    where: { id: params.agentId, orgId: params.orgId },
    select: { status: true, wallet: { select: { address: true } } },
  });
  if (row === null) throw new AgentNotFoundError(params.agentId);
  if (row.status !== 'active') throw new AgentFrozenError(params.agentId);
  if (row.wallet === null) throw new WalletNotFoundError(params.agentId);
  return row.wallet.address as `0x${string}`;
}
