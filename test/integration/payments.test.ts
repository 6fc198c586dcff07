// Goal: an agent pays an x402 402 through POST /v1/payments on the real API, PostgreSQL and anvil:
// the signed authorization settles on chain, the receipt verifies offline, budgets deny, one
// idempotency key yields exactly one hold and one signature, and hostile input never causes a 5xx.
import { randomUUID } from 'node:crypto';
import { anvilDevAccount, localChainDefinition, testUsdAbi } from '@proco/evm';
import { PrismaService } from '@proco/persistence';
import { verifyReceipt } from '@proco/receipts';
import { decodePaymentHeader, TRANSFER_WITH_AUTHORIZATION_TYPES } from '@proco/x402';
import fc from 'fast-check';
import request from 'supertest';
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http as viemHttp,
  verifyTypedData,
} from 'viem';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { HOLD_EXPIRY_GRACE_SECONDS } from '../../apps/api/src/payments/payments.limits';
import { PaymentAuthorizerService } from '../../apps/api/src/payments/payment-authorizer.service';
import { WalletsService } from '../../apps/api/src/wallets/wallets.service';
import { WalletUnavailableError } from '../../apps/api/src/wallets/wallets.errors';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

let harness: ApiHarness;
let http: ReturnType<typeof request>;
let prisma: PrismaService;
let org: { orgId: string; adminKey: string };

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const payee = anvilDevAccount({ index: 3 }).address;
// The relayer submitting authorizations; an index no other suite sends from, so tx nonces never collide.
const relayer = anvilDevAccount({ index: 7 });
const RESOURCE_URL = 'https://api.example.com/v1/weather';

interface Agent {
  readonly id: string;
  readonly address: Address;
  readonly token: string;
}

function requirementFor(amount = '10000'): Record<string, unknown> {
  return {
    scheme: 'exact',
    network: `eip155:${inject('chainId')}`,
    amount,
    asset: inject('tokenAddress'),
    payTo: payee,
    maxTimeoutSeconds: 120,
    extra: { name: 'USDC', version: '2' },
  };
}

function paymentRequiredFor(accepts: unknown[] = [requirementFor()]): Record<string, unknown> {
  return {
    x402Version: 2,
    error: 'Payment required',
    resource: { url: RESOURCE_URL, description: 'weather', mimeType: 'application/json' },
    accepts,
  };
}

const headerOf = (document: unknown): string => Buffer.from(JSON.stringify(document)).toString('base64');

async function setOrgBudget(adminKey: string, limitAtomic: string): Promise<void> {
  await http
    .put('/v1/policies/org')
    .set(bearer(adminKey))
    .send({
      budgets: [
        {
          id: 'daily_usdc',
          asset: { network: `eip155:${inject('chainId')}`, asset: inject('tokenAddress') },
          limitAtomic,
          window: { kind: 'rolling', durationSeconds: 86_400 },
        },
      ],
    })
    .expect(200);
}

async function createAgent(adminKey: string): Promise<Agent> {
  const agent = await http
    .post('/v1/agents')
    .set(bearer(adminKey))
    .send({ name: `payer-${randomUUID().slice(0, 6)}` });
  expect(agent.status).toBe(201);
  const token = await http
    .post(`/v1/agents/${agent.body.id}/tokens`)
    .set(bearer(adminKey))
    .send({ name: 'test' });
  expect(token.status).toBe(201);
  return { id: agent.body.id, address: agent.body.wallet.address, token: token.body.secret };
}

function pay(agent: Agent, body: unknown, idempotencyKey?: string) {
  const call = http.post('/v1/payments').set(bearer(agent.token));
  if (idempotencyKey !== undefined) call.set('Idempotency-Key', idempotencyKey);
  return call.send(body as object);
}

const holdCount = (agentId: string) => prisma.hold.count({ where: { agentId } });

const publicClient = () => createPublicClient({ transport: viemHttp(inject('rpcUrl')) });

async function payeeBalance(): Promise<bigint> {
  return publicClient().readContract({
    address: inject('tokenAddress') as Address,
    abi: testUsdAbi,
    functionName: 'balanceOf',
    args: [payee],
  });
}

beforeAll(async () => {
  harness = await startApiHarness();
  http = request(harness.app.getHttpServer());
  prisma = harness.app.get(PrismaService);
  org = await harness.bootstrapOrg('Payments');
  await setOrgBudget(org.adminKey, '100000000');
});

