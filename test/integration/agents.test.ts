// Goal: the operator journey of the foundation (bootstrap, agents, wallets, balances, faucet,
// freeze, tenant isolation) through the real HTTP API on PostgreSQL, Redis and anvil.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { setNativeBalance } from '@proco/evm';
import { PrismaService } from '@proco/persistence';
import { type Address } from 'viem';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FAUCET_NATIVE_AMOUNT_WEI } from '../../apps/api/src/agents/agent-faucet.service';
import { AGENT_TOKENS_PER_AGENT_MAX } from '../../apps/api/src/agents/agent-tokens.service';
import { WalletsService } from '../../apps/api/src/wallets/wallets.service';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

let harness: ApiHarness;
let http: ReturnType<typeof request>;
let orgA: { orgId: string; adminKey: string };
let orgB: { orgId: string; adminKey: string };

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

beforeAll(async () => {
  harness = await startApiHarness();
  http = request(harness.app.getHttpServer());
  orgA = await harness.bootstrapOrg('Org A');
  orgB = await harness.bootstrapOrg('Org B');
});

afterAll(async () => {
  await harness?.close();
});

async function createAgent(adminKey: string, name = `agent-${randomUUID().slice(0, 6)}`) {
  const response = await http
    .post('/v1/agents')
    .set(bearer(adminKey))
    .send({ name, metadata: { team: 'research' } });
  expect(response.status).toBe(201);
  return response.body as { id: string; wallet: { address: string }; status: string };
}

