// Goal: webhooks end to end, with the API and the worker as production runs them and receivers on
// 127.0.0.1. An agent's payment reaches a registered endpoint as `payment.signed` with a signature
// the exported verifier accepts; a receiver failing twice shows three attempts and ends delivered;
// a receiver that never answers times out and is retried; redelivery and secret rotation work;
// loopback, private, link-local and metadata targets are refused when private hosts are not
// allowed; another org sees a 404 and a read key a 403; the secret never shows in a GET or a log.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createKeyring, openSecret } from '@proco/keys';
import { PostgresHoldStore, PrismaService } from '@proco/persistence';
import { verifyWebhookSignature, WEBHOOK_EVENT_TYPES, WEBHOOK_SECRET_PURPOSE } from '@proco/webhooks';
import request from 'supertest';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebhookSecretsService } from '../../apps/api/src/webhooks/webhook-secrets.service';
import { agentPurchase, testTokenRequirement } from '../support/agent-purchase';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { startWorkerHarness, type WorkerHarness } from '../support/worker-harness';

const WAIT_MS = 15_000;
const TIMEOUT_MS = 800;
const WEBHOOK_ENVIRONMENT = {
  PROCO_WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true',
  PROCO_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
  PROCO_WEBHOOK_RETRY_BASE_MS: '200',
  PROCO_LOG_LEVEL: 'debug',
};

interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let harness: ApiHarness;
let strict: ApiHarness;
let worker: WorkerHarness;
let prisma: PrismaService;
let http: ReturnType<typeof request>;
let receiver: Server;
let receiverUrl = '';
let logDirectory = '';
const received: Received[] = [];
const flakyCalls = { count: 0 };
const secrets: string[] = [];
const keys = { admin: '', read: '' };

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const nowSeconds = () => Math.floor(Date.now() / 1_000);

/** Answers 200 on /ok, 500 twice then 200 on /flaky, and never on /hang. */
function handle(incoming: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
  incoming.on('end', () => {
    const entry = {
      path: incoming.url ?? '',
      headers: incoming.headers,
      body: Buffer.concat(chunks).toString(),
    };
    received.push(entry);
    if (entry.path === '/hang') return;
    if (entry.path === '/flaky') {
      flakyCalls.count += 1;
      response.writeHead(flakyCalls.count <= 2 ? 500 : 200).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
  });
}

/** Polls until `read` returns something `done` accepts, or fails after `WAIT_MS`. */
async function eventually<Value>(
  read: () => Promise<Value> | Value,
  done: (value: Value) => boolean,
): Promise<Value> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${WAIT_MS} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function createEndpoint(body: Record<string, unknown>, key = keys.admin) {
  const response = await http.post('/v1/webhooks').set(bearer(key)).send(body);
  if (response.status === 201) secrets.push(response.body.secret as string);
  return response;
}

async function deliveriesOf(endpointId: string) {
  const response = await http.get(`/v1/webhooks/${endpointId}/deliveries`).set(bearer(keys.read)).expect(200);
  return response.body.items as {
    id: string;
    eventId: string;
    eventType: string;
    status: string;
    attempts: number;
    attemptsLeft: number;
    attemptLog: { attempt: number; statusCode: number | null; error: string | null; durationMs: number }[];
  }[];
}

async function sendTest(endpointId: string): Promise<string> {
  const response = await http.post(`/v1/webhooks/${endpointId}/test`).set(bearer(keys.admin)).expect(202);
  expect(response.body).toMatchObject({ eventType: 'webhook.test', status: 'pending' });
  return response.body.id as string;
}

beforeAll(async () => {
  logDirectory = mkdtempSync(path.join(tmpdir(), 'proco-webhooks-'));
  receiver = createServer(handle);
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  harness = await startApiHarness({
    environment: { ...WEBHOOK_ENVIRONMENT, PROCO_LOG_FILE: path.join(logDirectory, 'api.log') },
  });
  worker = await startWorkerHarness({
    databaseUrl: harness.database.url,
    redisPrefix: harness.config.redis.prefix,
    masterKeyBase64: harness.masterKeyBase64,
    environment: { ...WEBHOOK_ENVIRONMENT, PROCO_LOG_FILE: path.join(logDirectory, 'worker.log') },
  });
  // The production rule: no private targets (the same database, so the same orgs and keys).
  strict = await startApiHarness({ database: harness.database, masterKeyBase64: harness.masterKeyBase64 });
  prisma = harness.app.get(PrismaService);
  http = request(harness.app.getHttpServer());
  const org = await harness.bootstrapOrg('Hooks');
  keys.admin = org.adminKey;
  const read = await http
    .post('/v1/api-keys')
    .set(bearer(keys.admin))
    .send({ name: 'reader', scope: 'read' });
  keys.read = read.body.secret;
});

afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) =>
    receiver === undefined ? resolve() : receiver.close(() => resolve()),
  );
  await worker?.close();
  await strict?.close();
  await harness?.close();
  if (logDirectory !== '') rmSync(logDirectory, { recursive: true, force: true });
});

