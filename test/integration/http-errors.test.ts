// Goal: bad input of every kind (text PostgreSQL could not store included) gets a 4xx
// application/problem+json with a stable code, never a 5xx, and writes nothing; health,
// readiness, metrics and the OpenAPI document are served.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '@proco/persistence';
import { classifyInfrastructureError } from '../../apps/api/src/common/classify-infrastructure-error';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

let harness: ApiHarness;
let http: ReturnType<typeof request>;
let adminKey: string;
let agentId: string;

const BODY_LIMIT_BYTES = 2_048;
// Port 1 (tcpmux) is privileged and unused on test machines, so connecting is refused at once.
const CLOSED_PORT = 1;

beforeAll(async () => {
  harness = await startApiHarness({ environment: { PROCO_BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) } });
  http = request(harness.app.getHttpServer());
  ({ adminKey } = await harness.bootstrapOrg());
  const agent = await http
    .post('/v1/agents')
    .set('Authorization', `Bearer ${adminKey}`)
    .send({ name: 'target' });
  agentId = agent.body.id;
});

afterAll(async () => {
  await harness?.close();
});

async function rowCounts() {
  const prisma = harness.app.get(PrismaService);
  const [agents, keys, tokens, audit] = await Promise.all([
    prisma.agent.count(),
    prisma.operatorApiKey.count(),
    prisma.agentToken.count(),
    prisma.auditEvent.count(),
  ]);
  return { agents, keys, tokens, audit };
}

interface BadCase {
  readonly name: string;
  readonly send: () => request.Test;
  readonly status: number;
  readonly code: string;
}

const auth = () => ({ Authorization: `Bearer ${adminKey}` });