describe('agents and wallets', () => {
  it('creates an agent with a fresh wallet address and no key material in the response', async () => {
    const response = await http.post('/v1/agents').set(bearer(orgA.adminKey)).send({ name: 'shopper' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name: 'shopper', status: 'active', metadata: {} });
    expect(response.body.wallet.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(Object.keys(response.body.wallet)).toEqual(['address']);
  });

  it('lists agents with cursor pagination and filters', async () => {
    for (let index = 0; index < 3; index += 1) await createAgent(orgB.adminKey, `paged-${index}`);
    const first = await http.get('/v1/agents?limit=2&name=paged').set(bearer(orgB.adminKey));
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await http
      .get(`/v1/agents?limit=2&name=paged&cursor=${first.body.nextCursor}`)
      .set(bearer(orgB.adminKey));
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const names = [...first.body.items, ...second.body.items].map((agent: { name: string }) => agent.name);
    expect(names.sort()).toEqual(['paged-0', 'paged-1', 'paged-2']);
    const frozen = await http.get('/v1/agents?status=frozen').set(bearer(orgB.adminKey));
    expect(frozen.body.items).toEqual([]);
  });

  it('funds an agent on the local chain and reports native and token balances', async () => {
    const agent = await createAgent(orgA.adminKey);
    const before = await http.get(`/v1/agents/${agent.id}/balances`).set(bearer(orgA.adminKey));
    expect(before.status).toBe(200);
    expect(before.body.balances.every((balance: { amount: string }) => balance.amount === '0')).toBe(true);

    const funded = await http
      .post(`/v1/agents/${agent.id}/faucet`)
      .set(bearer(orgA.adminKey))
      .send({ amount: '2500000' });
    expect(funded.status).toBe(200);
    expect(funded.body.grants).toEqual([expect.objectContaining({ symbol: 'USDC', amount: '2500000' })]);

    const after = await http.get(`/v1/agents/${agent.id}/balances`).set(bearer(orgA.adminKey));
    const usdc = after.body.balances.find((balance: { symbol: string }) => balance.symbol === 'USDC');
    const native = after.body.balances.find((balance: { asset: string }) => balance.asset === 'native');
    expect(usdc).toMatchObject({
      amount: '2500000',
      decimals: 6,
      network: expect.stringMatching(/^eip155:/),
    });
    expect(BigInt(native.amount)).toBeGreaterThan(0n);
    expect(after.body.unavailable).toEqual([]);
  });

  it('raises a low native balance to the faucet amount and never lowers a higher one', async () => {
    const nativeOf = async (agentId: string): Promise<bigint> => {
      const response = await http.get(`/v1/agents/${agentId}/balances`).set(bearer(orgA.adminKey));
      const native = response.body.balances.find((balance: { asset: string }) => balance.asset === 'native');
      return BigInt(native.amount);
    };
    const poor = await createAgent(orgA.adminKey);
    const rich = await createAgent(orgA.adminKey);
    const richWei = 5n * FAUCET_NATIVE_AMOUNT_WEI;
    await setNativeBalance({
      rpcUrl: inject('rpcUrl'),
      address: rich.wallet.address as Address,
      amountWei: richWei,
    });
    for (const agent of [poor, rich]) {
      await http.post(`/v1/agents/${agent.id}/faucet`).set(bearer(orgA.adminKey)).send({}).expect(200);
    }
    expect(await nativeOf(poor.id)).toBe(FAUCET_NATIVE_AMOUNT_WEI);
    expect(await nativeOf(rich.id)).toBe(richWei);
  });

  it('freezes an agent, which then cannot sign, and unfreezes it', async () => {
    const agent = await createAgent(orgA.adminKey);
    const wallets = harness.app.get(WalletsService);
    const signer = await wallets.openSigner({ orgId: orgA.orgId, agentId: agent.id });
    expect(signer.address).toBe(agent.wallet.address);

    const frozen = await http
      .patch(`/v1/agents/${agent.id}`)
      .set(bearer(orgA.adminKey))
      .send({ status: 'frozen' });
    expect(frozen.status).toBe(200);
    expect(frozen.body.status).toBe('frozen');
    await expect(wallets.openSigner({ orgId: orgA.orgId, agentId: agent.id })).rejects.toMatchObject({
      code: 'agent_frozen',
    });

    await http
      .patch(`/v1/agents/${agent.id}`)
      .set(bearer(orgA.adminKey))
      .send({ status: 'active' })
      .expect(200);
    await expect(wallets.openSigner({ orgId: orgA.orgId, agentId: agent.id })).resolves.toMatchObject({
      address: agent.wallet.address,
    });
  });

  it("answers another org's agent with 404 and changes nothing", async () => {
    const agent = await createAgent(orgA.adminKey, 'private-agent');
    const auditBefore = await harness.app.get(WalletsService)['prisma'].auditEvent.count();
    for (const call of [
      http.get(`/v1/agents/${agent.id}`),
      http.get(`/v1/agents/${agent.id}/balances`),
      http.patch(`/v1/agents/${agent.id}`).send({ status: 'frozen' }),
      http.post(`/v1/agents/${agent.id}/faucet`).send({}),
      http.post(`/v1/agents/${agent.id}/tokens`).send({ name: 'stolen' }),
      http.get(`/v1/agents/${agent.id}/tokens`),
    ]) {
      const response = await call.set(bearer(orgB.adminKey));
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body.code).toBe('agent_not_found');
    }
    const mine = await http.get(`/v1/agents/${agent.id}`).set(bearer(orgA.adminKey));
    expect(mine.body.status).toBe('active');
    const auditAfter = await harness.app.get(WalletsService)['prisma'].auditEvent.count();
    expect(auditAfter).toBe(auditBefore);
  });

  it("answers revoking another org's agent token or API key with 404 and changes nothing", async () => {
    const prisma = harness.app.get(PrismaService);
    const agent = await createAgent(orgA.adminKey, 'private-tokens');
    const token = await http
      .post(`/v1/agents/${agent.id}/tokens`)
      .set(bearer(orgA.adminKey))
      .send({ name: 'private token' });
    const key = await http
      .post('/v1/api-keys')
      .set(bearer(orgA.adminKey))
      .send({ name: 'private key', scope: 'read' });
    expect([token.status, key.status]).toEqual([201, 201]);
    const auditBefore = await prisma.auditEvent.count();
    for (const [call, code] of [
      [http.delete(`/v1/agents/${agent.id}/tokens/${token.body.id}`), 'agent_token_not_found'],
      [http.delete(`/v1/api-keys/${key.body.id}`), 'api_key_not_found'],
    ] as const) {
      const response = await call.set(bearer(orgB.adminKey));
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body.code).toBe(code);
    }
    const tokenRow = await prisma.agentToken.findUniqueOrThrow({ where: { id: token.body.id } });
    const keyRow = await prisma.operatorApiKey.findUniqueOrThrow({ where: { id: key.body.id } });
    expect([tokenRow.revokedAt, keyRow.revokedAt]).toEqual([null, null]);
    await http.get('/v1/agent/me').set(bearer(token.body.secret)).expect(200);
    await http.get('/v1/org').set(bearer(key.body.secret)).expect(200);
    expect(await prisma.auditEvent.count()).toBe(auditBefore);
  });
});

