// Goal: policies are validated on write with field-level errors, versioned immutably (a change
// appends a version and moves the pointer, audited in the same transaction), scoped to the org,
// and consecutive under concurrent writes.
import { randomUUID } from 'node:crypto';
import { PostgresHoldStore, PrismaService } from '@proco/persistence';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

let harness: ApiHarness;
let http: ReturnType<typeof request>;
let orgA: { orgId: string; adminKey: string };
let orgB: { orgId: string; adminKey: string };
let agentId: string;

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

/** A daily USDC budget on the test chain, plus a host allow list. */
function documentWith(limitAtomic: string) {
  return {
    budgets: [
      {
        id: 'daily_usdc',
        asset: { network: `eip155:${inject('chainId')}`, asset: inject('tokenAddress') },
        limitAtomic,
        window: { kind: 'rolling', durationSeconds: 86_400 },
      },
    ],
    hosts: { allow: ['*.example.com'] },
  };
}

beforeAll(async () => {
  harness = await startApiHarness();
  http = request(harness.app.getHttpServer());
  orgA = await harness.bootstrapOrg('Policies A');
  orgB = await harness.bootstrapOrg('Policies B');
  const agent = await http.post('/v1/agents').set(bearer(orgA.adminKey)).send({ name: 'budgeted' });
  agentId = agent.body.id;
});

afterAll(async () => {
  await harness?.close();
});