afterAll(async () => {
  await harness?.close();
});

describe('POST /v1/payments', () => {
  it('signs an authorization that settles on anvil, with a receipt that verifies offline', async () => {
    const agent = await createAgent(org.adminKey);
    await http
      .post(`/v1/agents/${agent.id}/faucet`)
      .set(bearer(org.adminKey))
      .send({ amount: '1000000' })
      .expect(200);
    const requirement = requirementFor('10000');
    const response = await pay(agent, {
      url: RESOURCE_URL,
      method: 'get',
      paymentRequiredHeader: headerOf(paymentRequiredFor([requirement])),
    });
    expect(response.status).toBe(201);
    expect(response.headers['idempotency-hit']).toBe('false');
    expect(response.body).toMatchObject({
      status: 'authorized',
      header: { name: 'PAYMENT-SIGNATURE' },
      decision: { outcome: 'allow', reason: null },
      requirement: { network: `eip155:${inject('chainId')}`, payTo: payee, amount: '10000' },
      authorization: { from: agent.address, to: payee, value: '10000' },
    });

    const decoded = decodePaymentHeader({ name: 'PAYMENT-SIGNATURE', value: response.body.header.value });
    expect(decoded.x402Version).toBe(2);
    expect((decoded as { accepted: unknown }).accepted).toEqual(requirement);
    const { authorization, signature } = response.body.payload.payload as {
      authorization: {
        from: Address;
        to: Address;
        value: string;
        validAfter: string;
        validBefore: string;
        nonce: Hex;
      };
      signature: Hex;
    };
    const message = {
      ...authorization,
      value: BigInt(authorization.value),
      validAfter: BigInt(authorization.validAfter),
      validBefore: BigInt(authorization.validBefore),
    };
    const domain = {
      name: 'USDC',
      version: '2',
      chainId: inject('chainId'),
      verifyingContract: inject('tokenAddress') as Address,
    };
    const valid = await verifyTypedData({
      address: agent.address,
      domain,
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message,
      signature,
    });
    expect(valid).toBe(true);
    expect(await holdCount(agent.id)).toBe(1);
    // The hold outlives validBefore by the grace period: a late-seen settlement can still post it.
    const hold = await prisma.hold.findFirstOrThrow({ where: { agentId: agent.id } });
    expect(hold.expiresAt.getTime()).toBe(
      (Number(authorization.validBefore) + HOLD_EXPIRY_GRACE_SECONDS) * 1_000,
    );

    const before = await payeeBalance();
    const wallet = createWalletClient({
      account: relayer,
      chain: localChainDefinition({ chainId: inject('chainId'), rpcUrl: inject('rpcUrl') }),
      transport: viemHttp(inject('rpcUrl')),
    });
    const hash = await wallet.writeContract({
      address: inject('tokenAddress') as Address,
      abi: testUsdAbi,
      functionName: 'transferWithAuthorization',
      args: [
        authorization.from,
        authorization.to,
        message.value,
        message.validAfter,
        message.validBefore,
        authorization.nonce,
        signature,
      ],
    });
    const receipt = await publicClient().waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    expect((await payeeBalance()) - before).toBe(10000n);

    const jwks = await http.get('/.well-known/jwks.json').expect(200);
    const verified = await verifyReceipt({
      token: response.body.receipt,
      keys: jwks.body,
      issuer: harness.config.api.publicUrl,
      now: new Date(),
    });
    expect(verified.claims.payment).toMatchObject({
      agentId: agent.id,
      payer: agent.address,
      payTo: payee,
      amount: '10000',
      nonce: authorization.nonce,
      resourceUrl: RESOURCE_URL,
      method: 'GET',
      decision: 'allow',
    });
    expect(verified.claims.sub).toBe(response.body.paymentId);
    // The receipt lasts exactly as long as the authorization it describes.
    expect(verified.claims.exp).toBe(Number(authorization.validBefore));

    const fetched = await http.get(`/v1/payments/${response.body.paymentId}`).set(bearer(agent.token));
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({
      paymentId: response.body.paymentId,
      status: 'authorized',
      amount: '10000',
    });
    const audit = await http.get('/v1/audit?limit=20').set(bearer(org.adminKey));
    const actions = (audit.body.items as { action: string }[]).map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['payment.authorized', 'hold.reserved']));
  });

  it('accepts the decoded document and picks the cheapest payable option', async () => {
    const agent = await createAgent(org.adminKey);
    const cheap = requirementFor('700');
    const response = await pay(agent, {
      url: RESOURCE_URL,
      method: 'POST',
      paymentRequired: paymentRequiredFor([
        { ...requirementFor('900') },
        { ...requirementFor('1'), scheme: 'upto' },
        cheap,
        { ...requirementFor('5'), network: 'eip155:1' },
      ]),
    });
    expect(response.status).toBe(201);
    expect(response.body.requirement.amount).toBe('700');
    expect(response.body.payload.accepted).toEqual(cheap);
  });

  it('denies a payment over budget with the reason and standings, and reserves nothing', async () => {
    const other = await harness.bootstrapOrg('Payments over budget');
    await setOrgBudget(other.adminKey, '15000');
    const agent = await createAgent(other.adminKey);
    const first = await pay(agent, {
      url: RESOURCE_URL,
      method: 'GET',
      paymentRequired: paymentRequiredFor(),
    });
    expect(first.status).toBe(201);
    const second = await pay(agent, {
      url: RESOURCE_URL,
      method: 'GET',
      paymentRequired: paymentRequiredFor(),
    });
    expect(second.status).toBe(402);
    expect(second.headers['content-type']).toContain('application/problem+json');
    expect(second.body).toMatchObject({
      code: 'payment_denied',
      reason: 'budget_exceeded',
      decision: {
        outcome: 'deny',
        reason: 'budget_exceeded',
        budgets: [expect.objectContaining({ limit: '15000', used: '10000', remaining: '5000' })],
      },
    });
    expect(await holdCount(agent.id)).toBe(1);
  });

  it('gives 32 concurrent twins one hold, one nonce and identical bodies', async () => {
    const agent = await createAgent(org.adminKey);
    const key = `twins-${randomUUID()}`;
    const body = { url: RESOURCE_URL, method: 'GET', paymentRequiredHeader: headerOf(paymentRequiredFor()) };
    const first = await Promise.all(Array.from({ length: 32 }, () => pay(agent, body, key)));
    const responses = await Promise.all(
      first.map(async (response) => {
        // An in-progress answer is retryable by contract; the retry must see the stored result.
        if (response.status === 409 && response.body.code === 'idempotency_key_in_progress') {
          return pay(agent, body, key);
        }
        return response;
      }),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(31);
    const texts = new Set(responses.map((response) => response.text));
    expect(texts.size).toBe(1);
    expect(responses.filter((response) => response.headers['idempotency-hit'] === 'true')).toHaveLength(31);
    expect(await holdCount(agent.id)).toBe(1);
    const payments = await prisma.payment.findMany({ where: { agentId: agent.id } });
    expect(payments.map((payment) => payment.nonce)).toHaveLength(1);
    expect(
      await prisma.auditEvent.count({
        where: { action: 'payment.authorized', subjectId: payments[0]?.id ?? '' },
      }),
    ).toBe(1);
  });

  it('answers 409 idempotency_key_conflict for the same key and a different amount', async () => {
    const agent = await createAgent(org.adminKey);
    const key = `conflict-${randomUUID()}`;
    const original = await pay(
      agent,
      { url: RESOURCE_URL, method: 'GET', paymentRequired: paymentRequiredFor() },
      key,
    );
    expect(original.status).toBe(201);
    const changed = await pay(
      agent,
      { url: RESOURCE_URL, method: 'GET', paymentRequired: paymentRequiredFor([requirementFor('20000')]) },
      key,
    );
    expect(changed.status).toBe(409);
    expect(changed.body.code).toBe('idempotency_key_conflict');
    expect(await holdCount(agent.id)).toBe(1);
  });

  it("keys a purchase by the seller's payment identifier, namespaced by the seller's origin", async () => {
    const agent = await createAgent(org.adminKey);
    const id = `pid_${randomUUID().replaceAll('-', '')}`;
    const document = {
      ...paymentRequiredFor(),
      extensions: { 'payment-identifier': { info: { required: true, id }, schema: {} } },
    };
    const first = await pay(agent, { url: RESOURCE_URL, method: 'GET', paymentRequired: document });
    expect(first.status).toBe(201);
    expect(first.body.idempotencyKey).toMatch(/^pi_[A-Za-z0-9_-]{43}$/);
    expect(first.body.payload.extensions['payment-identifier'].info.id).toBe(id);
    const again = await pay(agent, { url: RESOURCE_URL, method: 'GET', paymentRequired: document });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    // Another seller declaring the same identifier is another purchase, not a conflict.
    const elsewhere = 'https://other-seller.example.org/v1/weather';
    const other = await pay(agent, {
      url: elsewhere,
      method: 'GET',
      paymentRequired: { ...document, resource: { url: elsewhere, description: 'weather' } },
    });
    expect(other.status).toBe(201);
    expect(other.body.idempotencyKey).not.toBe(first.body.idempotencyKey);
  });

  it("never hands the agent's own key to a seller that asks for a payment identifier", async () => {
    const agent = await createAgent(org.adminKey);
    const key = `agent-secret-${randomUUID()}`;
    const document = {
      ...paymentRequiredFor(),
      extensions: { 'payment-identifier': { info: { required: true }, schema: {} } },
    };
    const paid = await pay(agent, { url: RESOURCE_URL, method: 'GET', paymentRequired: document }, key);
    expect(paid.status).toBe(201);
    expect(paid.body.idempotencyKey).toBe(key);
    const sent = paid.body.payload.extensions['payment-identifier'].info.id as string;
    expect(sent).toMatch(/^pay_[0-9a-f]{32}$/);
    expect(sent).not.toContain(key);
    expect(Buffer.from(paid.body.header.value as string, 'base64').toString('utf8')).not.toContain(key);
  });

  it('refuses hostile input with a stable 4xx code and no hold', async () => {
    const agent = await createAgent(org.adminKey);
    const bodyWith = (accepts: unknown[]) => ({
      url: RESOURCE_URL,
      method: 'GET',
      paymentRequired: paymentRequiredFor(accepts),
    });
    const cases: [string, unknown, number, string][] = [
      ['zero amount', bodyWith([requirementFor('0')]), 402, 'no_payable_requirement'],
      ['exponent amount', bodyWith([requirementFor('1e18')]), 400, 'invalid_amount'],
      ['negative amount', bodyWith([requirementFor('-1')]), 400, 'invalid_amount'],
      ['2^256 amount', bodyWith([requirementFor((2n ** 256n).toString())]), 400, 'invalid_amount'],
      ['hex amount', bodyWith([requirementFor('0x10')]), 400, 'invalid_amount'],
      [
        'unknown scheme only',
        bodyWith([{ ...requirementFor(), scheme: 'mystery' }]),
        402,
        'no_payable_requirement',
      ],
      [
        'timeout too short to be used',
        bodyWith([{ ...requirementFor(), maxTimeoutSeconds: 5 }]),
        402,
        'no_payable_requirement',
      ],
      [
        'unknown network only',
        bodyWith([{ ...requirementFor(), network: 'eip155:999999' }]),
        402,
        'no_payable_requirement',
      ],
      [
        '20 KiB header',
        { url: RESOURCE_URL, method: 'GET', paymentRequiredHeader: 'A'.repeat(20 * 1024) },
        400,
        'payment_required_too_large',
      ],
      [
        'non-object document',
        { url: RESOURCE_URL, method: 'GET', body: [1, 2, 3] },
        400,
        'invalid_payment_required',
      ],
      [
        'garbage header',
        { url: RESOURCE_URL, method: 'GET', paymentRequiredHeader: '%%%' },
        400,
        'invalid_base64',
      ],
      [
        'two sources',
        { url: RESOURCE_URL, method: 'GET', body: {}, paymentRequiredHeader: 'e30=' },
        400,
        'validation_failed',
      ],
      [
        'bad url',
        { url: 'ftp://x', method: 'GET', paymentRequired: paymentRequiredFor() },
        400,
        'validation_failed',
      ],
      ['unknown field', { ...bodyWith([requirementFor()]), extra: 1 }, 400, 'validation_failed'],
    ];
    for (const [name, body, status, code] of cases) {
      const response = await pay(agent, body);
      expect({ name, status: response.status, code: response.body.code }).toEqual({ name, status, code });
    }
    const badKey = await pay(agent, bodyWith([requirementFor()]), 'short');
    expect(badKey.status).toBe(400);
    expect(badKey.body.code).toBe('validation_failed');
    const scalar = await http
      .post('/v1/payments')
      .set(bearer(agent.token))
      .set('Content-Type', 'application/json')
      .send('"just a string"');
    expect(scalar.status).toBeGreaterThanOrEqual(400);
    expect(scalar.status).toBeLessThan(500);
    expect(await holdCount(agent.id)).toBe(0);
  });

  it('a seeded fuzz of hostile requirements and documents never gets a 5xx, and a refusal holds nothing', async () => {
    const agent = await createAgent(org.adminKey);
    const seed = Number(process.env['PAYMENTS_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
    console.info(`payments fuzz seed ${seed} (replay with PAYMENTS_FUZZ_SEED)`);
    const hostileAmount = fc.oneof(
      fc.constantFrom('0', '-1', '1e18', '0x10', '1.5', ' 1', '01', '', '１２', (2n ** 256n).toString()),
      fc.bigInt({ min: 0n, max: 2n ** 260n }).map(String),
      fc.string({ maxLength: 80 }),
      fc.anything(),
    );
    const hostileValue = fc.oneof(fc.anything(), fc.string({ maxLength: 200 }), fc.constant(null));
    const requirement = fc.record(
      {
        scheme: fc.oneof(fc.constant('exact'), hostileValue),
        network: fc.oneof(fc.constant(`eip155:${inject('chainId')}`), fc.constant('eip155:1'), hostileValue),
        amount: fc.oneof(fc.constant('10000'), hostileAmount),
        asset: fc.oneof(fc.constant(inject('tokenAddress')), hostileValue),
        payTo: fc.oneof(fc.constant(payee), fc.constant(`${payee}00`), hostileValue),
        maxTimeoutSeconds: fc.oneof(fc.constant(120), fc.integer(), hostileValue),
        extra: fc.oneof(fc.constant({ name: 'USDC', version: '2' }), hostileValue),
      },
      { requiredKeys: [] },
    );
    const document = fc.oneof(
      fc.array(requirement, { maxLength: 4 }).map((accepts) => ({ body: paymentRequiredFor(accepts) })),
      fc
        .record({ x402Version: hostileValue, accepts: hostileValue, resource: hostileValue })
        .map((body) => ({ body })),
      fc.string({ maxLength: 300 }).map((text) => ({ header: Buffer.from(text).toString('base64') })),
      fc.string({ maxLength: 300 }).map((text) => ({ header: text })),
      fc.constant({
        body: JSON.parse('{"__proto__":{"polluted":true},"x402Version":2,"accepts":[]}') as object,
      }),
    );
    const holdsBefore = await holdCount(agent.id);
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(document, async (generated) => {
        const response = await pay(agent, {
          url: RESOURCE_URL,
          method: 'GET',
          ...('header' in generated
            ? { paymentRequiredHeader: generated.header }
            : { paymentRequired: generated.body }),
        });
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          refused += 1;
          expect(response.body.code).toMatch(/^[a-z][a-z0-9_]*$/);
        }
      }),
      { seed, numRuns: 150 },
    );
    // Only allowed payments (201) may have reserved; every refusal left nothing behind.
    const authorized = await prisma.payment.count({ where: { agentId: agent.id, status: 'authorized' } });
    expect(await holdCount(agent.id)).toBe(holdsBefore + authorized);
    expect(refused).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses a frozen agent with 409 before any hold', async () => {
    const agent = await createAgent(org.adminKey);
    await http
      .patch(`/v1/agents/${agent.id}`)
      .set(bearer(org.adminKey))
      .send({ status: 'frozen' })
      .expect(200);
    const response = await pay(agent, {
      url: RESOURCE_URL,
      method: 'GET',
      paymentRequired: paymentRequiredFor(),
    });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('agent_frozen');
    expect(await holdCount(agent.id)).toBe(0);
  });

  it("answers 404 for another agent's payment", async () => {
    const owner = await createAgent(org.adminKey);
    const stranger = await createAgent(org.adminKey);
    const paid = await pay(owner, {
      url: RESOURCE_URL,
      method: 'GET',
      paymentRequired: paymentRequiredFor(),
    });
    expect(paid.status).toBe(201);
    const response = await http.get(`/v1/payments/${paid.body.paymentId}`).set(bearer(stranger.token));
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('payment_not_found');
    const operator = await http.get(`/v1/payments/${paid.body.paymentId}`).set(bearer(org.adminKey));
    expect(operator.status).toBe(403);
  });

  it('holds a payment above the approval threshold: 202, no hold, no signature, replayable', async () => {
    const agent = await createAgent(org.adminKey);
    await http
      .put(`/v1/policies/agents/${agent.id}`)
      .set(bearer(org.adminKey))
      .send({
        approvalThreshold: {
          perAsset: [
            { network: `eip155:${inject('chainId')}`, asset: inject('tokenAddress'), aboveAtomic: '500000' },
          ],
        },
      })
      .expect(200);
    const key = `approval-${randomUUID()}`;
    const body = {
      url: RESOURCE_URL,
      method: 'GET',
      paymentRequired: paymentRequiredFor([requirementFor('900000')]),
    };
    const held = await pay(agent, body, key);
    expect(held.status).toBe(202);
    expect(held.body).toMatchObject({
      status: 'pending_approval',
      decision: { outcome: 'hold_for_approval', reason: 'approval_threshold_exceeded' },
    });
    expect(held.body.header).toBeUndefined();
    expect(await holdCount(agent.id)).toBe(0);
    const again = await pay(agent, body, key);
    expect(again.status).toBe(202);
    expect(again.headers['idempotency-hit']).toBe('true');
    expect(again.text).toBe(held.text);
    const fetched = await http.get(`/v1/payments/${held.body.paymentId}`).set(bearer(agent.token));
    expect(fetched.body.status).toBe('pending_approval');
  });

  it('voids the hold and marks the payment failed when signing fails after the reserve', async () => {
    const agent = await createAgent(org.adminKey);
    const wallets = harness.app.get(WalletsService);
    const spy = vi
      .spyOn(wallets, 'openSigner')
      .mockRejectedValueOnce(
        new WalletUnavailableError('wallet', { cause: new Error('sealed key refused') }),
      );
    const key = `failing-${randomUUID()}`;
    const body = { url: RESOURCE_URL, method: 'GET', paymentRequired: paymentRequiredFor() };
    try {
      const failed = await pay(agent, body, key);
      expect(failed.status).toBe(500);
      expect(failed.body.code).toBe('wallet_unavailable');
    } finally {
      spy.mockRestore();
    }
    const holds = await prisma.hold.findMany({ where: { agentId: agent.id } });
    expect(holds.map((hold) => [hold.status, hold.resolutionReason])).toEqual([
      ['voided', 'authorization_failed'],
    ]);
    const payments = await prisma.payment.findMany({ where: { agentId: agent.id } });
    expect(payments.map((payment) => [payment.status, payment.response])).toEqual([['failed', null]]);
    const replay = await pay(agent, body, key);
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('payment_failed');
    expect(await holdCount(agent.id)).toBe(1);
  });

  it('keeps the hold of a payment whose final update committed even if its answer was lost', async () => {
    const agent = await createAgent(org.adminKey);
    // `finish` is private: reach it through a structural view of the service.
    const service: unknown = harness.app.get(PaymentAuthorizerService);
    const authorizer = service as { finish: (params: { status: string }) => Promise<void> };
    const original = authorizer.finish.bind(authorizer);
    // The authorized update commits, then the call fails as if the connection dropped on COMMIT.
    const spy = vi.spyOn(authorizer, 'finish').mockImplementationOnce(async (params) => {
      await original(params);
      throw new Error('connection lost after commit');
    });
    const key = `lost-answer-${randomUUID()}`;
    const body = { url: RESOURCE_URL, method: 'GET', paymentRequired: paymentRequiredFor() };
    try {
      const lost = await pay(agent, body, key);
      expect(lost.status).toBe(500);
    } finally {
      spy.mockRestore();
    }
    const holds = await prisma.hold.findMany({ where: { agentId: agent.id } });
    expect(holds.map((hold) => hold.status)).toEqual(['pending']);
    const payments = await prisma.payment.findMany({ where: { agentId: agent.id } });
    expect(payments.map((payment) => payment.status)).toEqual(['authorized']);
    // The retry gets the signed authorization, and its budget is still counted.
    const replay = await pay(agent, body, key);
    expect(replay.status).toBe(200);
    expect(replay.body.status).toBe('authorized');
  });

  it('explains an option it will not pay because its timeout is too short to be used', async () => {
    const agent = await createAgent(org.adminKey);
    const response = await pay(agent, {
      url: RESOURCE_URL,
      method: 'GET',
      paymentRequired: paymentRequiredFor([{ ...requirementFor(), maxTimeoutSeconds: 29 }]),
    });
    expect(response.status).toBe(402);
    expect(response.body).toMatchObject({
      code: 'no_payable_requirement',
      requirements: [{ index: 0, reason: 'timeout_too_short' }],
    });
    expect(await holdCount(agent.id)).toBe(0);
  });
});

