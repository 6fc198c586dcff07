// Goal: receipt keys end to end on a real database. The JWKS is public, short-cached and holds no
// private member; a receipt the service signs verifies offline against it; rotation switches the
// kid while receipts of the retired key keep verifying until its publication window closes, then
// fail with receipt_key_unknown; replicas booting together on an empty table create exactly one
// active key; the private key is stored only sealed, and master-key rotation re-wraps it.
import { createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { deriveKekId } from '@proco/keys';
import { PrismaService, type ReceiptSigningKey } from '@proco/persistence';
import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiptKeysService } from '../../apps/api/src/receipts/receipt-keys.service';
import {
  isReceiptError,
  RECEIPT_LIFETIME_MAX_SECONDS,
  type UnsignedReceiptClaims,
  verifyReceipt,
} from '@proco/receipts';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { createTestDatabase } from '../support/database';

const execFileAsync = promisify(execFile);
const DUMP_SIZE_MAX_BYTES = 64 * 1024 * 1024;
/** Members of a private JWK (EC, OKP, RSA, oct) that must never be published. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

let harness: ApiHarness;
let http: ReturnType<typeof request>;

beforeAll(async () => {
  harness = await startApiHarness();
  http = request(harness.app.getHttpServer());
});

afterAll(async () => {
  await harness?.close();
});

function buildClaims(): Omit<UnsignedReceiptClaims, 'iss'> {
  const paymentId = randomUUID();
  return {
    sub: paymentId,
    jti: paymentId,
    payment: {
      orgId: randomUUID(),
      agentId: randomUUID(),
      payer: '0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf',
      payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
      amount: '10000',
      asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
      network: 'eip155:84532',
      resourceUrl: 'https://api.seller.example/v1/weather',
      method: 'GET',
      nonce: `0x${randomBytes(32).toString('hex')}`,
      decision: 'allow',
    },
  };
}

async function servedJwks(): Promise<{ keys: JWK[] }> {
  const response = await http.get('/.well-known/jwks.json').expect(200);
  return response.body as { keys: JWK[] };
}

async function verifyAgainstServedJwks(token: string) {
  return verifyReceipt({
    token,
    keys: await servedJwks(),
    issuer: harness.config.api.publicUrl,
    now: new Date(),
  });
}

async function keyRows(target: ApiHarness = harness): Promise<ReceiptSigningKey[]> {
  return target.app.get(PrismaService).receiptSigningKey.findMany({ orderBy: { createdAt: 'asc' } });
}

/** Decrypts a v1 envelope exactly as libs/keys/src/envelope.ts documents it, with node:crypto only. */
function openV1Envelope(params: { key: Uint8Array; envelope: Uint8Array; associatedData: string }): Buffer {
  const envelope = Buffer.from(params.envelope);
  expect(envelope[0]).toBe(1);
  const decipher = createDecipheriv('aes-256-gcm', params.key, envelope.subarray(1, 13));
  decipher.setAAD(Buffer.from(params.associatedData, 'utf8'));
  decipher.setAuthTag(envelope.subarray(envelope.length - 16));
  return Buffer.concat([decipher.update(envelope.subarray(13, envelope.length - 16)), decipher.final()]);
}

/** The private JWK of a row, decrypted with the master key and secret-binding.ts associated data. */
function revealPrivateJwk(params: { masterKey: Buffer; row: ReceiptSigningKey }): JWK {
  const aad = (purpose: string): string =>
    JSON.stringify(['proco-keys', '1', purpose, 'system', params.row.kid]);
  const dataKey = openV1Envelope({
    key: params.masterKey,
    envelope: params.row.dataKeyCiphertext,
    associatedData: aad('receipt_signing_data_key'),
  });
  const plaintext = openV1Envelope({
    key: dataKey,
    envelope: params.row.privateKeyCiphertext,
    associatedData: aad('receipt_signing_key'),
  });
  return JSON.parse(plaintext.toString('utf8')) as JWK;
}

