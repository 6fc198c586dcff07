// Goal: the CLI's commands. bootstrap and rotate-master-key run on CliModule, which needs no RPC:
// they work with every configured network unreachable. The demo revokes only the admin keys and
// agent tokens earlier demo runs issued, never the ones an operator added to the demo org.
import { NestFactory } from '@nestjs/core';
import { type INestApplicationContext } from '@nestjs/common';
import { PrismaService } from '@proco/persistence';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliModule } from '../../apps/api/src/cli.module';
import {
  DEMO_ADMIN_KEY_NAME,
  DEMO_AGENT_NAME,
  DEMO_AGENT_TOKEN_NAME,
  runDemo,
} from '../../apps/api/src/demo.command';
import { OrgsService } from '../../apps/api/src/orgs/orgs.service';
import { WalletsService } from '../../apps/api/src/wallets/wallets.service';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

// Port 1 (tcpmux) is privileged and unused on test machines, so connecting is refused at once.
const UNREACHABLE_RPC_URL = 'http://127.0.0.1:1';

let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApiHarness();
});

afterAll(async () => {
  await harness?.close();
});

describe('CliModule', () => {
  let cli: INestApplicationContext | undefined;

  afterAll(async () => {
    await cli?.close();
  });

  it('bootstraps an org and rotates master keys with every RPC unreachable', async () => {
    const config = {
      ...harness.config,
      networks: harness.config.networks.map((network) => ({ ...network, rpcUrl: UNREACHABLE_RPC_URL })),
    };
    cli = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: false });
    const created = await cli.get(OrgsService).bootstrap({ orgName: 'cli org' });
    expect(created.apiKey.secret).toMatch(/^proco_op_/);
    // The key works against the full API, which shares the database.
    await request(harness.app.getHttpServer())
      .get('/v1/org')
      .set('Authorization', `Bearer ${created.apiKey.secret}`)
      .expect(200);
    await expect(cli.get(WalletsService).rotateMasterKey()).resolves.toMatchObject({
      rewrapped: 0,
      skipped: [],
    });
  });
});

describe('demo', () => {
  it('revokes only the credentials earlier demo runs issued', async () => {
    const prisma = harness.app.get(PrismaService);
    const http = request(harness.app.getHttpServer());
    const params = { orgName: 'Demo org for the CLI suite', apiUrl: 'http://127.0.0.1:3000' };
    const first = await runDemo(harness.app, params);

    // An operator adds their own admin key and agent token to the demo org.
    const bearer = { Authorization: `Bearer ${first.apiKey}` };
    const opsKey = await http.post('/v1/api-keys').set(bearer).send({ name: 'ops key', scope: 'admin' });
    const ciToken = await http
      .post(`/v1/agents/${first.agent.id}/tokens`)
      .set(bearer)
      .send({ name: 'ci token' });
    expect([opsKey.status, ciToken.status]).toEqual([201, 201]);

    const second = await runDemo(harness.app, params);
    expect(second.agent.id).toBe(first.agent.id);

    const keys = await prisma.operatorApiKey.findMany({ where: { orgId: first.org.id } });
    const liveKeyNames = keys.filter((key) => key.revokedAt === null).map((key) => key.name);
    expect(liveKeyNames.sort()).toEqual([DEMO_ADMIN_KEY_NAME, 'ops key']);
    await http.get('/v1/org').set('Authorization', `Bearer ${opsKey.body.secret}`).expect(200);
    await http.get('/v1/org').set('Authorization', `Bearer ${first.apiKey}`).expect(401);
    await http.get('/v1/org').set('Authorization', `Bearer ${second.apiKey}`).expect(200);

    const tokens = await prisma.agentToken.findMany({ where: { agentId: first.agent.id } });
    const liveTokenNames = tokens.filter((token) => token.revokedAt === null).map((token) => token.name);
    expect(liveTokenNames.sort()).toEqual(['ci token', DEMO_AGENT_TOKEN_NAME]);
    await http.get('/v1/agent/me').set('Authorization', `Bearer ${ciToken.body.secret}`).expect(200);
    await http.get('/v1/agent/me').set('Authorization', `Bearer ${first.agentToken}`).expect(401);
    expect((await prisma.agent.findMany({ where: { orgId: first.org.id } })).map((a) => a.name)).toEqual([
      DEMO_AGENT_NAME,
    ]);
  });
});
