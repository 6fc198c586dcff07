// An agent buying once through the real API: the operator creates the agent and its token, funds
// it from the faucet when asked, and the agent pays one `exact` requirement of the run's test token.
import { getAddress } from 'viem';
import type request from 'supertest';
import { expect, inject } from 'vitest';

/** One `exact` requirement of the run's test token (USDC, version 2) on the run's chain. */
export function testTokenRequirement(params: { amount: string; payTo: string; maxTimeoutSeconds?: number }) {
  return {
    scheme: 'exact',
    network: `eip155:${inject('chainId')}`,
    amount: params.amount,
    asset: getAddress(inject('tokenAddress')),
    payTo: getAddress(params.payTo),
    maxTimeoutSeconds: params.maxTimeoutSeconds ?? 120,
    extra: { name: 'USDC', version: '2' },
  };
}

export interface AgentPurchase {
  readonly agentId: string;
  /** The agent's wallet address, as the API shows it. */
  readonly agentAddress: string;
  readonly requirement: ReturnType<typeof testTokenRequirement>;
  /** `POST /v1/payments`' 201 body: `paymentId`, `header`, `payload`, `receipt`, … */
  readonly purchase: Record<string, unknown> & {
    paymentId: string;
    receipt: string;
    header: { value: string };
  };
}

/**
 * Creates an agent (funded with `fundAtomic` test USD unless it is null), then buys `amount` for
 * `payTo` at `url`. Fails the test unless every call succeeds.
 */
export async function agentPurchase(params: {
  readonly http: ReturnType<typeof request>;
  readonly adminKey: string;
  readonly amount: string;
  readonly payTo: string;
  readonly url?: string;
  readonly fundAtomic?: string | null;
  readonly maxTimeoutSeconds?: number;
}): Promise<AgentPurchase> {
  const { http } = params;
  const admin = { Authorization: `Bearer ${params.adminKey}` };
  const url = params.url ?? 'https://api.example.com/report';
  const agent = await http
    .post('/v1/agents')
    .set(admin)
    .send({ name: `buyer-${params.amount}` });
  expect(agent.status).toBe(201);
  const token = await http.post(`/v1/agents/${agent.body.id}/tokens`).set(admin).send({ name: 't' });
  expect(token.status).toBe(201);
  const fundAtomic = params.fundAtomic === undefined ? '1000000' : params.fundAtomic;
  if (fundAtomic !== null) {
    await http.post(`/v1/agents/${agent.body.id}/faucet`).set(admin).send({ amount: fundAtomic }).expect(200);
  }
  const requirement = testTokenRequirement({
    amount: params.amount,
    payTo: params.payTo,
    ...(params.maxTimeoutSeconds === undefined ? {} : { maxTimeoutSeconds: params.maxTimeoutSeconds }),
  });
  const purchase = await http
    .post('/v1/payments')
    .set({ Authorization: `Bearer ${token.body.secret}` })
    .send({
      url,
      method: 'get',
      paymentRequired: { x402Version: 2, resource: { url }, accepts: [requirement] },
    });
  expect(purchase.status).toBe(201);
  expect(purchase.body.paymentId).toEqual(expect.any(String));
  return {
    agentId: agent.body.id,
    agentAddress: agent.body.wallet.address,
    requirement,
    purchase: purchase.body,
  };
}
