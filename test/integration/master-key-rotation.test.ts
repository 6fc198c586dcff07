// Goal: master-key rotation without downtime on one real database. Wallets sealed under key A are
// re-wrapped under key B by an app holding B (active) and A (previous); rotation is idempotent,
// every wallet stays openable with B alone and becomes unopenable with A alone (a typed
// wallet_unavailable caused by kek_unknown), each re-wrap is an audited, verifiable event, and a
// wallet under a master key the keyring lacks is skipped and reported instead of stopping the run.
import { randomBytes, randomUUID } from 'node:crypto';
import { KEYRING } from '@proco/config';
import {
  createKeyring,
  deriveKekId,
  generateWalletKey,
  KeysError,
  openWalletSigner,
  SYSTEM_KEY_ORG_ID,
  type WalletSigner,
} from '@proco/keys';
import { PrismaService } from '@proco/persistence';
import request from 'supertest';
import { type Address, verifyTypedData } from 'viem';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RelayerKeysService } from '../../apps/api/src/wallets/relayer-keys.service';
import { WalletsService } from '../../apps/api/src/wallets/wallets.service';
import { WalletUnavailableError } from '../../apps/api/src/wallets/wallets.errors';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

const AGENTS_PER_ORG = 3;

const masterKeyA = randomBytes(32).toString('base64');
const masterKeyB = randomBytes(32).toString('base64');
const kekIdOf = (base64: string): string => deriveKekId({ key: Buffer.from(base64, 'base64') });

let onlyA: ApiHarness;
let rotating: ApiHarness;
const orgs: { orgId: string; adminKey: string }[] = [];
const agents: { orgId: string; agentId: string; address: Address }[] = [];

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

beforeAll(async () => {
  onlyA = await startApiHarness({ masterKeyBase64: masterKeyA });
  const http = request(onlyA.app.getHttpServer());
  for (const name of ['Rotation org 1', 'Rotation org 2']) {
    const org = await onlyA.bootstrapOrg(name);
    orgs.push(org);
    for (let index = 0; index < AGENTS_PER_ORG; index += 1) {
      const created = await http
        .post('/v1/agents')
        .set(bearer(org.adminKey))
        .send({ name: `agent-${index}` });
      expect(created.status).toBe(201);
      agents.push({ orgId: org.orgId, agentId: created.body.id, address: created.body.wallet.address });
    }
  }
  rotating = await startApiHarness({
    database: onlyA.database,
    masterKeyBase64: masterKeyB,
    environment: { PROCO_PREVIOUS_MASTER_KEYS: masterKeyA },
  });
});

afterAll(async () => {
  await rotating?.close();
  // The first harness owns the shared database and drops it last.
  await onlyA?.close();
});

async function walletRows(harness: ApiHarness) {
  return harness.app.get(PrismaService).wallet.findMany({ orderBy: { id: 'asc' } });
}

/** Opens the agent's signer and proves it signs an EIP-3009 authorization as the agent's address. */
async function expectSignsAs(signer: WalletSigner, address: Address): Promise<void> {
  expect(signer.address).toBe(address);
  const typedData = {
    domain: {
      name: 'USDC',
      version: '2',
      chainId: inject('chainId'),
      verifyingContract: inject('tokenAddress') as Address,
    },
    types: {
      TransferWithAuthorization: [
        { name: 'from', type: 'address' },
        { name: 'to', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'validAfter', type: 'uint256' },
        { name: 'validBefore', type: 'uint256' },
        { name: 'nonce', type: 'bytes32' },
      ],
    },
    primaryType: 'TransferWithAuthorization',
    message: {
      from: address,
      to: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
      value: 1_000n,
      validAfter: 0n,
      validBefore: 4_000_000_000n,
      nonce: `0x${randomBytes(32).toString('hex')}`,
    },
  } as const;
  const signature = await signer.signTypedData(typedData);
  expect(await verifyTypedData({ ...typedData, address, signature })).toBe(true);
}