describe('policies', () => {
  it('answers policy_not_found before any policy is set', async () => {
    const response = await http.get('/v1/policies/org').set(bearer(orgA.adminKey));
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('policy_not_found');
  });

  it('appends versions and moves the current pointer', async () => {
    const first = await http.put('/v1/policies/org').set(bearer(orgA.adminKey)).send(documentWith('1000000'));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ level: 'org', version: 1, current: true });
    const second = await http
      .put('/v1/policies/org')
      .set(bearer(orgA.adminKey))
      .send(documentWith('2000000'));
    expect(second.body).toMatchObject({ version: 2, current: true });

    const current = await http.get('/v1/policies/org').set(bearer(orgA.adminKey));
    expect(current.body.version).toBe(2);
    expect(current.body.document.budgets[0].limitAtomic).toBe('2000000');

    const versions = await http.get('/v1/policies/org/versions').set(bearer(orgA.adminKey));
    expect(
      versions.body.items.map((item: { version: number; current: boolean }) => [item.version, item.current]),
    ).toEqual([
      [2, true],
      [1, false],
    ]);
    const old = await http.get('/v1/policies/org/versions/1').set(bearer(orgA.adminKey));
    expect(old.body.document.budgets[0].limitAtomic).toBe('1000000');

    const audit = await http.get('/v1/audit?limit=10').set(bearer(orgA.adminKey));
    const created = audit.body.items.filter(
      (event: { action: string }) => event.action === 'policy.version_created',
    );
    expect(created.map((event: { data: { version: number } }) => event.data.version)).toEqual([2, 1]);
  });

  it('sets an agent policy separately from the org default', async () => {
    const response = await http
      .put(`/v1/policies/agents/${agentId}`)
      .set(bearer(orgA.adminKey))
      .send(documentWith('5000'));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ level: 'agent', agentId, version: 1 });
    const org = await http.get('/v1/policies/org').set(bearer(orgA.adminKey));
    expect(org.body.version).toBe(2);
  });

  it('rejects an invalid document with every offending field and writes nothing', async () => {
    const prisma = harness.app.get(PrismaService);
    const before = await Promise.all([prisma.policyVersion.count(), prisma.auditEvent.count()]);
    const response = await http
      .put('/v1/policies/org')
      .set(bearer(orgA.adminKey))
      .send({
        budgets: [
          {
            id: 'b',
            asset: { network: 'eip155:1', asset: '0x12' },
            limitAtomic: '1e6',
            window: { kind: 'weekly' },
          },
        ],
        hosts: { allow: [] },
        surprise: true,
      });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_failed');
    const fields = (response.body.errors as { field: string }[]).map((error) => error.field);
    expect(fields).toEqual(
      expect.arrayContaining(['budgets.0.asset.asset', 'budgets.0.limitAtomic', 'hosts.allow']),
    );
    expect(await Promise.all([prisma.policyVersion.count(), prisma.auditEvent.count()])).toEqual(before);
  });

  it("treats another org's agent as not found", async () => {
    const put = await http
      .put(`/v1/policies/agents/${agentId}`)
      .set(bearer(orgB.adminKey))
      .send(documentWith('1'));
    expect(put.status).toBe(404);
    expect(put.body.code).toBe('agent_not_found');
    const get = await http.get(`/v1/policies/agents/${agentId}`).set(bearer(orgB.adminKey));
    expect(get.status).toBe(404);
    const orgPolicyOfB = await http.get('/v1/policies/org').set(bearer(orgB.adminKey));
    expect(orgPolicyOfB.body.code).toBe('policy_not_found');
  });

  it('gives concurrent changes consecutive versions', async () => {
    const agent = await http
      .post('/v1/agents')
      .set(bearer(orgA.adminKey))
      .send({ name: `raced-${randomUUID().slice(0, 4)}` });
    const writes = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        http
          .put(`/v1/policies/agents/${agent.body.id}`)
          .set(bearer(orgA.adminKey))
          .send(documentWith(String(1_000 + index))),
      ),
    );
    expect(writes.map((write) => write.status)).toEqual(Array(8).fill(200));
    const versions = writes.map((write) => write.body.version as number);
    expect(versions.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('keeps versions immutable in the database', async () => {
    const client = new pg.Client({ connectionString: harness.database.url });
    await client.connect();
    try {
      await expect(client.query(`UPDATE policy_versions SET document = '{}'`)).rejects.toThrow(/append-only/);
      await expect(client.query('DELETE FROM policy_versions')).rejects.toThrow(/append-only/);
    } finally {
      await client.end();
    }
  });

  describe('dry run', () => {
    const payment = (amount: string, url = 'https://api.example.com/v1/search') => ({
      url,
      method: 'GET',
      payTo: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      network: `eip155:${inject('chainId')}`,
      asset: inject('tokenAddress'),
      amount,
    });

    it('explains a decision with the budget it touches, counting existing holds, and changes nothing', async () => {
      const agent = await http.post('/v1/agents').set(bearer(orgA.adminKey)).send({ name: 'dry-run' });
      const evaluate = (body: object) =>
        http.post('/v1/policies/evaluate').set(bearer(orgA.adminKey)).send(body);

      // The current org policy (version 2 above) allows 2,000,000 a day on *.example.com.
      const allowed = await evaluate({ agentId: agent.body.id, payment: payment('1500000') });
      expect(allowed.status).toBe(200);
      expect(allowed.body.decision).toMatchObject({
        outcome: 'allow',
        reason: null,
        budgets: [{ budgetId: 'daily_usdc', level: 'org', limit: '2000000', used: '0', remaining: '500000' }],
      });

      // A pending hold of 1,000,000 counts against the org budget.
      const holdId = randomUUID();
      const reserved = await harness.app.get(PostgresHoldStore).reserve({
        holdId,
        orgId: orgA.orgId,
        agentId: agent.body.id,
        paymentId: randomUUID(),
        network: `eip155:${inject('chainId')}`,
        asset: inject('tokenAddress').toLowerCase(),
        amountAtomic: 1_000_000n,
        now: new Date(),
        expiresAt: new Date(Date.now() + 60_000),
        checks: [],
        rateLimits: [],
      });
      expect(reserved.ok).toBe(true);
      const prisma = harness.app.get(PrismaService);
      const holdsBefore = await prisma.hold.count();
      const denied = await evaluate({ agentId: agent.body.id, payment: payment('1500000') });
      expect(denied.body.decision).toMatchObject({
        outcome: 'deny',
        reason: 'budget_exceeded',
        rule: { level: 'org', kind: 'budgets' },
        budgets: [{ used: '1000000', remaining: '1000000' }],
      });
      const offHost = await evaluate({ agentId: agent.body.id, payment: payment('1', 'https://evil.test/') });
      expect(offHost.body.decision).toMatchObject({ outcome: 'deny', reason: 'host_not_allowed' });
      expect(await prisma.hold.count()).toBe(holdsBefore);
    });

    it('rejects bad input and unknown agents', async () => {
      const bad = await http
        .post('/v1/policies/evaluate')
        .set(bearer(orgA.adminKey))
        .send({ agentId: agentId, payment: { ...payment('1e18') } });
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((error: { field: string }) => error.field)).toContain('payment.amount');
      const notUrl = await http
        .post('/v1/policies/evaluate')
        .set(bearer(orgA.adminKey))
        .send({ agentId: agentId, payment: payment('1', 'ftp://files.example.com/') });
      expect(notUrl.status).toBe(400);
      const foreign = await http
        .post('/v1/policies/evaluate')
        .set(bearer(orgB.adminKey))
        .send({ agentId, payment: payment('1') });
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe('agent_not_found');
    });
  });
});
