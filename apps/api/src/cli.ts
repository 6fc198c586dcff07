import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@proco/config';
import { PrismaService } from '@proco/persistence';
import { AgentFaucetService } from './agents/agent-faucet.service';
import { AppModule } from './app.module';
import { type OperatorPrincipal } from './auth/principal';
import { AgentsService } from './agents/agents.service';
import { AgentTokensService } from './agents/agent-tokens.service';
import { ApiKeysService } from './api-keys/api-keys.service';
import { OrgsService } from './orgs/orgs.service';
import { WalletsService } from './wallets/wallets.service';

const USAGE = `Usage: proco <command> [options]

Commands:
  bootstrap --org <name> [--key-name <name>]   Create an org and its first admin API key (printed once)
  rotate-master-key                            Re-wrap every wallet data key under the active master key
  demo [--org <name>]                          Local demo: an org, a fresh admin key, an agent with a token, funded
`;

/** Name of the org the demo command creates and reuses. */
export const DEMO_ORG_NAME = 'Demo org';
const DEMO_AGENT_NAME = 'demo-agent';

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { org: { type: 'string' }, 'key-name': { type: 'string' } },
    strict: true,
  });
  if (command !== 'bootstrap' && command !== 'rotate-master-key' && command !== 'demo') {
    process.stderr.write(USAGE);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger: ['error', 'warn'],
  });
  try {
    if (command === 'bootstrap') {
      if (values.org === undefined) throw new Error('bootstrap needs --org <name>');
      const result = await app.get(OrgsService).bootstrap({
        orgName: values.org,
        ...(values['key-name'] === undefined ? {} : { keyName: values['key-name'] }),
      });
      print({
        org: result.org,
        apiKey: { id: result.apiKey.id, scope: result.apiKey.scope, secret: result.apiKey.secret },
      });
      process.stderr.write('The API key secret is shown only now; store it safely.\n');
    } else if (command === 'rotate-master-key') {
      print(await app.get(WalletsService).rotateMasterKey());
    } else {
      print(await demo(app, values.org ?? DEMO_ORG_NAME, config.api.publicUrl));
    }
    return 0;
  } finally {
    await app.close();
  }
}

type Context = Awaited<ReturnType<typeof NestFactory.createApplicationContext>>;

/**
 * Idempotent local demo: reuses the demo org and agent when they exist. Secrets are never stored,
 * so each run mints a fresh admin key and agent token and revokes the previous demo ones.
 */
async function demo(app: Context, orgName: string, apiUrl: string) {
  const orgs = app.get(OrgsService);
  const prisma = app.get(PrismaService);
  const existing = (await orgs.findByName(orgName))[0];
  let operator: OperatorPrincipal;
  let apiKeySecret: string;
  if (existing === undefined) {
    const created = await orgs.bootstrap({ orgName, keyName: 'demo admin key' });
    operator = { kind: 'operator', orgId: created.org.id, apiKeyId: created.apiKey.id, scope: 'admin' };
    apiKeySecret = created.apiKey.secret;
  } else {
    const previous = await prisma.operatorApiKey.findMany({
      where: { orgId: existing.id, revokedAt: null },
      select: { id: true },
    });
    const fresh = await orgs.issueAdminKey({ orgId: existing.id, keyName: 'demo admin key' });
    operator = { kind: 'operator', orgId: existing.id, apiKeyId: fresh.id, scope: 'admin' };
    apiKeySecret = fresh.secret;
    for (const key of previous) await app.get(ApiKeysService).revoke(operator, key.id);
  }
  const agents = app.get(AgentsService);
  const agent =
    (await agents.list(operator, { limit: 1, name: DEMO_AGENT_NAME })).items[0] ??
    (await agents.create(operator, { name: DEMO_AGENT_NAME, metadata: { purpose: 'demo' } }));
  const tokens = app.get(AgentTokensService);
  for (const token of await tokens.list(operator, agent.id)) {
    if (token.revokedAt === null) await tokens.revoke(operator, agent.id, token.id);
  }
  const token = await tokens.create(operator, agent.id, { name: 'demo agent token' });
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

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
