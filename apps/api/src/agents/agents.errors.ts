import { DomainError } from '../common/api.errors';

export type AgentsErrorCode =
  'agent_not_found' | 'agent_frozen' | 'agent_token_not_found' | 'agent_token_limit_reached';

/** Also what another org sees for this org's agent: the same 404, no side effects. */
export class AgentNotFoundError extends DomainError<'agent_not_found'> {
  readonly code = 'agent_not_found';
  constructor(readonly agentId: string) {
    super(`Agent ${agentId} does not exist in this org.`);
  }
}

export class AgentFrozenError extends DomainError<'agent_frozen'> {
  readonly code = 'agent_frozen';
  constructor(readonly agentId: string) {
    super(`Agent ${agentId} is frozen; unfreeze it before it can sign.`);
  }
}

export class AgentTokenNotFoundError extends DomainError<'agent_token_not_found'> {
  readonly code = 'agent_token_not_found';
  constructor(readonly agentTokenId: string) {
    super(`Agent token ${agentTokenId} does not exist for this agent.`);
  }
}

export class AgentTokenLimitError extends DomainError<'agent_token_limit_reached'> {
  readonly code = 'agent_token_limit_reached';
  constructor(
    readonly agentId: string,
    readonly limit: number,
  ) {
    super(`Agent ${agentId} already has ${limit} live tokens; revoke one first.`);
  }
}
