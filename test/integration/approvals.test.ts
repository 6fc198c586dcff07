// Goal: operators list payments held for approval with their context, approve them (policy and
// budgets re-evaluated at that moment, then the same reserve-sign-receipt path as an allowed
// payment, exactly once under concurrency) or reject them, with scopes and org boundaries enforced.
import { randomUUID } from 'node:crypto';
import { PrismaService } from '@proco/persistence';
import { decodePaymentHeader, TRANSFER_WITH_AUTHORIZATION_TYPES } from '@proco/x402';
import request from 'supertest';
import { type Address, type Hex, verifyTypedData } from 'viem';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { PaymentSelectionService } from '../../apps/api/src/payments/payment-selection.service';

let harness: ApiHarness;
let http: ReturnType<typeof request>;
let prisma: PrismaService;
let org: { orgId: string; adminKey: string };
let readKey: string;

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const payee = '0x1111111111111111111111111111111111111111';
const RESOURCE_URL = 'https://api.example.com/v1/reports';
const THRESHOLD_ATOMIC = '500000';
const HELD_AMOUNT_ATOMIC = '900000';
const CONCURRENT_APPROVALS = 8;

interface Agent {
  readonly id: string;
  readonly name: string;
  readonly address: Address;
  readonly token: string;
}

const network = () => `eip155:${inject('chainId')}`;

function requirementFor(amount: string): Record<string, unknown> {
  return {
    scheme: 'exact',
    network: network(),
    amount,
    asset: inject('tokenAddress'),
    payTo: payee,
    maxTimeoutSeconds: 120,
    extra: { name: 'USDC', version: '2' },
  };
}

function purchase(amount: string): Record<string, unknown> {
  return {
    url: RESOURCE_URL,
    method: 'POST',
    paymentRequired: {
      x402Version: 2,
      resource: { url: RESOURCE_URL, description: 'reports', mimeType: 'application/json' },
      accepts: [requirementFor(amount)],
    },
  };
}

async function setOrgBudget(adminKey: string, limitAtomic: string): Promise<void> {
  await http
    .put('/v1/policies/org')
    .set(bearer(adminKey))
    .send({
      budgets: [
        {
          id: 'daily_usdc',
          asset: { network: network(), asset: inject('tokenAddress') },
          limitAtomic,
          window: { kind: 'rolling', durationSeconds: 86_400 },
        },
      ],
    })
    .expect(200);
}

/** An agent whose own policy holds every payment above `THRESHOLD_ATOMIC` for approval. */
async function createAgent(adminKey: string, options: { threshold: boolean } = { threshold: true }) {
  const name = `buyer-${randomUUID().slice(0, 6)}`;
  const agent = await http.post('/v1/agents').set(bearer(adminKey)).send({ name }).expect(201);
  const token = await http
    .post(`/v1/agents/${agent.body.id}/tokens`)
    .set(bearer(adminKey))
    .send({ name: 'test' })
    .expect(201);
  if (options.threshold) {
    await http
      .put(`/v1/policies/agents/${agent.body.id}`)
      .set(bearer(adminKey))
      .send({
        approvalThreshold: {
          perAsset: [{ network: network(), asset: inject('tokenAddress'), aboveAtomic: THRESHOLD_ATOMIC }],
        },
      })
      .expect(200);
  }
  return {
    id: agent.body.id,
    name,
    address: agent.body.wallet.address,
    token: token.body.secret,
  } satisfies Agent;
}

function pay(agent: Agent, body: unknown, idempotencyKey: string) {
  return http
    .post('/v1/payments')
    .set(bearer(agent.token))
    .set('Idempotency-Key', idempotencyKey)
    .send(body as object);
}

/** A payment held for approval, and what the agent sent to get it. */
async function holdOne(agent: Agent, amount = HELD_AMOUNT_ATOMIC) {
  const key = `held-${randomUUID()}`;
  const body = purchase(amount);
  const held = await pay(agent, body, key);
  expect(held.status).toBe(202);
  return { key, body, paymentId: held.body.paymentId as string, text: held.text };
}

const holdsOf = (paymentId: string) => prisma.hold.findMany({ where: { paymentId } });

const auditCount = (action: string, paymentId: string) =>
  prisma.auditEvent.count({ where: { action, subjectId: paymentId } });