describe('JWKS', () => {
  it('is served without a credential, cached briefly, with kid, alg, use and no private member', async () => {
    const response = await http.get('/.well-known/jwks.json').expect(200);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    expect(response.headers['content-type']).toContain('application/json');
    const keys = response.body.keys as Record<string, unknown>[];
    expect(keys).toHaveLength(1);
    for (const key of keys) {
      expect(key).toMatchObject({
        kid: expect.any(String),
        alg: 'ES256',
        use: 'sig',
        kty: 'EC',
        crv: 'P-256',
      });
      for (const member of PRIVATE_JWK_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    const [row] = await keyRows();
    expect(keys[0]?.['kid']).toBe(row?.kid);
  });
});

describe('signing and rotation', () => {
  let retiredKid: string;
  let signedBeforeRotation: string;

  it('signs receipts that verify offline against the served JWKS', async () => {
    const claims = buildClaims();
    const token = await harness.app.get(ReceiptKeysService).sign({ claims });
    const result = await verifyAgainstServedJwks(token);
    expect(result.claims).toMatchObject({ ...claims, iss: harness.config.api.publicUrl });
    expect(result.claims.exp - result.claims.iat).toBe(600);
    const [row] = await keyRows();
    expect(result.kid).toBe(row?.kid);
    retiredKid = result.kid;
    signedBeforeRotation = token;
  });

  it('rotates: new receipts carry the new kid, old receipts still verify, both keys are published', async () => {
    const service = harness.app.get(ReceiptKeysService);
    const rotatedAt = Date.now();
    const rotation = await service.rotate();
    expect(rotation.kid).not.toBe(retiredKid);
    expect(rotation.retired?.kid).toBe(retiredKid);

    const token = await service.sign({ claims: buildClaims() });
    expect(decodeProtectedHeader(token).kid).toBe(rotation.kid);
    await expect(verifyAgainstServedJwks(token)).resolves.toMatchObject({ kid: rotation.kid });
    await expect(verifyAgainstServedJwks(signedBeforeRotation)).resolves.toMatchObject({ kid: retiredKid });

    const jwks = await servedJwks();
    expect(jwks.keys.map((key) => key.kid)).toEqual([rotation.kid, retiredKid]);
    const rows = await keyRows();
    expect(rows.map((row) => [row.kid, row.status, row.activeSlot])).toEqual([
      [retiredKid, 'retired', null],
      [rotation.kid, 'active', true],
    ]);
    // Published for at least the longest receipt lifetime after retirement.
    const publishUntil = rows[0]?.publishUntil?.getTime() ?? 0;
    expect(publishUntil - rotatedAt).toBeGreaterThan(RECEIPT_LIFETIME_MAX_SECONDS * 1_000);
  });

  it('records the creation and the rotation in the system audit chain, which verifies', async () => {
    const prisma = harness.app.get(PrismaService);
    const events = await prisma.auditEvent.findMany({
      where: { chain: 'system', subjectType: 'receipt_signing_key' },
      orderBy: { sequence: 'asc' },
    });
    expect(events.map((event) => event.action)).toEqual([
      'receipt_signing_key.created',
      'receipt_signing_key.rotated',
    ]);
    expect(events[1]?.data).toMatchObject({ retiredKid });
    const { AuditLogRepository } = await import('@proco/persistence');
    await expect(harness.app.get(AuditLogRepository).verifyChain('system')).resolves.toMatchObject({
      ok: true,
    });
  });

  it('withdraws the retired key once publish_until passes; its receipts then fail with receipt_key_unknown', async () => {
    await harness.app.get(PrismaService).receiptSigningKey.update({
      where: { kid: retiredKid },
      data: { publishUntil: new Date(Date.now() - 1_000) },
    });
    const jwks = await servedJwks();
    expect(jwks.keys.map((key) => key.kid)).not.toContain(retiredKid);
    expect(jwks.keys).toHaveLength(1);
    const failure = await verifyAgainstServedJwks(signedBeforeRotation).catch((error: unknown) => error);
    expect(isReceiptError(failure, ['receipt_key_unknown'])).toBe(true);
  });
});

describe('custody', () => {
  it('stores the private key only sealed: the row decrypts to the key of its kid, no plaintext anywhere', async () => {
    const masterKey = Buffer.from(harness.masterKeyBase64, 'base64');
    const rows = await keyRows();
    expect(rows.length).toBeGreaterThan(0);
    const { stdout: dump } = await execFileAsync(
      'pg_dump',
      ['--data-only', '--no-owner', '--dbname', harness.database.url],
      { maxBuffer: DUMP_SIZE_MAX_BYTES },
    );
    for (const row of rows) {
      expect(row.kekId).toBe(deriveKekId({ key: masterKey }));
      const privateJwk = revealPrivateJwk({ masterKey, row });
      expect(await calculateJwkThumbprint(privateJwk, 'sha256')).toBe(row.kid);
      const secret = privateJwk.d ?? '';
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const secretBytes = Buffer.from(secret, 'base64url');
      for (const haystack of [dump, JSON.stringify(row.publicJwk)]) {
        expect(haystack).not.toContain(secret);
        expect(haystack.toLowerCase()).not.toContain(secretBytes.toString('hex'));
      }
      for (const column of [row.privateKeyCiphertext, row.dataKeyCiphertext]) {
        expect(Buffer.from(column).includes(secretBytes)).toBe(false);
        expect(Buffer.from(column).includes(Buffer.from(secret))).toBe(false);
      }
      // The dump does hold the row: its kid and its ciphertext as bytea hex.
      expect(dump).toContain(row.kid);
      expect(dump).toContain(`\\x${Buffer.from(row.privateKeyCiphertext).toString('hex')}`);
    }
  });

  it('re-wraps receipt keys under a new master key; an app holding only that key signs', async () => {
    const masterKeyB = randomBytes(32).toString('base64');
    const rotating = await startApiHarness({
      database: harness.database,
      masterKeyBase64: masterKeyB,
      environment: { PROCO_PREVIOUS_MASTER_KEYS: harness.masterKeyBase64 },
    });
    try {
      const before = await keyRows(rotating);
      const result = await rotating.app.get(ReceiptKeysService).rotateMasterKey();
      expect(result).toEqual({
        rewrapped: before.length,
        skipped: [],
        activeKekId: deriveKekId({ key: Buffer.from(masterKeyB, 'base64') }),
      });
      const after = await keyRows(rotating);
      after.forEach((row, index) => {
        expect(row.kekId).toBe(result.activeKekId);
        expect(
          Buffer.from(row.privateKeyCiphertext).equals(
            Buffer.from(before[index]?.privateKeyCiphertext ?? []),
          ),
        ).toBe(true);
      });
      await expect(rotating.app.get(ReceiptKeysService).rotateMasterKey()).resolves.toMatchObject({
        rewrapped: 0,
      });
    } finally {
      await rotating.close();
    }
    const onlyB = await startApiHarness({ database: harness.database, masterKeyBase64: masterKeyB });
    try {
      const token = await onlyB.app.get(ReceiptKeysService).sign({ claims: buildClaims() });
      await expect(verifyAgainstServedJwks(token)).resolves.toBeDefined();
    } finally {
      await onlyB.close();
    }
    // The first app, holding only the old master key, now reports signing as unavailable.
    const failure = await harness.app
      .get(ReceiptKeysService)
      .sign({ claims: buildClaims() })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    // Its cached signer may still be warm (it opened the key before the re-wrap), which is fine:
    // the key itself did not change. Only a cold open must fail, with a typed code.
    if (failure !== undefined) expect(failure).toMatchObject({ code: 'receipt_signing_unavailable' });
  });
});

describe('concurrent boot', () => {
  it('leaves exactly one active key when replicas boot together on an empty table', async () => {
    const database = await createTestDatabase();
    const masterKeyBase64 = randomBytes(32).toString('base64');
    const replicas: ApiHarness[] = [];
    try {
      const started = await Promise.allSettled(
        [0, 1, 2].map(() => startApiHarness({ database, masterKeyBase64 })),
      );
      for (const outcome of started) if (outcome.status === 'fulfilled') replicas.push(outcome.value);
      // A refused boot shows its reason, not only its status.
      const outcomes = started.map((outcome) =>
        outcome.status === 'fulfilled' ? 'fulfilled' : `rejected: ${String(outcome.reason)}`,
      );
      expect(outcomes).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const rows = await keyRows(replicas[0]);
      expect(rows.filter((row) => row.status === 'active')).toHaveLength(1);
      expect(rows).toHaveLength(1);
      // Every replica signs with that key.
      for (const replica of replicas) {
        const token = await replica.app.get(ReceiptKeysService).sign({ claims: buildClaims() });
        expect(decodeProtectedHeader(token).kid).toBe(rows[0]?.kid);
      }

      // Again from an empty table, with many concurrent ensure calls across the replicas.
      await replicas[0]!.app.get(PrismaService).receiptSigningKey.deleteMany({});
      const ensured = await Promise.all(
        replicas.flatMap((replica) =>
          Array.from({ length: 4 }, () => replica.app.get(ReceiptKeysService).ensureActiveKey()),
        ),
      );
      const kids = new Set(ensured.map((row) => row.kid));
      expect(kids.size).toBe(1);
      const after = await keyRows(replicas[0]);
      expect(after.map((row) => [row.kid, row.status])).toEqual([[[...kids][0], 'active']]);
    } finally {
      for (const replica of replicas) await replica.close();
      await database.drop();
    }
  });

  it('refuses a second active key at the database, even from a writer that skips the lock', async () => {
    const prisma = harness.app.get(PrismaService);
    const [active] = await prisma.receiptSigningKey.findMany({ where: { status: 'active' } });
    expect(active).toBeDefined();
    await expect(
      prisma.receiptSigningKey.create({
        data: { ...active!, kid: `copy-${randomUUID()}`, publicJwk: {}, activeSlot: true },
      }),
    ).rejects.toMatchObject({ code: 'P2002' });
  });

  it('does not confuse the wallets boot check: an app boots on a database with receipt keys and no wallets', async () => {
    const rows = await keyRows();
    expect(rows.length).toBeGreaterThan(0);
    const wallets = await harness.app.get(PrismaService).wallet.count();
    expect(wallets).toBe(0);
    // harness and the replicas above booted exactly like this; a fresh boot under an unrelated
    // master key also succeeds (no wallet to protect) and serves the JWKS.
    const stranger = await startApiHarness({ database: harness.database });
    try {
      await request(stranger.app.getHttpServer()).get('/.well-known/jwks.json').expect(200);
      await expect(
        stranger.app.get(ReceiptKeysService).sign({ claims: buildClaims() }),
      ).rejects.toMatchObject({
        code: 'receipt_signing_unavailable',
      });
    } finally {
      await stranger.close();
    }
  });
});
