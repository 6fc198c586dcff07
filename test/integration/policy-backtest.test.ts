// Goal: POST /v1/policies/backtest replays an agent's payments made through POST /v1/payments
// under draft policies and reports exactly which would change and why, keeps the current policy
// for a level left out of the draft, validates drafts with field paths, hides other orgs' agents,
// and writes nothing.
import { randomUUID } from 'node:crypto';
import { anvilDevAccount } from '@proco/evm';
import { PrismaService } from '@proco/persistence';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

let harness: ApiHarness;
let http: ReturnType<typeof request>;
let prisma: PrismaService;
let org: { orgId: string; adminKey: string };
let agent: Agent;
/** Payment ids in the order they were made. */
const paid: string[] = [];

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const payee = anvilDevAccount({ index: 3 }).address;
const WEATHER_URL = 'https://api.example.com/v1/weather';
const BAD_URL = 'https://bad.example.org/v1/scrape';
const network = () => `eip155:${inject('chainId')}`;
const asset = () => inject('tokenAddress');

interface Agent {
  readonly id: string;
  readonly token: string;
}

function requirementFor(amount: string): Record<string, unknown> {
  return {
    scheme: 'exact',
    network: network(),
    amount,
    asset: asset(),
    payTo: payee,
    maxTimeoutSeconds: 120,
    extra: { name: 'USDC', version: '2' },
  };
}

const headerOf = (document: unknown): string => Buffer.from(JSON.stringify(document)).toString('base64');

function paymentRequiredHeader(url: string, amount: string): string {
  return headerOf({
    x402Version: 2,
    error: 'Payment required',
    resource: { url, description: 'test', mimeType: 'application/json' },
    accepts: [requirementFor(amount)],
  });
}

async function createAgent(adminKey: string): Promise<Agent> {
  const created = await http
    .post('/v1/agents')
    .set(bearer(adminKey))
    .send({ name: `backtest-${randomUUID().slice(0, 6)}` });
  expect(created.status).toBe(201);
  const token = await http
    .post(`/v1/agents/${created.body.id}/tokens`)
    .set(bearer(adminKey))
    .send({ name: 'test' });
  expect(token.status).toBe(201);
  return { id: created.body.id, token: token.body.secret };
}

async function pay(url: string, amount: string, expectedStatus: number): Promise<string> {
  const response = await http
    .post('/v1/payments')
    .set(bearer(agent.token))
    .send({ url, method: 'GET', paymentRequiredHeader: paymentRequiredHeader(url, amount) });
  expect(response.status).toBe(expectedStatus);
  return response.body.paymentId as string;
}

/** A daily budget of the test token. */
function dailyBudget(id: string, limitAtomic: string): Record<string, unknown> {
  return {
    id,
    asset: { network: network(), asset: asset() },
    limitAtomic,
    window: { kind: 'rolling', durationSeconds: 86_400 },
  };
}

function backtest(body: unknown, key = org.adminKey) {
  return http
    .post('/v1/policies/backtest')
    .set(bearer(key))
    .send(body as object);
}

/** This org's rows only: other suites may write to the same database at the same time. */
async function rowCounts(): Promise<Record<string, number>> {
  const where = { orgId: org.orgId };
  return {
    payments: await prisma.payment.count({ where }),
    holds: await prisma.hold.count({ where }),
    auditEvents: await prisma.auditEvent.count({ where }),
    policyVersions: await prisma.policyVersion.count({ where }),
  };
}

beforeAll(async () => {
  harness = await startApiHarness();
  http = request(harness.app.getHttpServer());
  prisma = harness.app.get(PrismaService);
  org = await harness.bootstrapOrg('Backtest');
  // Permissive: a large budget and an approval threshold only above 45,000 atomic units.
  await http
    .put('/v1/policies/org')
    .set(bearer(org.adminKey))
    .send({
      budgets: [dailyBudget('daily_usdc', '100000000')],
      approvalThreshold: { perAsset: [{ network: network(), asset: asset(), aboveAtomic: '45000' }] },
    })
    .expect(200);
  agent = await createAgent(org.adminKey);
  await http
    .post(`/v1/agents/${agent.id}/faucet`)
    .set(bearer(org.adminKey))
    .send({ amount: '1000000' })
    .expect(200);
  paid.push(await pay(WEATHER_URL, '10000', 201));
  paid.push(await pay(BAD_URL, '20000', 201));
  paid.push(await pay(WEATHER_URL, '30000', 201));
  paid.push(await pay(WEATHER_URL, '40000', 201));
  paid.push(await pay(WEATHER_URL, '50000', 202));
});

afterAll(async () => {
  await harness?.close();
});