const cases: BadCase[] = [
  {
    name: 'unknown field',
    send: () =>
      http.post('/v1/agents').set(auth()).send({ name: 'x', orgId: '00000000-0000-0000-0000-000000000000' }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'wrong type',
    send: () => http.post('/v1/agents').set(auth()).send({ name: 42 }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'missing field',
    send: () => http.post('/v1/agents').set(auth()).send({}),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'mass assignment on update',
    send: () =>
      http
        .patch(`/v1/agents/${agentId}`)
        .set(auth())
        .send({ status: 'active', address: '0x0000000000000000000000000000000000000001' }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'prototype key in metadata',
    send: () =>
      http
        .post('/v1/agents')
        .set(auth())
        .set('Content-Type', 'application/json')
        .send('{"name":"x","metadata":{"__proto__":"y"}}'),
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'NUL in a name',
    send: () => http.post('/v1/agents').set(auth()).send({ name: 'a\u0000b' }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'NUL in a metadata value',
    send: () =>
      http
        .post('/v1/agents')
        .set(auth())
        .send({ name: 'x', metadata: { team: 'a\u0000b' } }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'NUL in a metadata key',
    send: () =>
      http
        .post('/v1/agents')
        .set(auth())
        .send({ name: 'x', metadata: { 'te\u0000am': 'a' } }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'NUL in a renamed agent',
    send: () => http.patch(`/v1/agents/${agentId}`).set(auth()).send({ name: '\u0000' }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'lone surrogate in a name',
    send: () =>
      http
        .post('/v1/agents')
        .set(auth())
        .set('Content-Type', 'application/json')
        .send('{"name":"a\\ud800b"}'),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'NUL in the name filter',
    send: () => http.get('/v1/agents?name=%00').set(auth()),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'NUL in an API key name',
    send: () => http.post('/v1/api-keys').set(auth()).send({ name: 'a\u0000b', scope: 'read' }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'NUL in an agent token name',
    send: () => http.post(`/v1/agents/${agentId}/tokens`).set(auth()).send({ name: 'a\u0000b' }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'malformed JSON',
    send: () => http.post('/v1/agents').set(auth()).set('Content-Type', 'application/json').send('{"name":'),
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'oversized body',
    send: () =>
      http
        .post('/v1/agents')
        .set(auth())
        .send({ name: 'x', metadata: { blob: 'a'.repeat(BODY_LIMIT_BYTES * 2) } }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'non-JSON body',
    send: () => http.post('/v1/agents').set(auth()).set('Content-Type', 'text/plain').send('name=x'),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'malformed id',
    send: () => http.get('/v1/agents/not-a-uuid').set(auth()),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'unknown id',
    send: () => http.get('/v1/agents/5f0c7a8e-2f43-4a43-9d7e-6a3f7f2b9c11').set(auth()),
    status: 404,
    code: 'agent_not_found',
  },
  {
    name: 'bad limit',
    send: () => http.get('/v1/agents?limit=100000').set(auth()),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'bad cursor',
    send: () => http.get('/v1/agents?cursor=%%%').set(auth()),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'unknown query parameter',
    send: () => http.get('/v1/agents?orgId=1').set(auth()),
    status: 400,
    code: 'validation_failed',
  },
  { name: 'no credential', send: () => http.get('/v1/agents'), status: 401, code: 'unauthenticated' },
  {
    name: 'malformed credential',
    send: () => http.get('/v1/agents').set('Authorization', 'Bearer nope'),
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'unknown credential of the right shape',
    send: () => http.get('/v1/agents').set('Authorization', `Bearer proco_op_${'A'.repeat(43)}`),
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'basic auth',
    send: () => http.get('/v1/agents').set('Authorization', 'Basic dXNlcjpwYXNz'),
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'unknown route',
    send: () => http.get('/v1/nothing-here').set(auth()),
    status: 404,
    code: 'route_not_found',
  },
  {
    name: 'faucet amount above the cap',
    send: () =>
      http
        .post(`/v1/agents/${agentId}/faucet`)
        .set(auth())
        .send({ amount: '1'.repeat(30) }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'faucet on an unknown network',
    send: () => http.post(`/v1/agents/${agentId}/faucet`).set(auth()).send({ network: 'eip155:1' }),
    status: 404,
    code: 'network_not_found',
  },
];

describe('bad input', () => {
  it.each(cases)('$name -> $status $code, nothing written', async ({ send, status, code }) => {
    const before = await rowCounts();
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).toMatchObject({
      status,
      code,
      type: expect.stringContaining(code),
      title: expect.any(String),
    });
    expect(await rowCounts()).toEqual(before);
  });

  it('lists every offending field of a validation error', async () => {
    const response = await http
      .post('/v1/agents')
      .set(auth())
      .send({ name: '', metadata: { 'bad key': 1 }, extra: true });
    expect(response.status).toBe(400);
    const fields = (response.body.errors as { field: string }[]).map((error) => error.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'metadata.bad key']));
    expect(response.body.errors.length).toBeGreaterThanOrEqual(3);
  });
});

describe('text the database could store', () => {
  it('accepts constructor and prototype as ordinary metadata keys', async () => {
    const metadata = { constructor: 'kept', prototype: 'kept too' };
    const created = await http.post('/v1/agents').set(auth()).send({ name: 'keys', metadata });
    expect(created.status).toBe(201);
    expect(created.body.metadata).toEqual(metadata);
  });

  it('classifies what PostgreSQL really raises for unstorable text, and an unreachable database', async () => {
    const prisma = harness.app.get(PrismaService);
    const [nulText, nulJson] = await Promise.all([
      prisma.agent.findMany({ where: { name: { contains: '\u0000' } } }).catch((error: unknown) => error),
      prisma.agent
        .updateMany({ where: { id: agentId }, data: { metadata: { team: '\u0000' } } })
        .catch((error: unknown) => error),
    ]);
    expect(classifyInfrastructureError(nulText)).toBe('client_input');
    expect(classifyInfrastructureError(nulJson)).toBe('client_input');
    const unreachable = new PrismaService({
      ...harness.config,
      database: { ...harness.config.database, url: `postgresql://postgres@127.0.0.1:${CLOSED_PORT}/none` },
    });
    try {
      const error = await unreachable.agent.count().catch((thrown: unknown) => thrown);
      expect(classifyInfrastructureError(error)).toBe('unavailable');
    } finally {
      await unreachable.$disconnect();
    }
  });
});

describe('operational endpoints', () => {
  it('serves liveness, readiness with each dependency, and Prometheus metrics', async () => {
    await http.get('/healthz').expect(200, { status: 'up' });
    const ready = await http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ postgres: 'up', redis: 'up', [`rpc:eip155:${84532}`]: 'up' });
    const metrics = await http.get('/metrics');
    expect(metrics.text).toContain('proco_http_request_duration_seconds_bucket');
    expect(metrics.text).toContain('route="/v1/agents/:id"');
  });

  it('publishes the OpenAPI document', async () => {
    const document = await http.get('/docs/openapi.json');
    expect(document.status).toBe(200);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/v1/agents', '/v1/agents/{id}/balances']),
    );
  });

  it('echoes a well-formed request id', async () => {
    const response = await http.get('/healthz').set('X-Request-Id', 'trace-123');
    expect(response.headers['x-request-id']).toBe('trace-123');
  });
});
