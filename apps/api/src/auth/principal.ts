/** An operator authenticated with an org API key. */
export interface OperatorPrincipal {
  readonly kind: 'operator';
  readonly orgId: string;
  readonly apiKeyId: string;
  readonly scope: 'admin' | 'read';
}

/** An agent authenticated with one of its tokens. */
export interface AgentPrincipal {
  readonly kind: 'agent';
  readonly orgId: string;
  readonly agentId: string;
  readonly agentTokenId: string;
}

/** Whoever made the request; every query is scoped by its `orgId`. */
export type Principal = OperatorPrincipal | AgentPrincipal;
