// Goal: a payment signed by Proco is accepted by the reference x402 stack from npm. The reference
// facilitator (@x402/core x402Facilitator + @x402/evm exact, v2 and v1) and the reference resource
// servers (@x402/express 2.x for v2, x402-express 1.x for v1) run in child processes against the
// run's anvil chain; an agent hands the 402 to POST /v1/payments, retries with the returned header,
// gets the content, and the payee's token balance grows by exactly the price. A replayed header is
// refused (402) and does not pay twice.
import { randomUUID } from 'node:crypto';
import { anvilDevAccount, findFreePort, testUsdAbi } from '@proco/evm';
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from '@x402/core/http';
import request from 'supertest';
import { type Address, createPublicClient, type Hex, http as viemHttp } from 'viem';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { type ReferenceProcess, startReferenceProcess } from '../support/reference-x402/child-process';

const PRICE = '10000';
const V1_NETWORK = 'base-sepolia';
// Accounts no other suite sends transactions from: the facilitator pays gas from index 8, so its
// tx nonces never race another suite's; the payees only receive.
const FACILITATOR_ACCOUNT_INDEX = 8;
const payeeV2 = anvilDevAccount({ index: 5 }).address;
const payeeV1 = anvilDevAccount({ index: 6 }).address;
const TX_HASH = /^0x[0-9a-f]{64}$/;

let harness: ApiHarness;
let http: ReturnType<typeof request>;
let agent: { id: string; address: Address; token: string };
const children: ReferenceProcess[] = [];
let serverV2Url: string;
let serverV1Url: string;

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const publicClient = () => createPublicClient({ transport: viemHttp(inject('rpcUrl')) });

async function tokenBalance(owner: Address): Promise<bigint> {
  return publicClient().readContract({
    address: inject('tokenAddress') as Address,
    abi: testUsdAbi,
    functionName: 'balanceOf',
    args: [owner],
  });
}

async function pay(body: Record<string, unknown>) {
  return http.post('/v1/payments').set(bearer(agent.token)).send(body);
}

function decodeBase64Json(value: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as Record<string, unknown>;
}

async function expectTransferOnChain(hash: Hex, payee: Address): Promise<void> {
  const receipt = await publicClient().getTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  expect(receipt.from.toLowerCase()).toBe(
    anvilDevAccount({ index: FACILITATOR_ACCOUNT_INDEX }).address.toLowerCase(),
  );
  expect(receipt.to?.toLowerCase()).toBe(inject('tokenAddress').toLowerCase());
  expect(
    receipt.logs.some((log) => log.topics[2]?.toLowerCase().endsWith(payee.slice(2).toLowerCase())),
  ).toBe(true);
}

