// Goal: the API on an RPC that stops answering after boot. Balances read each network in one
// Multicall3 call plus one native read; once the RPC is gone the faucet answers 503
// rpc_unavailable (not a 500), balances report the network unavailable, and no log line carries
// the RPC URL's path, where providers put API keys.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MULTICALL3_ADDRESS } from '@proco/evm';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { type RpcProxy, startRpcProxy } from '../support/rpc-proxy';

const RPC_SECRET = 'sk-live-rpc-secret-42';

let proxy: RpcProxy;
let harness: ApiHarness;
let http: ReturnType<typeof request>;
let adminKey: string;
let directory: string;
let logFile: string;

beforeAll(async () => {
  proxy = await startRpcProxy({ upstreamUrl: inject('rpcUrl') });
  directory = mkdtempSync(join(tmpdir(), 'proco-rpc-failures-'));
  logFile = join(directory, 'api.log');
  // The run's networks file, with the RPC behind the proxy and a key in the path, as providers do.
  const networks = JSON.parse(readFileSync(inject('networksFile'), 'utf8')) as {
    networks: { rpcUrl: string }[];
  };
  for (const network of networks.networks) network.rpcUrl = `${proxy.url}/v2/${RPC_SECRET}`;
  const networksFile = join(directory, 'networks.json');
  writeFileSync(networksFile, JSON.stringify(networks));
  harness = await startApiHarness({
    environment: { PROCO_NETWORKS_FILE: networksFile, PROCO_LOG_LEVEL: 'warn', PROCO_LOG_FILE: logFile },
  });
  http = request(harness.app.getHttpServer());
  ({ adminKey } = await harness.bootstrapOrg());
});

afterAll(async () => {
  await harness?.close();
  await proxy?.stop();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

const auth = () => ({ Authorization: `Bearer ${adminKey}` });

async function createAgent(): Promise<string> {
  const created = await http.post('/v1/agents').set(auth()).send({ name: 'rpc-agent' });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

describe('an RPC that answers', () => {
  it('reads token balances in one Multicall3 call per network, plus the native balance', async () => {
    const agentId = await createAgent();
    proxy.calls.length = 0;
    const balances = await http.get(`/v1/agents/${agentId}/balances`).set(auth());
    expect(balances.status).toBe(200);
    expect(balances.body.unavailable).toEqual([]);
    const methods = proxy.calls.map((call) => call.method).sort();
    expect(methods).toEqual(['eth_call', 'eth_getBalance']);
    const target = (proxy.calls.find((call) => call.method === 'eth_call')?.params[0] as { to: string }).to;
    expect(target.toLowerCase()).toBe(MULTICALL3_ADDRESS.toLowerCase());
  });
});

describe('an RPC that stopped answering', () => {
  it('answers the faucet with 503 rpc_unavailable and balances with the network unavailable', async () => {
    const agentId = await createAgent();
    await proxy.stop();

    const funded = await http.post(`/v1/agents/${agentId}/faucet`).set(auth()).send({});
    expect(funded.status).toBe(503);
    expect(funded.headers['content-type']).toContain('application/problem+json');
    expect(funded.body.code).toBe('rpc_unavailable');
    expect(JSON.stringify(funded.body)).not.toContain(RPC_SECRET);

    const balances = await http.get(`/v1/agents/${agentId}/balances`).set(auth());
    expect(balances.status).toBe(200);
    expect(balances.body.balances).toEqual([]);
    expect(balances.body.unavailable).toEqual([
      { network: expect.stringMatching(/^eip155:/), code: 'rpc_unavailable' },
    ]);
  });

  it('logged the failure with the RPC host but without its path', () => {
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('rpc_unavailable');
    expect(log).toContain(proxy.url);
    expect(log).not.toContain(RPC_SECRET);
  });
});