describe('webhooks', () => {
  let okEndpointId = '';
  let flakyEndpointId = '';
  let paymentDeliveryId = '';

  it('registers an endpoint, shows its secret once and never again', async () => {
    const created = await createEndpoint({
      url: `${receiverUrl}/ok`,
      events: ['payment.signed', 'approval.required', 'payment.signed'],
      description: 'orders service',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: `${receiverUrl}/ok`,
      events: ['approval.required', 'payment.signed'],
      status: 'active',
      description: 'orders service',
    });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    okEndpointId = created.body.id;

    const listed = await http.get('/v1/webhooks').set(bearer(keys.read)).expect(200);
    const found = await http.get(`/v1/webhooks/${okEndpointId}`).set(bearer(keys.read)).expect(200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual([okEndpointId]);
    for (const body of [listed.text, found.text]) expect(body).not.toContain(created.body.secret);
    expect(found.body).not.toHaveProperty('secret');
    const stored = await prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: okEndpointId } });
    expect(Buffer.from(stored.secretCiphertext).toString('latin1')).not.toContain(created.body.secret);
  });

  it('refuses unknown fields, unknown events and a read key', async () => {
    const extra = await createEndpoint({ url: `${receiverUrl}/ok`, secret: 'whsec_mine' });
    expect(extra.body).toMatchObject({ status: 400, code: 'validation_failed' });
    const unknownEvent = await createEndpoint({ url: `${receiverUrl}/ok`, events: ['agent.created'] });
    expect(unknownEvent.body).toMatchObject({ status: 400, code: 'validation_failed' });
    const readOnly = await createEndpoint({ url: `${receiverUrl}/ok` }, keys.read);
    expect(readOnly.status).toBe(403);
    await http.post(`/v1/webhooks/${okEndpointId}/rotate-secret`).set(bearer(keys.read)).expect(403);
  });

  it("delivers an agent's payment as payment.signed with a valid signature", async () => {
    const flaky = await createEndpoint({ url: `${receiverUrl}/flaky`, events: ['hold.expired'] });
    flakyEndpointId = flaky.body.id;
    const agent = await http.post('/v1/agents').set(bearer(keys.admin)).send({ name: 'buyer' }).expect(201);
    const token = await http
      .post(`/v1/agents/${agent.body.id}/tokens`)
      .set(bearer(keys.admin))
      .send({ name: 't' });
    const requirement = {
      scheme: 'exact',
      network: `eip155:${inject('chainId')}`,
      amount: '5000',
      asset: getAddress(inject('tokenAddress')),
      payTo: getAddress('0x000000000000000000000000000000000000dEaD'),
      maxTimeoutSeconds: 120,
      extra: { name: 'USDC', version: '2' },
    };
    const purchase = await http
      .post('/v1/payments')
      .set(bearer(token.body.secret))
      .send({
        url: 'https://api.example.com/weather',
        method: 'get',
        paymentRequired: {
          x402Version: 2,
          resource: { url: 'https://api.example.com/weather' },
          accepts: [requirement],
        },
      });
    expect(purchase.status).toBe(201);

    const delivery = await eventually(
      () => received.find((entry) => entry.headers['proco-event-type'] === 'payment.signed'),
      (entry) => entry !== undefined,
    );
    const body = JSON.parse(delivery!.body);
    expect(body).toMatchObject({
      type: 'payment.signed',
      orgId: expect.any(String),
      createdAt: expect.any(String),
      data: { paymentId: purchase.body.paymentId, agentId: agent.body.id, amountAtomic: '5000' },
    });
    expect(delivery!.path).toBe('/ok');
    expect(delivery!.headers['proco-event-id']).toBe(body.id);
    expect(delivery!.headers['content-type']).toBe('application/json');
    const header = String(delivery!.headers['proco-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const verification = verifyWebhookSignature({
      secret: secrets[0]!,
      header,
      body: delivery!.body,
      nowSeconds: nowSeconds(),
    });
    expect(verification.ok).toBe(true);
    expect(
      verifyWebhookSignature({ secret: secrets[1]!, header, body: delivery!.body, nowSeconds: nowSeconds() })
        .ok,
    ).toBe(false);

    const [listed] = await eventually(
      () => deliveriesOf(okEndpointId),
      (items) => items[0]?.status === 'delivered',
    );
    expect(listed).toMatchObject({ eventId: body.id, eventType: 'payment.signed', attempts: 1 });
    expect(listed!.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: 200, error: null }),
    ]);
    paymentDeliveryId = listed!.id;
    // The endpoint subscribed to hold.expired only got nothing of this.
    expect(received.filter((entry) => entry.path === '/flaky')).toEqual([]);
  });

  it('retries a receiver that fails twice and shows every attempt', async () => {
    const deliveryId = await sendTest(flakyEndpointId);
    const delivered = await eventually(
      () => deliveriesOf(flakyEndpointId),
      (items) => items.find((item) => item.id === deliveryId)?.status === 'delivered',
    );
    const delivery = delivered.find((item) => item.id === deliveryId)!;
    expect(delivery.attempts).toBe(3);
    expect(delivery.attemptLog.map((attempt) => [attempt.attempt, attempt.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect(delivery.attemptLog[0]!.error).toBe('the receiver answered 500');
    const calls = received.filter((entry) => entry.path === '/flaky');
    expect(new Set(calls.map((entry) => entry.headers['proco-event-id'])).size).toBe(1);
    expect(JSON.parse(calls[0]!.body)).toMatchObject({
      type: 'webhook.test',
      data: { endpointId: flakyEndpointId },
    });
  });

  it('times out a receiver that never answers and tries again', async () => {
    const hanging = await createEndpoint({ url: `${receiverUrl}/hang`, events: ['*'] });
    const deliveryId = await sendTest(hanging.body.id);
    const items = await eventually(
      () => deliveriesOf(hanging.body.id),
      (list) => (list.find((item) => item.id === deliveryId)?.attemptLog.length ?? 0) >= 2,
    );
    const delivery = items.find((item) => item.id === deliveryId)!;
    expect(delivery.status).toBe('pending');
    for (const attempt of delivery.attemptLog.slice(0, 2)) {
      expect(attempt.statusCode).toBeNull();
      expect(attempt.error).toMatch(/^timeout/);
      expect(attempt.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    }
    // Disabled, its deliveries wait: no further attempt is made.
    await http
      .patch(`/v1/webhooks/${hanging.body.id}`)
      .set(bearer(keys.admin))
      .send({ enabled: false })
      .expect(200);
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 3));
    const settled = (await deliveriesOf(hanging.body.id)).find((item) => item.id === deliveryId)!;
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 2));
    const later = (await deliveriesOf(hanging.body.id)).find((item) => item.id === deliveryId)!;
    expect(later.attempts).toBe(settled.attempts);
    await http.delete(`/v1/webhooks/${hanging.body.id}`).set(bearer(keys.admin)).expect(200);
  });

  it('redelivers a delivered event under the same id', async () => {
    const before = received.filter((entry) => entry.headers['proco-event-type'] === 'payment.signed').length;
    const redelivered = await http
      .post(`/v1/webhooks/${okEndpointId}/deliveries/${paymentDeliveryId}/redeliver`)
      .set(bearer(keys.admin))
      .expect(202);
    expect(redelivered.body).toMatchObject({ id: paymentDeliveryId, status: 'pending' });
    const again = await eventually(
      () => received.filter((entry) => entry.headers['proco-event-type'] === 'payment.signed'),
      (list) => list.length > before,
    );
    expect(again.at(-1)!.headers['proco-event-id']).toBe(again[0]!.headers['proco-event-id']);
    const [delivery] = await eventually(
      () => deliveriesOf(okEndpointId),
      (list) => list[0]?.status === 'delivered' && list[0].attempts === 2,
    );
    expect(delivery!.attemptLog.map((attempt) => attempt.attempt)).toEqual([1, 2]);
  });

  it('signs with the new and the previous secret after a rotation', async () => {
    const rotated = await http
      .post(`/v1/webhooks/${okEndpointId}/rotate-secret`)
      .set(bearer(keys.admin))
      .expect(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.previousSecretExpiresAt).toEqual(expect.any(String));
    secrets.push(rotated.body.secret);
    const deliveryId = await sendTest(okEndpointId);
    const delivery = await eventually(
      () => received.find((entry) => entry.headers['proco-delivery-id'] === deliveryId),
      (entry) => entry !== undefined,
    );
    const header = String(delivery!.headers['proco-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    for (const secret of [rotated.body.secret as string, secrets[0]!]) {
      expect(
        verifyWebhookSignature({ secret, header, body: delivery!.body, nowSeconds: nowSeconds() }).ok,
      ).toBe(true);
    }
    // Rotating again with no grace retires the previous secret at once.
    const cut = await http
      .post(`/v1/webhooks/${okEndpointId}/rotate-secret`)
      .set(bearer(keys.admin))
      .send({ previousSecretLifetimeSeconds: 0 })
      .expect(200);
    secrets.push(cut.body.secret);
    expect(cut.body.previousSecretExpiresAt).toBeNull();
  });

  it("hides an org's endpoints and deliveries from another org (404, no effect)", async () => {
    const other = await harness.bootstrapOrg('Other');
    const as = bearer(other.adminKey);
    const base = `/v1/webhooks/${okEndpointId}`;
    const calls = [
      http.get(base).set(as),
      http.patch(base).set(as).send({ enabled: false }),
      http.delete(base).set(as),
      http.post(`${base}/rotate-secret`).set(as),
      http.post(`${base}/test`).set(as),
      http.get(`${base}/deliveries`).set(as),
      http.get(`${base}/deliveries/${paymentDeliveryId}`).set(as),
      http.post(`${base}/deliveries/${paymentDeliveryId}/redeliver`).set(as),
    ];
    for (const response of await Promise.all(calls)) {
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('webhook_endpoint_not_found');
    }
    expect((await http.get('/v1/webhooks').set(as).expect(200)).body.items).toEqual([]);
    const mine = await http.get(base).set(bearer(keys.admin)).expect(200);
    expect(mine.body.status).toBe('active');
    const other404 = await http
      .get(`/v1/webhooks/${flakyEndpointId}/deliveries/${paymentDeliveryId}`)
      .set(bearer(keys.read));
    expect(other404.body.code).toBe('webhook_delivery_not_found');
  });

  it('refuses internal targets when private hosts are not allowed', async () => {
    const org = await strict.bootstrapOrg('Strict');
    const strictHttp = request(strict.app.getHttpServer());
    const targets = [
      'http://127.0.0.1:8080/hook',
      'http://10.0.0.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/hook',
      'http://localhost:3000/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://2130706433/hook',
    ];
    for (const url of targets) {
      const response = await strictHttp.post('/v1/webhooks').set(bearer(org.adminKey)).send({ url });
      expect({
        url,
        status: response.status,
        code: response.body.code,
        reason: response.body.reason,
      }).toEqual({
        url,
        status: 400,
        code: 'webhook_url_refused',
        reason: 'address_not_allowed',
      });
    }
    const credentials = await strictHttp
      .post('/v1/webhooks')
      .set(bearer(org.adminKey))
      .send({ url: 'https://user:pass@hooks.example.com/' });
    expect(credentials.body).toMatchObject({
      code: 'webhook_url_refused',
      reason: 'credentials_not_allowed',
    });
    expect(await prisma.webhookEndpoint.count({ where: { orgId: org.orgId } })).toBe(0);
  });

  it('delivers only webhook events, never its own audit events, and keeps secrets out of logs', async () => {
    const types = await prisma.webhookDelivery.findMany({
      select: { eventType: true },
      distinct: ['eventType'],
    });
    const allowed = new Set<string>([...WEBHOOK_EVENT_TYPES, 'webhook.test']);
    for (const { eventType } of types) expect(allowed.has(eventType)).toBe(true);
    const audited = await prisma.auditEvent.findMany({ where: { action: { startsWith: 'webhook.' } } });
    expect(audited.map((event) => event.action)).toEqual(
      expect.arrayContaining([
        'webhook.created',
        'webhook.updated',
        'webhook.deleted',
        'webhook.secret_rotated',
      ]),
    );
    const logs = ['api.log', 'worker.log'].map((name) => readFileSync(path.join(logDirectory, name), 'utf8'));
    expect(logs.join('').length).toBeGreaterThan(0);
    const auditText = JSON.stringify(audited.map((event) => event.data));
    for (const secret of secrets) {
      for (const text of [...logs, auditText]) expect(text.includes(secret)).toBe(false);
    }
    expect(secrets.length).toBeGreaterThanOrEqual(5);
  });

  it('re-wraps endpoint secrets under a new master key, which then opens them alone', async () => {
    const masterKeyB = randomBytes(32).toString('base64');
    const rotating = await startApiHarness({
      database: harness.database,
      masterKeyBase64: masterKeyB,
      environment: { PROCO_PREVIOUS_MASTER_KEYS: harness.masterKeyBase64 },
    });
    try {
      const service = rotating.app.get(WebhookSecretsService);
      const first = await service.rotateMasterKey();
      expect(first.rewrapped).toBeGreaterThanOrEqual(2);
      expect(first.skipped).toEqual([]);
      expect((await service.rotateMasterKey()).rewrapped).toBe(0);
      const onlyB = createKeyring({ activeKey: Buffer.from(masterKeyB, 'base64') });
      const row = await prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: okEndpointId } });
      const opened = openSecret({
        keyring: onlyB,
        purpose: WEBHOOK_SECRET_PURPOSE,
        scope: { orgId: row.orgId, id: row.id },
        sealed: {
          ciphertext: Uint8Array.from(row.secretCiphertext),
          dataKeyCiphertext: Uint8Array.from(row.secretDataKeyCiphertext),
          kekId: row.secretKekId,
        },
      });
      expect(opened.toString('utf8')).toBe(secrets.at(-1));
    } finally {
      await rotating.close();
    }
  });
  it('delivers payment.settled once the payment settles on chain', async () => {
    const endpoint = await createEndpoint({ url: `${receiverUrl}/settled`, events: ['payment.settled'] });
    expect(endpoint.status).toBe(201);
    const { purchase } = await agentPurchase({
      http,
      adminKey: keys.admin,
      amount: '7000',
      payTo: '0x000000000000000000000000000000000000bEEF',
    });
    // The seller hands the receipt back for settlement; the worker settles and posts the hold.
    await http
      .post('/v1/settlements')
      .set(bearer(keys.admin))
      .send({ receipt: purchase.receipt })
      .expect(202);

    const delivery = await eventually(
      () => received.find((entry) => entry.path === '/settled'),
      (entry) => entry !== undefined,
    );
    const body = JSON.parse(delivery!.body);
    expect(body).toMatchObject({ type: 'payment.settled', data: { paymentId: purchase.paymentId } });
    expect(delivery!.headers['proco-event-type']).toBe('payment.settled');
    expect(
      verifyWebhookSignature({
        secret: endpoint.body.secret,
        header: String(delivery!.headers['proco-signature']),
        body: delivery!.body,
        nowSeconds: nowSeconds(),
      }).ok,
    ).toBe(true);
  });
  it('delivers approval.required for a held payment and hold.expired when a hold expires', async () => {
    const endpoint = await createEndpoint({
      url: `${receiverUrl}/later`,
      events: ['approval.required', 'hold.expired'],
    });
    expect(endpoint.status).toBe(201);
    const eventsAt = (type: string, paymentId: string) =>
      received.filter((entry) => {
        if (entry.path !== '/later' || entry.headers['proco-event-type'] !== type) return false;
        return (JSON.parse(entry.body) as { data: { paymentId?: string } }).data.paymentId === paymentId;
      });

    // Held: the agent's own policy asks for approval above 100 atomic units.
    const agent = await http.post('/v1/agents').set(bearer(keys.admin)).send({ name: 'careful' }).expect(201);
    const token = await http
      .post(`/v1/agents/${agent.body.id}/tokens`)
      .set(bearer(keys.admin))
      .send({ name: 't' })
      .expect(201);
    await http
      .put(`/v1/policies/agents/${agent.body.id}`)
      .set(bearer(keys.admin))
      .send({
        approvalThreshold: {
          perAsset: [
            { network: `eip155:${inject('chainId')}`, asset: inject('tokenAddress'), aboveAtomic: '100' },
          ],
        },
      })
      .expect(200);
    const requirement = testTokenRequirement({
      amount: '5000',
      payTo: '0x000000000000000000000000000000000000bEEF',
    });
    const held = await http
      .post('/v1/payments')
      .set(bearer(token.body.secret))
      .send({
        url: 'https://api.example.com/big',
        method: 'get',
        paymentRequired: {
          x402Version: 2,
          resource: { url: 'https://api.example.com/big' },
          accepts: [requirement],
        },
      });
    expect(held.status).toBe(202);
    const [approval] = await eventually(
      () => eventsAt('approval.required', held.body.paymentId),
      (found) => found.length > 0,
    );
    expect(JSON.parse(approval!.body)).toMatchObject({ type: 'approval.required' });

    // Expired: a signed payment nobody settled, its hold swept at a clock past its validBefore.
    const { purchase } = await agentPurchase({
      http,
      adminKey: keys.admin,
      amount: '6000',
      payTo: '0x000000000000000000000000000000000000bEEF',
      fundAtomic: null,
    });
    await harness.app.get(PostgresHoldStore).expireDue({ now: new Date(Date.now() + 3_600_000), limit: 500 });
    const [expiry] = await eventually(
      () => eventsAt('hold.expired', purchase.paymentId),
      (found) => found.length > 0,
    );
    expect(
      verifyWebhookSignature({
        secret: endpoint.body.secret,
        header: String(expiry!.headers['proco-signature']),
        body: expiry!.body,
        nowSeconds: nowSeconds(),
      }).ok,
    ).toBe(true);
  });
});