beforeAll(async () => {
  harness = await startApiHarness();
  http = request(harness.app.getHttpServer());
  prisma = harness.app.get(PrismaService);
  org = await harness.bootstrapOrg('Approvals');
  await setOrgBudget(org.adminKey, '100000000');
  const read = await http
    .post('/v1/api-keys')
    .set(bearer(org.adminKey))
    .send({ name: 'reader', scope: 'read' })
    .expect(201);
  readKey = read.body.secret;
});

afterAll(async () => {
  await harness?.close();
});

describe('/v1/approvals', () => {
  it('lists a held payment with the context an operator needs', async () => {
    const agent = await createAgent(org.adminKey);
    const held = await holdOne(agent);
    const listed = await http.get('/v1/approvals?limit=200').set(bearer(readKey));
    expect(listed.status).toBe(200);
    const item = (listed.body.items as { paymentId: string; createdAt: string }[]).find(
      (entry) => entry.paymentId === held.paymentId,
    );
    expect(item).toMatchObject({
      paymentId: held.paymentId,
      agent: { id: agent.id, name: agent.name },
      idempotencyKey: held.key,
      resourceUrl: RESOURCE_URL,
      method: 'POST',
      payTo: payee,
      network: network(),
      asset: inject('tokenAddress'),
      amount: HELD_AMOUNT_ATOMIC,
      reason: 'approval_threshold_exceeded',
      rule: { level: 'agent', kind: 'approvalThreshold' },
      decision: { outcome: 'hold_for_approval' },
    });
    expect(Number.isNaN(Date.parse(item?.createdAt ?? ''))).toBe(false);
  });

  it('pages through held payments with a cursor', async () => {
    const other = await harness.bootstrapOrg('Approvals paging');
    const agent = await createAgent(other.adminKey);
    const ids = [(await holdOne(agent)).paymentId, (await holdOne(agent)).paymentId];
    const first = await http.get('/v1/approvals?limit=1').set(bearer(other.adminKey)).expect(200);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await http
      .get(`/v1/approvals?limit=1&cursor=${first.body.nextCursor}`)
      .set(bearer(other.adminKey))
      .expect(200);
    expect(second.body.nextCursor).toBeNull();
    const items = [...first.body.items, ...second.body.items] as { paymentId: string }[];
    const seen = items.map((item) => item.paymentId);
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it('approves: re-evaluates, reserves one hold, signs, and the agent gets the header', async () => {
    const agent = await createAgent(org.adminKey);
    const held = await holdOne(agent);
    expect(await holdsOf(held.paymentId)).toHaveLength(0);

    const approved = await http.post(`/v1/approvals/${held.paymentId}/approve`).set(bearer(org.adminKey));
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      paymentId: held.paymentId,
      status: 'authorized',
      decision: { outcome: 'allow' },
      response: { status: 'authorized', header: { name: 'PAYMENT-SIGNATURE' } },
    });
    const response = approved.body.response as {
      receipt: string;
      header: { name: string; value: string };
      payload: { payload: { authorization: Record<string, string>; signature: Hex } };
    };
    const decoded = decodePaymentHeader({ name: 'PAYMENT-SIGNATURE', value: response.header.value });
    expect((decoded as { accepted: unknown }).accepted).toEqual(requirementFor(HELD_AMOUNT_ATOMIC));
    const { authorization, signature } = response.payload.payload;
    const valid = await verifyTypedData({
      address: agent.address,
      domain: {
        name: 'USDC',
        version: '2',
        chainId: inject('chainId'),
        verifyingContract: inject('tokenAddress') as Address,
      },
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message: {
        from: authorization['from'] as Address,
        to: authorization['to'] as Address,
        value: BigInt(authorization['value'] ?? ''),
        validAfter: BigInt(authorization['validAfter'] ?? ''),
        validBefore: BigInt(authorization['validBefore'] ?? ''),
        nonce: authorization['nonce'] as Hex,
      },
      signature,
    });
    expect(valid).toBe(true);
    // The receipt keeps the outcome that held the payment; an operator approved it.
    const [, claims] = response.receipt.split('.');
    expect(JSON.parse(Buffer.from(claims ?? '', 'base64url').toString('utf8'))).toMatchObject({
      sub: held.paymentId,
      payment: { decision: 'hold_for_approval' },
    });
    const holds = await holdsOf(held.paymentId);
    expect(holds.map((hold) => [hold.status, hold.amount.toFixed(0)])).toEqual([
      ['pending', HELD_AMOUNT_ATOMIC],
    ]);

    // The agent polls, then replays its original request: both now carry the authorization.
    const polled = await http.get(`/v1/payments/${held.paymentId}`).set(bearer(agent.token)).expect(200);
    expect(polled.body).toMatchObject({ status: 'authorized', response: { header: response.header } });
    const replay = await pay(agent, held.body, held.key);
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotency-hit']).toBe('true');
    expect(replay.body).toEqual(approved.body.response);

    expect(await auditCount('payment.held_for_approval', held.paymentId)).toBe(1);
    expect(await auditCount('payment.approved', held.paymentId)).toBe(1);
    expect(await auditCount('payment.authorized', held.paymentId)).toBe(1);
    const listed = await http.get('/v1/approvals?limit=200').set(bearer(readKey)).expect(200);
    expect(listed.body.items.map((item: { paymentId: string }) => item.paymentId)).not.toContain(
      held.paymentId,
    );
  });

  it('rejects: nothing reserved or signed, the agent replay answers payment_rejected', async () => {
    const agent = await createAgent(org.adminKey);
    const held = await holdOne(agent);
    const rejected = await http.post(`/v1/approvals/${held.paymentId}/reject`).set(bearer(org.adminKey));
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ paymentId: held.paymentId, status: 'rejected', response: null });
    expect(await holdsOf(held.paymentId)).toHaveLength(0);
    expect(await auditCount('payment.rejected', held.paymentId)).toBe(1);

    const replay = await pay(agent, held.body, held.key);
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('payment_rejected');
    // Rejecting again answers the same final state; approving now is refused.
    const again = await http.post(`/v1/approvals/${held.paymentId}/reject`).set(bearer(org.adminKey));
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('rejected');
    const late = await http.post(`/v1/approvals/${held.paymentId}/approve`).set(bearer(org.adminKey));
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'approval_not_pending', status: 'rejected' });
    expect(await auditCount('payment.rejected', held.paymentId)).toBe(1);
  });

  it(`gives ${CONCURRENT_APPROVALS} concurrent approvals one hold and one signature`, async () => {
    const agent = await createAgent(org.adminKey);
    const held = await holdOne(agent);
    const responses = await Promise.all(
      Array.from({ length: CONCURRENT_APPROVALS }, () =>
        http.post(`/v1/approvals/${held.paymentId}/approve`).set(bearer(org.adminKey)),
      ),
    );
    const authorized = responses.filter((response) => response.status === 200);
    const refused = responses.filter((response) => response.status !== 200);
    expect(authorized.length).toBeGreaterThanOrEqual(1);
    // A loser either saw the winner's result (200) or, while the winner was still signing, a
    // retryable in-progress answer; never a refusal that the payment is not pending.
    for (const response of refused) {
      expect({
        status: response.status,
        code: response.body.code,
        retryable: response.body.retryable,
      }).toEqual({
        status: 409,
        code: 'approval_in_progress',
        retryable: true,
      });
    }
    const nonces = new Set(authorized.map((response) => response.body.nonce as string));
    expect(nonces.size).toBe(1);
    expect(new Set(authorized.map((response) => JSON.stringify(response.body.response))).size).toBe(1);
    expect(await holdsOf(held.paymentId)).toHaveLength(1);
    expect(await auditCount('payment.approved', held.paymentId)).toBe(1);
    expect(await auditCount('payment.authorized', held.paymentId)).toBe(1);
  });

  it('denies at approval when the budget was used up in the meantime', async () => {
    const tight = await harness.bootstrapOrg('Approvals tight budget');
    await setOrgBudget(tight.adminKey, '1000000');
    const agent = await createAgent(tight.adminKey);
    const held = await holdOne(agent);
    // Another agent of the org spends 200000 of the 1000000 while the payment waits.
    const spender = await createAgent(tight.adminKey, { threshold: false });
    const spent = await pay(spender, purchase('200000'), `spend-${randomUUID()}`);
    expect(spent.status).toBe(201);

    const approved = await http.post(`/v1/approvals/${held.paymentId}/approve`).set(bearer(tight.adminKey));
    expect(approved.status).toBe(402);
    expect(approved.body).toMatchObject({
      code: 'payment_denied',
      reason: 'budget_exceeded',
      paymentId: held.paymentId,
      decision: { outcome: 'deny', budgets: [expect.objectContaining({ remaining: '800000' })] },
    });
    expect(await holdsOf(held.paymentId)).toHaveLength(0);
    const polled = await http.get(`/v1/payments/${held.paymentId}`).set(bearer(agent.token)).expect(200);
    expect(polled.body).toMatchObject({ status: 'denied', decision: { reason: 'budget_exceeded' } });
    expect(await auditCount('payment.approval_denied', held.paymentId)).toBe(1);
    const replay = await pay(agent, held.body, held.key);
    expect(replay.status).toBe(402);
    expect(replay.body.reason).toBe('budget_exceeded');
  });

  it('refuses a read key on approve and reject (403) and changes nothing', async () => {
    const agent = await createAgent(org.adminKey);
    const held = await holdOne(agent);
    for (const action of ['approve', 'reject']) {
      const response = await http.post(`/v1/approvals/${held.paymentId}/${action}`).set(bearer(readKey));
      expect({ action, status: response.status, code: response.body.code }).toEqual({
        action,
        status: 403,
        code: 'forbidden',
      });
    }
    const row = await prisma.payment.findUnique({ where: { id: held.paymentId } });
    expect(row?.status).toBe('pending_approval');
  });

  it("answers 404 for another org's held payment and never lists it", async () => {
    const agent = await createAgent(org.adminKey);
    const held = await holdOne(agent);
    const stranger = await harness.bootstrapOrg('Approvals stranger');
    for (const action of ['approve', 'reject']) {
      const response = await http
        .post(`/v1/approvals/${held.paymentId}/${action}`)
        .set(bearer(stranger.adminKey));
      expect({ action, status: response.status, code: response.body.code }).toEqual({
        action,
        status: 404,
        code: 'payment_not_found',
      });
    }
    const listed = await http.get('/v1/approvals').set(bearer(stranger.adminKey)).expect(200);
    expect(listed.body.items).toEqual([]);
    const row = await prisma.payment.findUnique({ where: { id: held.paymentId } });
    expect(row?.status).toBe('pending_approval');
  });
});