beforeAll(async () => {
  const [facilitatorPort, serverV2Port, serverV1Port] = await Promise.all([
    findFreePort(),
    findFreePort(),
    findFreePort(),
  ]);
  const facilitatorUrl = `http://127.0.0.1:${facilitatorPort}`;
  serverV2Url = `http://127.0.0.1:${serverV2Port}`;
  serverV1Url = `http://127.0.0.1:${serverV1Port}`;
  const common = {
    RPC_URL: inject('rpcUrl'),
    CHAIN_ID: String(inject('chainId')),
    TOKEN_ADDRESS: inject('tokenAddress'),
    V1_NETWORK,
    PRICE_ATOMIC: PRICE,
  };
  const [startedHarness, facilitator] = await Promise.all([
    startApiHarness(),
    startReferenceProcess({
      script: 'facilitator.ts',
      environment: {
        ...common,
        PORT: String(facilitatorPort),
        FACILITATOR_ACCOUNT_INDEX: String(FACILITATOR_ACCOUNT_INDEX),
      },
    }),
  ]);
  harness = startedHarness;
  children.push(facilitator);
  const servers = await Promise.allSettled([
    startReferenceProcess({
      script: 'resource-server-v2.ts',
      environment: {
        ...common,
        PORT: String(serverV2Port),
        FACILITATOR_URL: facilitatorUrl,
        PAY_TO: payeeV2,
      },
    }),
    startReferenceProcess({
      script: 'resource-server-v1.ts',
      environment: {
        ...common,
        PORT: String(serverV1Port),
        FACILITATOR_URL: facilitatorUrl,
        PAY_TO: payeeV1,
      },
    }),
  ]);
  for (const server of servers) if (server.status === 'fulfilled') children.push(server.value);
  for (const server of servers) if (server.status === 'rejected') throw server.reason;

  http = request(harness.app.getHttpServer());
  const org = await harness.bootstrapOrg('Reference interop');
  await http
    .put('/v1/policies/org')
    .set(bearer(org.adminKey))
    .send({
      budgets: [
        {
          id: 'daily_usdc',
          asset: { network: `eip155:${inject('chainId')}`, asset: inject('tokenAddress') },
          limitAtomic: '1000000',
          window: { kind: 'rolling', durationSeconds: 86_400 },
        },
      ],
    })
    .expect(200);
  const created = await http
    .post('/v1/agents')
    .set(bearer(org.adminKey))
    .send({ name: `interop-${randomUUID().slice(0, 6)}` })
    .expect(201);
  const token = await http
    .post(`/v1/agents/${created.body.id}/tokens`)
    .set(bearer(org.adminKey))
    .send({ name: 'interop' })
    .expect(201);
  agent = { id: created.body.id, address: created.body.wallet.address, token: token.body.secret };
  await http
    .post(`/v1/agents/${agent.id}/faucet`)
    .set(bearer(org.adminKey))
    .send({ amount: '1000000' })
    .expect(200);
});

afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
  await harness?.close();
});