describe('POST /v1/policies/backtest', () => {
  it('reports exactly which payments a stricter agent draft changes, and why', async () => {
    const before = await rowCounts();
    const response = await backtest({
      agentId: agent.id,
      days: 1,
      draft: { agent: { hosts: { deny: ['bad.example.org'] }, budgets: [dailyBudget('tight', '50000')] } },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      agentId: agent.id,
      scope: 'agent_payments_only',
      policies: { org: 'current', agent: 'draft' },
      totals: {
        replayed: 5,
        skipped: 0,
        originallyAuthorized: 4,
        originallyAllowed: 4,
        wouldBeAllowed: 2,
        wouldBeDenied: 3,
        wouldBeHeldForApproval: 0,
        changed: 3,
      },
      assets: [
        {
          network: network(),
          asset: asset().toLowerCase(),
          originallyAllowed: '100000',
          wouldBeAllowed: '40000',
        },
      ],
      changesTruncated: false,
      paymentsTruncated: false,
    });
    // 10k is allowed; the bad host is denied, so 30k still fits (40k of 50k); 40k and then the
    // 50k that was held for approval exceed the draft budget, and deny beats hold.
    expect(response.body.changes).toEqual([
      expect.objectContaining({
        paymentId: paid[1],
        url: BAD_URL,
        amount: '20000',
        original: { status: 'authorized', outcome: 'allow', reason: null },
        draft: { outcome: 'deny', reason: 'host_denied', rule: { level: 'agent', kind: 'hosts', index: 0 } },
      }),
      expect.objectContaining({
        paymentId: paid[3],
        amount: '40000',
        original: { status: 'authorized', outcome: 'allow', reason: null },
        draft: {
          outcome: 'deny',
          reason: 'budget_exceeded',
          rule: { level: 'agent', kind: 'budgets', id: 'tight', index: 0 },
        },
      }),
      expect.objectContaining({
        paymentId: paid[4],
        amount: '50000',
        original: {
          status: 'pending_approval',
          outcome: 'hold_for_approval',
          reason: 'approval_threshold_exceeded',
        },
        draft: {
          outcome: 'deny',
          reason: 'budget_exceeded',
          rule: { level: 'agent', kind: 'budgets', id: 'tight', index: 0 },
        },
      }),
    ]);
    expect(await rowCounts()).toEqual(before);
  });

  it('replays an org draft against the agent payments only and keeps levels left out', async () => {
    const response = await backtest({ agentId: agent.id, days: 90, draft: { org: {} } }, org.adminKey);
    expect(response.status).toBe(200);
    expect(response.body.policies).toEqual({ org: 'draft', agent: 'none' });
    expect(response.body.totals).toMatchObject({ replayed: 5, wouldBeAllowed: 5, changed: 1 });
    expect(response.body.changes).toEqual([
      expect.objectContaining({
        paymentId: paid[4],
        draft: { outcome: 'allow', reason: null, rule: null },
      }),
    ]);
  });

  it('reproduces the original decisions under the current policies', async () => {
    const response = await backtest({ agentId: agent.id, days: 1, draft: {} });
    expect(response.status).toBe(200);
    expect(response.body.policies).toEqual({ org: 'current', agent: 'none' });
    expect(response.body.totals).toMatchObject({ replayed: 5, changed: 0 });
  });

  it('is allowed with a read key', async () => {
    const read = await http.post('/v1/api-keys').set(bearer(org.adminKey)).send({ name: 'r', scope: 'read' });
    expect(read.status).toBe(201);
    const response = await backtest({ agentId: agent.id, days: 1, draft: {} }, read.body.secret);
    expect(response.status).toBe(200);
  });

  it('rejects invalid drafts with field paths under draft.org and draft.agent', async () => {
    const before = await rowCounts();
    const response = await backtest({
      agentId: agent.id,
      days: 1,
      draft: { org: { budgets: [{ id: 'x' }] }, agent: { hosts: { deny: 'bad.example.org' } } },
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_failed');
    const fields = (response.body.errors as { field: string }[]).map((error) => error.field);
    expect(fields.some((field) => field.startsWith('draft.org.budgets.0'))).toBe(true);
    expect(fields).toContain('draft.agent.hosts.deny');
    expect(fields.every((field) => field.startsWith('draft.org.') || field.startsWith('draft.agent.'))).toBe(
      true,
    );
    const notAnObject = await backtest({ agentId: agent.id, days: 1, draft: { org: 'strict' } });
    expect(notAnObject.status).toBe(400);
    expect(notAnObject.body.errors).toEqual([expect.objectContaining({ field: 'draft.org' })]);
    expect(await rowCounts()).toEqual(before);
  });

  it('rejects a period outside 1..90 days and unknown fields', async () => {
    for (const body of [
      { agentId: agent.id, days: 0, draft: {} },
      { agentId: agent.id, days: 91, draft: {} },
      { agentId: agent.id, days: 1.5, draft: {} },
      { agentId: agent.id, days: 1, draft: { other: {} } },
      { agentId: 'not-a-uuid', days: 1, draft: {} },
    ]) {
      const response = await backtest(body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('validation_failed');
    }
  });

  it("answers 404 for another org's agent and for an unknown one", async () => {
    const other = await harness.bootstrapOrg('Backtest other');
    for (const agentId of [agent.id, randomUUID()]) {
      const response = await backtest({ agentId, days: 1, draft: {} }, other.adminKey);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('agent_not_found');
    }
  });
});