describe('POST /v1/payments under changing policy and budgets', () => {
  async function setAgentPolicy(agent: Agent, document: Record<string, unknown>): Promise<void> {
    await http.put(`/v1/policies/agents/${agent.id}`).set(bearer(org.adminKey)).send(document).expect(200);
  }

  it('applies a policy another replica changed after this one remembered it', async () => {
    const agent = await createAgent(org.adminKey);
    await setAgentPolicy(agent, { budgets: [] });
    const body = { url: RESOURCE_URL, method: 'GET', paymentRequired: paymentRequiredFor() };
    expect((await pay(agent, body)).status).toBe(201);
    // A second API process on the same database: its policy write never reaches this process's
    // memory, so the next purchase here starts from the remembered version. The database refuses
    // that version under the hold locks and the purchase is decided again under the new one.
    const replica = await startApiHarness({
      database: harness.database,
      masterKeyBase64: harness.masterKeyBase64,
    });
    try {
      await request(replica.app.getHttpServer())
        .put(`/v1/policies/agents/${agent.id}`)
        .set(bearer(org.adminKey))
        .send({
          budgets: [
            {
              id: 'tiny',
              asset: { network: `eip155:${inject('chainId')}`, asset: inject('tokenAddress') },
              limitAtomic: '1',
              window: { kind: 'rolling', durationSeconds: 3_600 },
            },
          ],
        })
        .expect(200);
    } finally {
      await replica.close();
    }
    const denied = await pay(agent, body);
    expect(denied.status).toBe(402);
    expect(denied.body).toMatchObject({ code: 'payment_denied', reason: 'budget_exceeded' });
    expect(await holdCount(agent.id)).toBe(1);
  });

  it('decides a held-for-approval option again when its fresh policy is not the remembered one', async () => {
    const agent = await createAgent(org.adminKey);
    const otherPayee = anvilDevAccount({ index: 4 }).address;
    const network = `eip155:${inject('chainId')}`;
    // Remembered here: the first payee needs approval above 500, the other payee is denied.
    await setAgentPolicy(agent, {
      payees: { deny: [otherPayee] },
      approvalThreshold: { perAsset: [{ network, asset: inject('tokenAddress'), aboveAtomic: '500' }] },
    });
    const cheap = {
      url: RESOURCE_URL,
      method: 'GET',
      paymentRequired: paymentRequiredFor([requirementFor('100')]),
    };
    expect((await pay(agent, cheap)).status).toBe(201);
    // Another API process reverses it: the first payee is denied, the other allowed, no threshold.
    const replica = await startApiHarness({
      database: harness.database,
      masterKeyBase64: harness.masterKeyBase64,
    });
    try {
      await request(replica.app.getHttpServer())
        .put(`/v1/policies/agents/${agent.id}`)
        .set(bearer(org.adminKey))
        .send({ payees: { deny: [payee] } })
        .expect(200);
    } finally {
      await replica.close();
    }
    // Under the remembered policy the cheaper option would be held for approval; under the
    // current one it is denied and the other option is paid.
    const response = await pay(agent, {
      url: RESOURCE_URL,
      method: 'GET',
      paymentRequired: paymentRequiredFor([
        requirementFor('900'),
        { ...requirementFor('1000'), payTo: otherPayee },
      ]),
    });
    expect(response.status).toBe(201);
    expect(response.body.requirement).toMatchObject({ payTo: otherPayee, amount: '1000' });
  });

  it('replays a stored authorization even when policy now denies the same purchase', async () => {
    const agent = await createAgent(org.adminKey);
    const key = `replay-after-deny-${randomUUID()}`;
    const body = { url: RESOURCE_URL, method: 'GET', paymentRequired: paymentRequiredFor() };
    const first = await pay(agent, body, key);
    expect(first.status).toBe(201);
    await setAgentPolicy(agent, { hosts: { deny: ['api.example.com'] } });
    const replay = await pay(agent, body, key);
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    expect(await holdCount(agent.id)).toBe(1);
  });

  it('keeps no denial under the key: the same key is decided afresh once the budget allows it', async () => {
    const other = await harness.bootstrapOrg('Payments retried after a denial');
    await setOrgBudget(other.adminKey, '5000');
    const agent = await createAgent(other.adminKey);
    const key = `denied-then-allowed-${randomUUID()}`;
    const body = { url: RESOURCE_URL, method: 'GET', paymentRequired: paymentRequiredFor() };
    const denied = await pay(agent, body, key);
    expect(denied.status).toBe(402);
    expect(denied.body.reason).toBe('budget_exceeded');
    expect(await prisma.payment.count({ where: { agentId: agent.id } })).toBe(0);
    await setOrgBudget(other.adminKey, '20000');
    const allowed = await pay(agent, body, key);
    expect(allowed.status).toBe(201);
    expect(allowed.body.decision.budgets).toEqual([
      expect.objectContaining({ limit: '20000', used: '0', remaining: '10000' }),
    ]);
    expect(await holdCount(agent.id)).toBe(1);
  });
});