describe('master-key rotation', () => {
  it('starts with every wallet under key A, readable by the app that also holds B', async () => {
    const before = await walletRows(onlyA);
    expect(before).toHaveLength(agents.length);
    expect(
      before.every((wallet) => wallet.kekId === kekIdOf(masterKeyA) && wallet.rewrappedAt === null),
    ).toBe(true);
    // Readers accept any key of the keyring, so the rotating app serves the old rows before it rewraps.
    const wallets = rotating.app.get(WalletsService);
    for (const agent of agents) await expectSignsAs(await wallets.openSigner(agent), agent.address);
  });

  it('re-wraps every data key under B, leaving the wallet key ciphertext untouched', async () => {
    const before = await walletRows(rotating);
    const result = await rotating.app.get(WalletsService).rotateMasterKey();
    expect(result).toEqual({
      rewrapped: agents.length,
      skipped: [],
      skippedCount: 0,
      activeKekId: kekIdOf(masterKeyB),
    });

    const after = await walletRows(rotating);
    expect(after.map((wallet) => wallet.id)).toEqual(before.map((wallet) => wallet.id));
    after.forEach((wallet, index) => {
      const previous = before[index];
      expect(wallet.kekId).toBe(kekIdOf(masterKeyB));
      expect(wallet.rewrappedAt).toBeInstanceOf(Date);
      expect(Buffer.from(wallet.keyCiphertext).equals(Buffer.from(previous?.keyCiphertext ?? []))).toBe(true);
      expect(
        Buffer.from(wallet.dataKeyCiphertext).equals(Buffer.from(previous?.dataKeyCiphertext ?? [])),
      ).toBe(false);
      expect(wallet.address).toBe(previous?.address);
    });
  });

  it('keeps every signer working for the same address while both keys are present', async () => {
    const wallets = rotating.app.get(WalletsService);
    for (const agent of agents) await expectSignsAs(await wallets.openSigner(agent), agent.address);
  });

  it('re-wraps nothing on a second run', async () => {
    const before = await walletRows(rotating);
    const result = await rotating.app.get(WalletsService).rotateMasterKey();
    expect(result).toEqual({ rewrapped: 0, skipped: [], skippedCount: 0, activeKekId: kekIdOf(masterKeyB) });
    const after = await walletRows(rotating);
    after.forEach((wallet, index) => {
      expect(
        Buffer.from(wallet.dataKeyCiphertext).equals(Buffer.from(before[index]?.dataKeyCiphertext ?? [])),
      ).toBe(true);
    });
  });

  it('opens every wallet in an app that holds only B', async () => {
    const onlyB = await startApiHarness({ database: onlyA.database, masterKeyBase64: masterKeyB });
    try {
      const wallets = onlyB.app.get(WalletsService);
      for (const agent of agents) await expectSignsAs(await wallets.openSigner(agent), agent.address);
    } finally {
      await onlyB.close();
    }
  });

  it('refuses every wallet in an app that holds only A, with wallet_unavailable caused by kek_unknown', async () => {
    const wallets = onlyA.app.get(WalletsService);
    for (const agent of agents) {
      const error = await wallets.openSigner(agent).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(WalletUnavailableError);
      expect(error).toMatchObject({ code: 'wallet_unavailable' });
      const cause = (error as WalletUnavailableError).cause;
      expect(cause).toBeInstanceOf(KeysError);
      expect(cause).toMatchObject({ code: 'kek_unknown', kekId: kekIdOf(masterKeyB) });
    }
  });

  it('refuses to start with only a master key no wallet was wrapped with', async () => {
    const unrelatedKey = randomBytes(32).toString('base64');
    const failure = await startApiHarness({ database: onlyA.database, masterKeyBase64: unrelatedKey }).then(
      async (harness) => {
        await harness.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({
      code: 'keyring_mismatch',
      walletKekIds: [kekIdOf(masterKeyB)],
      keyringKekIds: [kekIdOf(unrelatedKey)],
    });
  });

  it('records one wallet.rewrapped event per wallet in its org, and the chain verifies', async () => {
    const http = request(rotating.app.getHttpServer());
    const wallets = await walletRows(rotating);
    for (const org of orgs) {
      const events = await http.get('/v1/audit?limit=100').set(bearer(org.adminKey));
      expect(events.status).toBe(200);
      const rewrapped = events.body.items.filter(
        (event: { action: string }) => event.action === 'wallet.rewrapped',
      );
      const expected = wallets.filter((wallet) => wallet.orgId === org.orgId);
      expect(rewrapped).toHaveLength(AGENTS_PER_ORG);
      expect(rewrapped.map((event: { subject: { id: string } }) => event.subject.id).sort()).toEqual(
        expected.map((wallet) => wallet.id).sort(),
      );
      for (const event of rewrapped) {
        expect(event.data).toEqual({ fromKekId: kekIdOf(masterKeyA), toKekId: kekIdOf(masterKeyB) });
      }
    }
    for (const org of orgs) {
      const verification = await http.get('/v1/audit/verification').set(bearer(org.adminKey));
      expect(verification.status).toBe(200);
      // Each org verifies its own chain: org.created, its agents' agent.created and wallet.rewrapped.
      expect(verification.body).toMatchObject({ ok: true, count: 1 + 2 * AGENTS_PER_ORG });
    }
  });

  it('skips and reports a wallet under a master key it does not hold, and re-wraps the rest', async () => {
    const masterKeyC = randomBytes(32).toString('base64');
    const org = orgs[0];
    if (org === undefined) throw new Error('no org');
    // Two new wallets under A (one before and one after the C wallet in creation order) and one
    // under C, which neither A nor B can unwrap.
    const createIn = async (harness: ApiHarness, name: string): Promise<string> => {
      const created = await request(harness.app.getHttpServer())
        .post('/v1/agents')
        .set(bearer(org.adminKey))
        .send({ name });
      expect(created.status).toBe(201);
      return created.body.id as string;
    };
    await createIn(onlyA, 'late-a-1');
    // C active with A still known: the app boots (some wallets open) and issues a wallet under C.
    const onlyC = await startApiHarness({
      database: onlyA.database,
      masterKeyBase64: masterKeyC,
      environment: { PROCO_PREVIOUS_MASTER_KEYS: masterKeyA },
    });
    let cAgentId: string;
    try {
      cAgentId = await createIn(onlyC, 'under-c');
    } finally {
      await onlyC.close();
    }
    await createIn(onlyA, 'late-a-2');
    const prisma = rotating.app.get(PrismaService);
    const cWallet = await prisma.wallet.findUniqueOrThrow({ where: { agentId: cAgentId } });
    const wallets = rotating.app.get(WalletsService);

    const first = await wallets.rotateMasterKey();
    expect(first).toEqual({
      rewrapped: 2,
      skipped: [{ walletId: cWallet.id, kekId: kekIdOf(masterKeyC) }],
      skippedCount: 1,
      activeKekId: kekIdOf(masterKeyB),
    });
    // A rerun does not stop at the same row either; it just reports it again.
    const second = await wallets.rotateMasterKey();
    expect(second).toEqual({ ...first, rewrapped: 0 });
    const remaining = await prisma.wallet.findMany({ where: { kekId: { not: kekIdOf(masterKeyB) } } });
    expect(remaining.map((wallet) => wallet.id)).toEqual([cWallet.id]);
  });

  it('answers an unknown agent with agent_not_found rather than a key error', async () => {
    const wallets = rotating.app.get(WalletsService);
    await expect(
      wallets.openSigner({ orgId: orgs[0]?.orgId ?? '', agentId: randomUUID() }),
    ).rejects.toMatchObject({
      code: 'agent_not_found',
    });
  });
});

describe('master-key rotation of the relayer key', () => {
  it('re-wraps the relayer data key under B, once, and the relayer still opens with B alone', async () => {
    const prisma = onlyA.app.get(PrismaService);
    const relayerId = randomUUID();
    const sealed = generateWalletKey({
      keyring: onlyA.app.get(KEYRING),
      orgId: SYSTEM_KEY_ORG_ID,
      walletId: relayerId,
    });
    await prisma.relayer.create({
      data: {
        id: relayerId,
        address: sealed.address,
        keyCiphertext: new Uint8Array(sealed.keyCiphertext),
        dataKeyCiphertext: new Uint8Array(sealed.dataKeyCiphertext),
        kekId: sealed.kekId,
      },
    });

    const first = await rotating.app.get(RelayerKeysService).rotateMasterKey();
    expect(first).toEqual({ rewrapped: 1, skipped: [] });
    const row = await prisma.relayer.findUniqueOrThrow({ where: { id: relayerId } });
    expect(row.kekId).toBe(kekIdOf(masterKeyB));
    expect(Buffer.from(row.keyCiphertext).equals(Buffer.from(sealed.keyCiphertext))).toBe(true);
    const onlyB = createKeyring({ activeKey: Buffer.from(masterKeyB, 'base64') });
    const signer = openWalletSigner({
      keyring: onlyB,
      sealed: {
        address: row.address,
        keyCiphertext: Uint8Array.from(row.keyCiphertext),
        dataKeyCiphertext: Uint8Array.from(row.dataKeyCiphertext),
        kekId: row.kekId,
      },
      orgId: SYSTEM_KEY_ORG_ID,
      walletId: relayerId,
    });
    expect(signer.address).toBe(sealed.address);
    expect(await rotating.app.get(RelayerKeysService).rotateMasterKey()).toEqual({
      rewrapped: 0,
      skipped: [],
    });
    expect(
      await prisma.auditEvent.count({ where: { action: 'relayer.rewrapped', subjectId: relayerId } }),
    ).toBe(1);
  });
});