describe('interop with the reference x402 stack (npm, child processes, anvil)', () => {
  it('v2: @x402/express answers 200 to a PAYMENT-SIGNATURE from POST /v1/payments and the payee gets exactly the price', async () => {
    const resourceUrl = `${serverV2Url}/paid`;
    const payeeBefore = await tokenBalance(payeeV2);
    const payerBefore = await tokenBalance(agent.address);

    const challenge = await fetch(resourceUrl);
    expect(challenge.status).toBe(402);
    const paymentRequiredHeader = challenge.headers.get('payment-required');
    expect(paymentRequiredHeader).toEqual(expect.any(String));
    const paymentRequired = decodePaymentRequiredHeader(paymentRequiredHeader!);
    expect(paymentRequired.x402Version).toBe(2);
    expect(paymentRequired.accepts).toHaveLength(1);
    expect(paymentRequired.accepts[0]).toMatchObject({
      scheme: 'exact',
      network: `eip155:${inject('chainId')}`,
      amount: PRICE,
      payTo: payeeV2,
      extra: { name: 'USDC', version: '2' },
    });
    expect(paymentRequired.accepts[0]?.asset.toLowerCase()).toBe(inject('tokenAddress').toLowerCase());

    const payment = await pay({ url: resourceUrl, method: 'GET', paymentRequiredHeader });
    expect(payment.status).toBe(201);
    expect(payment.body).toMatchObject({
      status: 'authorized',
      header: { name: 'PAYMENT-SIGNATURE' },
      authorization: { from: agent.address, to: payeeV2, value: PRICE },
    });
    const { name, value } = payment.body.header as { name: string; value: string };
    // The reference server deep-equals `accepted` with its own requirement: it must be echoed verbatim.
    expect(decodeBase64Json(value)['accepted']).toEqual(paymentRequired.accepts[0]);

    const paid = await fetch(resourceUrl, { headers: { [name]: value } });
    const paidBody = await paid.text();
    expect({ status: paid.status, body: paidBody }).toEqual({
      status: 200,
      body: JSON.stringify({ content: 'paid content v2' }),
    });
    const paymentResponse = paid.headers.get('payment-response');
    expect(paymentResponse).toEqual(expect.any(String));
    const settled = decodePaymentResponseHeader(paymentResponse!);
    expect(settled).toMatchObject({
      success: true,
      network: `eip155:${inject('chainId')}`,
      payer: agent.address,
    });
    expect(settled.transaction).toMatch(TX_HASH);
    await expectTransferOnChain(settled.transaction as Hex, payeeV2);
    expect((await tokenBalance(payeeV2)) - payeeBefore).toBe(BigInt(PRICE));
    expect(payerBefore - (await tokenBalance(agent.address))).toBe(BigInt(PRICE));

    // The same authorization again: refused (the nonce is spent on chain), content not served twice.
    const replay = await fetch(resourceUrl, { headers: { [name]: value } });
    const replayBody = await replay.text();
    expect(replay.status).toBe(402);
    expect(replayBody).not.toContain('paid content');
    const refusal = decodePaymentRequiredHeader(replay.headers.get('payment-required')!);
    expect(refusal.error).toContain('nonce_already_used');
    expect((await tokenBalance(payeeV2)) - payeeBefore).toBe(BigInt(PRICE));
  });

  it('v1: x402-express 1.x answers 200 to an X-PAYMENT from POST /v1/payments and the payee gets exactly the price', async () => {
    const resourceUrl = `${serverV1Url}/paid-v1`;
    const payeeBefore = await tokenBalance(payeeV1);
    const payerBefore = await tokenBalance(agent.address);

    const challenge = await fetch(resourceUrl);
    expect(challenge.status).toBe(402);
    const body = (await challenge.json()) as { x402Version: number; accepts: Record<string, unknown>[] };
    expect(body.x402Version).toBe(1);
    expect(body.accepts).toHaveLength(1);
    expect(body.accepts[0]).toMatchObject({
      scheme: 'exact',
      network: V1_NETWORK,
      maxAmountRequired: PRICE,
      resource: resourceUrl,
      payTo: payeeV1,
      extra: { name: 'USDC', version: '2' },
    });

    const payment = await pay({ url: resourceUrl, method: 'GET', body });
    expect(payment.status).toBe(201);
    expect(payment.body).toMatchObject({
      status: 'authorized',
      header: { name: 'X-PAYMENT' },
      authorization: { from: agent.address, to: payeeV1, value: PRICE },
    });
    const { name, value } = payment.body.header as { name: string; value: string };
    expect(decodeBase64Json(value)).toMatchObject({ x402Version: 1, scheme: 'exact', network: V1_NETWORK });

    const paid = await fetch(resourceUrl, { headers: { [name]: value } });
    const paidBody = await paid.text();
    expect({ status: paid.status, body: paidBody }).toEqual({
      status: 200,
      body: JSON.stringify({ content: 'paid content v1' }),
    });
    const paymentResponse = paid.headers.get('x-payment-response');
    expect(paymentResponse).toEqual(expect.any(String));
    const settled = decodeBase64Json(paymentResponse!);
    expect(settled).toMatchObject({ success: true, network: V1_NETWORK, payer: agent.address });
    expect(settled['transaction']).toMatch(TX_HASH);
    await expectTransferOnChain(settled['transaction'] as Hex, payeeV1);
    expect((await tokenBalance(payeeV1)) - payeeBefore).toBe(BigInt(PRICE));
    expect(payerBefore - (await tokenBalance(agent.address))).toBe(BigInt(PRICE));

    const replay = await fetch(resourceUrl, { headers: { [name]: value } });
    const replayBody = (await replay.json()) as { x402Version: number; error: string };
    expect(replay.status).toBe(402);
    expect(replayBody).toMatchObject({ x402Version: 1 });
    expect(replayBody.error).toContain('nonce_already_used');
    expect((await tokenBalance(payeeV1)) - payeeBefore).toBe(BigInt(PRICE));
  });
});