describe('agent tokens', () => {
  it('authenticates an agent on agent routes only, and stops working once revoked', async () => {
    const agent = await createAgent(orgA.adminKey);
    const created = await http
      .post(`/v1/agents/${agent.id}/tokens`)
      .set(bearer(orgA.adminKey))
      .send({ name: 'laptop' });
    expect(created.status).toBe(201);
    const token = created.body.secret as string;
    expect(token).toMatch(/^proco_ag_/);

    const me = await http.get('/v1/agent/me').set(bearer(token));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: agent.id, wallet: { address: agent.wallet.address } });

    const operatorRoute = await http.get('/v1/agents').set(bearer(token));
    expect(operatorRoute.status).toBe(403);
    expect(operatorRoute.body.code).toBe('forbidden');

    const agentRouteWithOperatorKey = await http.get('/v1/agent/me').set(bearer(orgA.adminKey));
    expect(agentRouteWithOperatorKey.status).toBe(403);

    const listed = await http.get(`/v1/agents/${agent.id}/tokens`).set(bearer(orgA.adminKey));
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: created.body.id, prefix: token.slice(0, 16) }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(token);

    await http
      .delete(`/v1/agents/${agent.id}/tokens/${created.body.id}`)
      .set(bearer(orgA.adminKey))
      .expect(200);
    const revoked = await http.get('/v1/agent/me').set(bearer(token));
    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe('unauthenticated');
  });
});

describe('operator API keys', () => {
  it('shows a new key once, lets read keys read but not write, and revokes', async () => {
    const created = await http
      .post('/v1/api-keys')
      .set(bearer(orgA.adminKey))
      .send({ name: 'dashboard', scope: 'read' });
    expect(created.status).toBe(201);
    const readKey = created.body.secret as string;

    const listed = await http.get('/v1/api-keys').set(bearer(readKey));
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(readKey);
    expect(listed.body.items.map((key: { scope: string }) => key.scope)).toContain('read');

    const write = await http.post('/v1/agents').set(bearer(readKey)).send({ name: 'nope' });
    expect(write.status).toBe(403);
    const org = await http.get('/v1/org').set(bearer(readKey));
    expect(org.body).toMatchObject({ id: orgA.orgId, name: 'Org A', apiKey: { scope: 'read' } });

    await http.delete(`/v1/api-keys/${created.body.id}`).set(bearer(orgA.adminKey)).expect(200);
    await http.get('/v1/org').set(bearer(readKey)).expect(401);
  });

  it('refuses to let a key revoke itself', async () => {
    const self = await http.get('/v1/org').set(bearer(orgA.adminKey));
    const response = await http.delete(`/v1/api-keys/${self.body.apiKey.id}`).set(bearer(orgA.adminKey));
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('api_key_self_revocation');
  });
});

describe('audit log', () => {
  it('records every change and the chain verifies', async () => {
    const agent = await createAgent(orgA.adminKey, 'audited');
    await http
      .patch(`/v1/agents/${agent.id}`)
      .set(bearer(orgA.adminKey))
      .send({ name: 'audited-2' })
      .expect(200);
    const events = await http.get('/v1/audit?limit=5').set(bearer(orgA.adminKey));
    expect(events.status).toBe(200);
    const actions = events.body.items.map((event: { action: string }) => event.action);
    expect(actions.slice(0, 2)).toEqual(['agent.updated', 'agent.created']);
    expect(events.body.items.every((event: { hash: string }) => /^[0-9a-f]{64}$/.test(event.hash))).toBe(
      true,
    );
    const otherOrg = await http.get('/v1/audit').set(bearer(orgB.adminKey));
    expect(
      otherOrg.body.items.some((event: { subject: { id: string } }) => event.subject.id === agent.id),
    ).toBe(false);

    const verification = await http.get('/v1/audit/verification').set(bearer(orgA.adminKey));
    expect(verification.body).toMatchObject({ ok: true, count: expect.any(Number) });

    // Each org's chain is its own: B's verification counts exactly B's events, numbered from 1.
    const ownEvents = await http.get('/v1/audit?limit=200').set(bearer(orgB.adminKey));
    const ownVerification = await http.get('/v1/audit/verification').set(bearer(orgB.adminKey));
    expect(ownVerification.body.count).toBe(ownEvents.body.items.length);
    expect(ownEvents.body.items.at(-1).sequence).toBe('1');
  });

  it('is served under /v1/audit only; the former /v1/audit-events paths are gone', async () => {
    for (const path of ['/v1/audit-events', '/v1/audit-events/verification']) {
      const response = await http.get(path).set(bearer(orgA.adminKey));
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('route_not_found');
    }
  });
});

