import { type INestApplicationContext } from '@nestjs/common';
import { PrismaService } from '@proco/persistence';
import { AgentFaucetService } from './agents/agent-faucet.service';
import { AgentTokensService } from './agents/agent-tokens.service';
import { AgentsService } from './agents/agents.service';
import { ApiKeysService } from './api-keys/api-keys.service';
import { type OperatorPrincipal } from './auth/principal';
import { OrgsService } from './orgs/orgs.service';

/** Name of the org the demo command creates and reuses. */
export const DEMO_ORG_NAME = 'Demo org';
export const DEMO_AGENT_NAME = 'demo-agent';
/** The demo revokes only credentials with these names: the ones an earlier demo run issued. */
export const DEMO_ADMIN_KEY_NAME = 'demo admin key';
export const DEMO_AGENT_TOKEN_NAME = 'demo agent token';
/** Bound on the previous demo keys revoked per run (one per earlier run, normally one). */
const DEMO_KEYS_REVOKED_MAX = 100;

export interface RunDemoParams {
  readonly orgName: string;
  readonly apiUrl: string;
}

/**
 * Idempotent local demo: reuses the demo org and agent when they exist. Secrets are never stored,
 * so each run mints a fresh admin key and agent token and revokes the ones earlier demo runs
 * issued. Keys and tokens an operator added to the demo org by hand are left alone.
 */
export async function runDemo(app: INestApplicationContext, params: RunDemoParams) {
  const { orgName, apiUrl } = params;
  const { operator, apiKeySecret } = await demoOperator(app, orgName);
  const agents = app.get(AgentsService);
  const agent =
    (await agents.list(operator, { limit: 1, name: DEMO_AGENT_NAME })).items[0] ??
    (await agents.create(operator, { name: DEMO_AGENT_NAME, metadata: { purpose: 'demo' } }));
  const tokens = app.get(AgentTokensService);
  for (const token of await tokens.list(operator, agent.id)) {
    if (token.revokedAt === null && token.name === DEMO_AGENT_TOKEN_NAME) {
      await tokens.revoke(operator, agent.id, token.id);
    }
  }
  const token = await tokens.create(operator, agent.id, { name: DEMO_AGENT_TOKEN_NAME });
  const funded = await app.get(AgentFaucetService).fund(operator, agent.id, {});
  return {
    apiUrl,
    org: { id: operator.orgId, name: orgName },
    apiKey: apiKeySecret,
    agent: { id: agent.id, address: agent.wallet.address },
    agentToken: token.secret,
    funded: funded.grants.map((grant) => `${grant.amount} ${grant.symbol} (atomic units)`),
    try: [
      `curl -s ${apiUrl}/v1/agents -H "Authorization: Bearer ${apiKeySecret}"`,
      `curl -s ${apiUrl}/v1/agents/${agent.id}/balances -H "Authorization: Bearer ${apiKeySecret}"`,
      `curl -s ${apiUrl}/v1/agent/me -H "Authorization: Bearer ${token.secret}"`,
    ],
  };
}

/** The demo org's operator with a fresh demo admin key; earlier demo admin keys are revoked. */
async function demoOperator(
  app: INestApplicationContext,
  orgName: string,
): Promise<{ operator: OperatorPrincipal; apiKeySecret: string }> {
  const orgs = app.get(OrgsService);
  const existing = (await orgs.findByName(orgName))[0];
  if (existing === undefined) {
    const created = await orgs.bootstrap({ orgName, keyName: DEMO_ADMIN_KEY_NAME });
    return {
      operator: { kind: 'operator', orgId: created.org.id, apiKeyId: created.apiKey.id, scope: 'admin' },
      apiKeySecret: created.apiKey.secret,
    };
  }
  const previous = await app.get(PrismaService).operatorApiKey.findMany({
    where: { orgId: existing.id, name: DEMO_ADMIN_KEY_NAME, revokedAt: null },
    select: { id: true },
    orderBy: { createdAt: 'asc' },
    take: DEMO_KEYS_REVOKED_MAX,
  });
  const fresh = await orgs.issueAdminKey({ orgId: existing.id, keyName: DEMO_ADMIN_KEY_NAME });
  const operator: OperatorPrincipal = {
    kind: 'operator',
    orgId: existing.id,
    apiKeyId: fresh.id,
    scope: 'admin',
  };
  for (const key of previous) await app.get(ApiKeysService).revoke(operator, key.id);
  return { operator, apiKeySecret: fresh.secret };
}
