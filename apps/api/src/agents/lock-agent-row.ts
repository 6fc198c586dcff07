import { type Transaction } from '@proco/persistence';

export interface LockAgentRowParams {
  readonly orgId: string;
  readonly agentId: string;
}

/**
 * Locks one agent row of an org until the caller's transaction ends, and says whether it exists.
 * Writes that read the agent's state (its live-token count, its status) and then act on it take
 * this lock first, so two of them on the same agent run one after the other instead of both
 * acting on the same stale read under READ COMMITTED.
 */
export async function lockAgentRow(tx: Transaction, params: LockAgentRowParams): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM agents WHERE id = ${params.agentId}::uuid AND org_id = ${params.orgId}::uuid FOR UPDATE`;
  return rows.length === 1;
}