describe('POST /v1/payments against the state it was decided on', () => {
  it('enforces an agent policy written through an upper-case agent id', async () => {
    const agent = await createAgent(org.adminKey);
    await http
      .put(`/v1/policies/agents/${agent.id.toUpperCase()}`)
      .set(bearer(org.adminKey))
      .send({ hosts: { deny: ['api.example.com'] } })
      .expect(200);
    const response = await pay(agent, {
      url: RESOURCE_URL,
      method: 'GET',
      paymentRequired: paymentRequiredFor(),
    });
    expect(response.status).toBe(402);
    expect(await holdCount(agent.id)).toBe(0);
  });

  it('hands out no signature once the hold behind it is no longer pending', async () => {
    const agent = await createAgent(org.adminKey);
    const wallets = harness.app.get(WalletsService);
    const original = wallets.openSigner.bind(wallets);
    // The hold is released (as an expiry sweep would) between the reserve and the final update.
    const spy = vi.spyOn(wallets, 'openSigner').mockImplementationOnce(async (params) => {
      await prisma.$executeRaw`
        UPDATE holds SET status = 'voided', resolved_at = now(), resolution_reason = 'test_released'
         WHERE agent_id = ${agent.id}::uuid AND status = 'pending'`;
      return original(params);
    });
    try {
      const response = await pay(agent, {
        url: RESOURCE_URL,
        method: 'GET',
        paymentRequired: paymentRequiredFor(),
      });
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('payment_failed');
    } finally {
      spy.mockRestore();
    }
    const payments = await prisma.payment.findMany({ where: { agentId: agent.id } });
    expect(payments.map((payment) => [payment.status, payment.response])).toEqual([['failed', null]]);
  });
});