describe('concurrent writes', () => {
  const PARALLEL_REQUESTS = 8;
  const TOKEN_CREATES = 2 * AGENT_TOKENS_PER_AGENT_MAX;

  async function auditActions(action: string, subjectId: string): Promise<number> {
    return harness.app.get(PrismaService).auditEvent.count({ where: { action, subjectId } });
  }

  it(`never lets ${TOKEN_CREATES} parallel creates exceed the live-token limit`, async () => {
    const agent = await createAgent(orgA.adminKey);
    const responses = await Promise.all(
      Array.from({ length: TOKEN_CREATES }, (_, index) =>
        http
          .post(`/v1/agents/${agent.id}/tokens`)
          .set(bearer(orgA.adminKey))
          .send({ name: `parallel-${index}` }),
      ),
    );
    const created = responses.filter((response) => response.status === 201);
    const refused = responses.filter((response) => response.status === 409);
    expect(created).toHaveLength(AGENT_TOKENS_PER_AGENT_MAX);
    expect(refused).toHaveLength(TOKEN_CREATES - AGENT_TOKENS_PER_AGENT_MAX);
    expect(refused.every((response) => response.body.code === 'agent_token_limit_reached')).toBe(true);
    const live = await harness.app
      .get(PrismaService)
      .agentToken.count({ where: { agentId: agent.id, revokedAt: null } });
    expect(live).toBe(AGENT_TOKENS_PER_AGENT_MAX);
  });

  it('revokes an agent token once under parallel DELETEs', async () => {
    const agent = await createAgent(orgA.adminKey);
    const token = await http
      .post(`/v1/agents/${agent.id}/tokens`)
      .set(bearer(orgA.adminKey))
      .send({ name: 'raced' });
    const responses = await Promise.all(
      Array.from({ length: PARALLEL_REQUESTS }, () =>
        http.delete(`/v1/agents/${agent.id}/tokens/${token.body.id}`).set(bearer(orgA.adminKey)),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(PARALLEL_REQUESTS).fill(200));
    const revokedAt = new Set(responses.map((response) => response.body.revokedAt as unknown));
    expect(revokedAt.size).toBe(1);
    expect([...revokedAt][0]).toEqual(expect.any(String));
    expect(await auditActions('agent_token.revoked', token.body.id)).toBe(1);
  });

  it('revokes an API key once under parallel DELETEs', async () => {
    const key = await http
      .post('/v1/api-keys')
      .set(bearer(orgA.adminKey))
      .send({ name: 'raced', scope: 'read' });
    const responses = await Promise.all(
      Array.from({ length: PARALLEL_REQUESTS }, () =>
        http.delete(`/v1/api-keys/${key.body.id}`).set(bearer(orgA.adminKey)),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(PARALLEL_REQUESTS).fill(200));
    const revokedAt = new Set(responses.map((response) => response.body.revokedAt as unknown));
    expect(revokedAt.size).toBe(1);
    expect([...revokedAt][0]).toEqual(expect.any(String));
    expect(await auditActions('api_key.revoked', key.body.id)).toBe(1);
  });

  it('records one agent.frozen event under parallel freezes', async () => {
    const agent = await createAgent(orgA.adminKey);
    const responses = await Promise.all(
      Array.from({ length: PARALLEL_REQUESTS }, () =>
        http.patch(`/v1/agents/${agent.id}`).set(bearer(orgA.adminKey)).send({ status: 'frozen' }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(PARALLEL_REQUESTS).fill(200));
    expect(await auditActions('agent.frozen', agent.id)).toBe(1);
    expect(await auditActions('agent.updated', agent.id)).toBe(PARALLEL_REQUESTS - 1);
  });
});