describe('approvals racing the agent and its policy', () => {
  /** Runs `meanwhile` after the approval has re-evaluated the payment and before it reserves. */
  function betweenDecisionAndReserve(meanwhile: () => Promise<void>) {
    const selection = harness.app.get(PaymentSelectionService);
    const original = selection.reevaluate.bind(selection);
    return vi.spyOn(selection, 'reevaluate').mockImplementationOnce(async (params) => {
      const decided = await original(params);
      await meanwhile();
      return decided;
    });
  }

  it('refuses an approval whose policy changed after it was re-evaluated, reserving nothing', async () => {
    const other = await harness.bootstrapOrg('Approvals under a changing budget');
    await setOrgBudget(other.adminKey, '1000000');
    const agent = await createAgent(other.adminKey);
    const held = await holdOne(agent);
    const spy = betweenDecisionAndReserve(() => setOrgBudget(other.adminKey, '100000'));
    try {
      const response = await http.post(`/v1/approvals/${held.paymentId}/approve`).set(bearer(other.adminKey));
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('policy_changed');
    } finally {
      spy.mockRestore();
    }
    expect(await holdsOf(held.paymentId)).toHaveLength(0);
    // Approved again, it is decided under the lowered budget.
    const again = await http.post(`/v1/approvals/${held.paymentId}/approve`).set(bearer(other.adminKey));
    expect(again.status).toBe(402);
    expect(again.body.reason).toBe('budget_exceeded');
    expect(await holdsOf(held.paymentId)).toHaveLength(0);
  });

  it('does not sign an approval for an agent frozen after it was re-evaluated', async () => {
    const agent = await createAgent(org.adminKey);
    const held = await holdOne(agent);
    const spy = betweenDecisionAndReserve(async () => {
      await http
        .patch(`/v1/agents/${agent.id}`)
        .set(bearer(org.adminKey))
        .send({ status: 'frozen' })
        .expect(200);
    });
    try {
      const response = await http.post(`/v1/approvals/${held.paymentId}/approve`).set(bearer(org.adminKey));
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('agent_frozen');
    } finally {
      spy.mockRestore();
    }
    expect(await holdsOf(held.paymentId)).toHaveLength(0);
    const row = await prisma.payment.findUniqueOrThrow({ where: { id: held.paymentId } });
    expect(row.status).toBe('pending_approval');
  });

  it('queues nothing for operators from a frozen agent', async () => {
    const agent = await createAgent(org.adminKey);
    await http
      .patch(`/v1/agents/${agent.id}`)
      .set(bearer(org.adminKey))
      .send({ status: 'frozen' })
      .expect(200);
    const response = await pay(agent, purchase(HELD_AMOUNT_ATOMIC), `frozen-${randomUUID()}`);
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('agent_frozen');
    expect(await prisma.payment.count({ where: { agentId: agent.id } })).toBe(0);
  });
});