describe('GET /v1/payments', () => {
  it("lists the agent's own payments newest first, pages with a cursor and filters by status", async () => {
    const agent = await createAgent(org.adminKey);
    const stranger = await createAgent(org.adminKey);
    const body = { url: RESOURCE_URL, method: 'GET', paymentRequired: paymentRequiredFor() };
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const paid = await pay(agent, body);
      expect(paid.status).toBe(201);
      ids.push(paid.body.paymentId as string);
    }
    expect((await pay(stranger, body)).status).toBe(201);
    const first = await http.get('/v1/payments?limit=2').set(bearer(agent.token)).expect(200);
    expect(first.body.items.map((item: { paymentId: string }) => item.paymentId)).toEqual([ids[2], ids[1]]);
    expect(first.body.items[0]).not.toHaveProperty('response');
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await http
      .get(`/v1/payments?limit=2&cursor=${first.body.nextCursor as string}`)
      .set(bearer(agent.token))
      .expect(200);
    expect(second.body.items.map((item: { paymentId: string }) => item.paymentId)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    const failed = await http.get('/v1/payments?status=failed').set(bearer(agent.token)).expect(200);
    expect(failed.body.items).toEqual([]);
    const bad = await http.get('/v1/payments?cursor=not-a-cursor').set(bearer(agent.token));
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    expect((await http.get('/v1/payments').set(bearer(org.adminKey))).status).toBe(403);
  });
});
