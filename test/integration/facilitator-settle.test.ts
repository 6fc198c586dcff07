// Goal: `POST /facilitator/settle` puts an authorization on the run's anvil chain exactly once and
// answers every caller of the same payload the same way. The API and the worker run as production
// runs them (the worker's BullMQ processors on the suite's Redis prefix), called through the
// reference `HTTPFacilitatorClient`. Covered: v2 and v1 payloads, 32 concurrent settles of one
// payload (one transfer, 32 identical answers), refusals before anything is queued (no row, no
// gas), access control, a batch of several authorizations in one Multicall3 transaction with a
// failing call isolated, an authorization someone else submitted first (confirmed from its log),
// and the hold of an agent's payment posted exactly once when its authorization settles.
import { randomUUID } from 'node:crypto';
import { type AddressInfo } from 'node:net';
import { anvilDevAccount, eip3009Abi, mintTestTokens, testUsdAbi } from '@proco/evm';
import { PostgresHoldStore, PrismaService } from '@proco/persistence';
import { TRANSFER_WITH_AUTHORIZATION_TYPES, decodePaymentHeader } from '@proco/x402';
import { HTTPFacilitatorClient } from '@x402/core/http';
import type { PaymentPayload, PaymentRequirements } from '@x402/core/types';
import request from 'supertest';
import {
  type Address,
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hex,
  hexToNumber,
  http as viemHttp,
  keccak256,
  slice,
  toHex,
} from 'viem';
import { generatePrivateKey, type LocalAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SettlementSubmitService } from '../../apps/worker/src/settlement/settlement-submit.service';
import { agentPurchase } from '../support/agent-purchase';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { startWorkerHarness, type WorkerHarness } from '../support/worker-harness';

const PRICE = 10_000n;
const payer = anvilDevAccount({ index: 5 });
const payee = getAddress(anvilDevAccount({ index: 6 }).address);
/** Submits an authorization before Proco does, as anyone holding a copied header could. */
const frontRunner = anvilDevAccount({ index: 9 });
const WAIT_MS = 30_000;

let harness: ApiHarness;
let worker: WorkerHarness;
let prisma: PrismaService;
let facilitator: HTTPFacilitatorClient;
let http: ReturnType<typeof request>;
const keys = { admin: '', read: '' };

const network = () => `eip155:${inject('chainId')}`;
const token = () => getAddress(inject('tokenAddress'));
const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const nowSeconds = () => BigInt(Math.floor(Date.now() / 1_000));
const publicClient = () => createPublicClient({ transport: viemHttp(inject('rpcUrl')) });

interface Fixture {
  readonly paymentPayload: PaymentPayload;
  readonly paymentRequirements: PaymentRequirements;
  readonly nonce: Hex;
  readonly signature: Hex;
}

/** A payment signed for real by `signer` (the funded payer by default), with a fresh nonce. */
async function fixture(
  options: { x402Version?: 1 | 2; signer?: LocalAccount; value?: bigint; nonce?: Hex } = {},
): Promise<Fixture> {
  const signer = options.signer ?? payer;
  const authorization = {
    from: signer.address,
    to: payee,
    value: String(options.value ?? PRICE),
    validAfter: '0',
    validBefore: String(nowSeconds() + 300n),
    nonce: options.nonce ?? toHex(crypto.getRandomValues(new Uint8Array(32))),
  };
  const signature = await signer.signTypedData({
    domain: { name: 'USDC', version: '2', chainId: inject('chainId'), verifyingContract: token() },
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: 'TransferWithAuthorization',
    message: {
      ...authorization,
      value: BigInt(authorization.value),
      validAfter: 0n,
      validBefore: BigInt(authorization.validBefore),
    },
  });
  const payload = { signature, authorization };
  if (options.x402Version === 1) {
    const paymentRequirements = {
      scheme: 'exact',
      network: 'base-sepolia',
      maxAmountRequired: String(PRICE),
      resource: 'https://api.example.com/paid-v1',
      description: 'test resource',
      mimeType: 'application/json',
      payTo: payee,
      maxTimeoutSeconds: 300,
      asset: token(),
      extra: { name: 'USDC', version: '2' },
    };
    return {
      paymentPayload: {
        x402Version: 1,
        scheme: 'exact',
        network: 'base-sepolia',
        payload,
      } as unknown as PaymentPayload,
      paymentRequirements: paymentRequirements as unknown as PaymentRequirements,
      nonce: authorization.nonce,
      signature,
    };
  }
  const accepted = {
    scheme: 'exact',
    network: network(),
    amount: String(PRICE),
    asset: token(),
    payTo: payee,
    maxTimeoutSeconds: 300,
    extra: { name: 'USDC', version: '2' },
  };
  return {
    paymentPayload: {
      x402Version: 2,
      resource: { url: 'https://api.example.com/paid', description: 'test resource' },
      accepted,
      payload,
    } as unknown as PaymentPayload,
    paymentRequirements: accepted as unknown as PaymentRequirements,
    nonce: authorization.nonce,
    signature,
  };
}

/** Every `AuthorizationUsed` log of the token for `nonce` on the chain so far. */
async function useLogsOf(authorizer: Address, nonce: Hex) {
  return publicClient().getContractEvents({
    address: token(),
    abi: eip3009Abi,
    eventName: 'AuthorizationUsed',
    args: { authorizer, nonce },
    fromBlock: 0n,
  });
}

async function balanceOf(address: Address): Promise<bigint> {
  return publicClient().readContract({
    address: token(),
    abi: testUsdAbi,
    functionName: 'balanceOf',
    args: [address],
  });
}

async function settlementOf(nonce: Hex) {
  return prisma.settlement.findFirst({ where: { nonce: nonce.toLowerCase() } });
}

/** Polls until `read` returns something `done` accepts, or fails after `WAIT_MS`. */
async function eventually<Value>(
  read: () => Promise<Value>,
  done: (value: Value) => boolean,
): Promise<Value> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `condition not met in ${WAIT_MS} ms: ${JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? String(item) : item))}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  harness = await startApiHarness();
  worker = await startWorkerHarness({
    databaseUrl: harness.database.url,
    redisPrefix: harness.config.redis.prefix,
    masterKeyBase64: harness.masterKeyBase64,
  });
  prisma = harness.app.get(PrismaService);
  await harness.app.listen(0, '127.0.0.1');
  const { port } = harness.app.getHttpServer().address() as AddressInfo;
  http = request(harness.app.getHttpServer());
  const org = await harness.bootstrapOrg('Settle');
  keys.admin = org.adminKey;
  const read = await http
    .post('/v1/api-keys')
    .set(bearer(org.adminKey))
    .send({ name: 'reader', scope: 'read' });
  keys.read = read.body.secret;
  const headers = bearer(keys.admin);
  facilitator = new HTTPFacilitatorClient({
    url: `http://127.0.0.1:${port}/facilitator`,
    createAuthHeaders: async () => ({ verify: headers, settle: headers, supported: headers }),
  });
  await mintTestTokens({
    rpcUrl: inject('rpcUrl'),
    tokenAddress: token(),
    to: payer.address,
    amountAtomic: 100_000_000n,
  });
});

afterAll(async () => {
  await worker?.close();
  await harness?.close();
});

describe('POST /facilitator/settle', () => {
  it('settles a v2 payment once on chain and answers every later settle of it the same way', async () => {
    const payment = await fixture();
    const payeeBefore = await balanceOf(payee);

    const verified = await facilitator.verify(payment.paymentPayload, payment.paymentRequirements);
    expect(verified).toMatchObject({ isValid: true, payer: payer.address });
    const settled = await facilitator.settle(payment.paymentPayload, payment.paymentRequirements);

    expect(settled).toMatchObject({ success: true, network: network(), payer: payer.address });
    expect(settled.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    const receipt = await publicClient().getTransactionReceipt({ hash: settled.transaction as Hex });
    expect(receipt.status).toBe('success');
    expect(await balanceOf(payee)).toBe(payeeBefore + PRICE);
    expect(await useLogsOf(payer.address, payment.nonce)).toHaveLength(1);
    expect(await settlementOf(payment.nonce)).toMatchObject({
      status: 'confirmed',
      transactionHash: settled.transaction,
      signatureHash: keccak256(payment.signature),
    });

    // The same payload again: the stored answer, and no second transfer.
    expect(await facilitator.settle(payment.paymentPayload, payment.paymentRequirements)).toEqual(settled);
    // Against other requirements (a higher price) it does not inherit that answer.
    const dearer = await facilitator.settle(payment.paymentPayload, {
      ...payment.paymentRequirements,
      amount: String(PRICE * 2n),
    });
    expect(dearer).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_evm_payload_authorization_value_mismatch',
      transaction: '',
    });
    expect(await balanceOf(payee)).toBe(payeeBefore + PRICE);
    // And it no longer verifies: the chain has it used.
    const replay = await facilitator.verify(payment.paymentPayload, payment.paymentRequirements);
    expect(replay).toMatchObject({ isValid: false, invalidReason: 'invalid_exact_evm_nonce_already_used' });
  });

  it('settles a v1 payment, answering with the v1 network name', async () => {
    const payment = await fixture({ x402Version: 1 });
    const settled = await facilitator.settle(payment.paymentPayload, payment.paymentRequirements);
    expect(settled).toMatchObject({ success: true, network: 'base-sepolia', payer: payer.address });
    expect(await useLogsOf(payer.address, payment.nonce)).toHaveLength(1);
  });

  it('gives 32 concurrent settles of one payload one transfer and 32 identical answers', async () => {
    const payment = await fixture();
    const payeeBefore = await balanceOf(payee);
    const answers = await Promise.all(
      Array.from({ length: 32 }, () =>
        facilitator.settle(payment.paymentPayload, payment.paymentRequirements),
      ),
    );
    const [first] = answers;
    expect(first).toMatchObject({ success: true });
    for (const answer of answers) expect(answer).toEqual(first);
    expect(await useLogsOf(payer.address, payment.nonce)).toHaveLength(1);
    expect(await balanceOf(payee)).toBe(payeeBefore + PRICE);
    expect(await prisma.settlement.count({ where: { nonce: payment.nonce.toLowerCase() } })).toBe(1);
    const settlement = await settlementOf(payment.nonce);
    expect(await prisma.relayerTransaction.count({ where: { id: settlement!.relayerTransactionId! } })).toBe(
      1,
    );
  });

  it('answers duplicate_settlement for another signature over an authorization already settled', async () => {
    const payment = await fixture();
    expect(await facilitator.settle(payment.paymentPayload, payment.paymentRequirements)).toMatchObject({
      success: true,
    });
    // The same payer and nonce, signed for another amount: the token would refuse it, and Proco
    // names why without touching the stored settlement.
    const other = await fixture({ nonce: payment.nonce, value: PRICE * 2n });
    const answer = await facilitator.settle(other.paymentPayload, {
      ...other.paymentRequirements,
      amount: String(PRICE * 2n),
    });
    expect(answer).toMatchObject({ success: false, errorReason: 'duplicate_settlement', transaction: '' });
    expect(await prisma.settlement.count({ where: { nonce: payment.nonce.toLowerCase() } })).toBe(1);
    expect(await useLogsOf(payer.address, payment.nonce)).toHaveLength(1);
  });

  it('refuses an invalid payment before queueing anything, with the reference reason', async () => {
    const stranger = privateKeyToAccount(generatePrivateKey());
    // Signed by an account without a token balance: the simulation fails and says why.
    const unfunded = await fixture({ signer: stranger });
    const answer = await facilitator.settle(unfunded.paymentPayload, unfunded.paymentRequirements);
    expect(answer).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_evm_insufficient_balance',
      transaction: '',
      network: network(),
      payer: stranger.address,
    });
    expect(await settlementOf(unfunded.nonce)).toBeNull();

    // A tampered signature fails the signature check.
    const payment = await fixture();
    const tampered = structuredClone(payment.paymentPayload) as unknown as {
      payload: { authorization: { value: string } };
    };
    tampered.payload.authorization.value = String(PRICE + 1n);
    const refused = await facilitator.settle(
      tampered as unknown as PaymentPayload,
      payment.paymentRequirements,
    );
    expect(refused).toMatchObject({ success: false, transaction: '', network: network() });
    expect(refused.errorReason).toMatch(/^invalid_exact_evm_/);
    expect(await settlementOf(payment.nonce)).toBeNull();
  });

  it('needs an admin key: a read-only key, an agent or nobody cannot make Proco spend gas', async () => {
    const payment = await fixture();
    const body = {
      x402Version: 2,
      paymentPayload: payment.paymentPayload,
      paymentRequirements: payment.paymentRequirements,
    };
    expect((await http.post('/facilitator/settle').set(bearer(keys.read)).send(body)).status).toBe(403);
    expect((await http.post('/facilitator/settle').send(body)).status).toBe(401);
    expect(await settlementOf(payment.nonce)).toBeNull();
  });

  it('answers 400 problem+json for a body that is not a facilitator request', async () => {
    const response = await http.post('/facilitator/settle').set(bearer(keys.admin)).send({ hello: 'world' });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.body.code).toBe('invalid_facilitator_request');
  });

  it('announces the relayer as its signer once it exists', async () => {
    const supported = await facilitator.getSupported();
    const relayer = await prisma.relayer.findFirstOrThrow();
    expect(supported.signers).toEqual({ 'eip155:*': [getAddress(relayer.address)] });
  });
});

describe('settlement worker', () => {
  /** Queues a settlement row as the API would, without enqueueing a job for it. */
  async function queueDirectly(payment: Fixture, orgId: string): Promise<string> {
    const { authorization } = (
      payment.paymentPayload as unknown as { payload: { authorization: Record<string, string> } }
    ).payload;
    const id = randomUUID();
    await prisma.settlement.create({
      data: {
        id,
        orgId,
        network: network(),
        requestNetwork: network(),
        x402Version: 2,
        chainId: inject('chainId'),
        asset: token().toLowerCase(),
        payer: authorization['from']!.toLowerCase(),
        payTo: authorization['to']!.toLowerCase(),
        amount: authorization['value']!,
        nonce: payment.nonce.toLowerCase(),
        validAfter: authorization['validAfter']!,
        validBefore: authorization['validBefore']!,
        signature: payment.signature.toLowerCase(),
        signatureHash: keccak256(payment.signature),
      },
    });
    return id;
  }

  it('puts several queued authorizations in one Multicall3 transaction and isolates a failing one', async () => {
    const orgId = (await prisma.org.findFirstOrThrow()).id;
    const good = await Promise.all([fixture(), fixture(), fixture()]);
    const stranger = privateKeyToAccount(generatePrivateKey());
    const unfunded = await fixture({ signer: stranger });
    const ids: string[] = [];
    for (const payment of [...good, unfunded]) ids.push(await queueDirectly(payment, orgId));
    // Queued and not yet on chain: the simulation still passes, but verify refuses to let a
    // seller serve a payment Proco is settling.
    const inFlight = await facilitator.verify(good[0].paymentPayload, good[0].paymentRequirements);
    expect(inFlight).toMatchObject({
      isValid: false,
      invalidReason: 'authorization_in_flight',
      invalidMessage: 'this authorization is being settled (queued)',
    });

    const outcome = await worker.app
      .get(SettlementSubmitService)
      .submit({ network: network(), asset: token() });
    expect(outcome.transactions).toHaveLength(1);
    expect(outcome.endedBeforeBroadcast).toBe(1);

    const rows = await eventually(
      () => prisma.settlement.findMany({ where: { id: { in: ids } } }),
      (found) => found.every((row) => row.status === 'confirmed' || row.status === 'failed'),
    );
    const confirmed = rows.filter((row) => row.status === 'confirmed');
    expect(confirmed).toHaveLength(3);
    expect(new Set(confirmed.map((row) => row.transactionHash)).size).toBe(1);
    expect(rows.find((row) => row.payer === stranger.address.toLowerCase())).toMatchObject({
      status: 'failed',
      errorReason: 'invalid_exact_evm_insufficient_balance',
      relayerTransactionId: null,
    });
    const transaction = await prisma.relayerTransaction.findUniqueOrThrow({
      where: { id: outcome.transactions[0]! },
    });
    expect(transaction).toMatchObject({ status: 'mined', to: '0xca11bde05977b3631167028862be2a173976ca11' });
    for (const payment of good) expect(await useLogsOf(payer.address, payment.nonce)).toHaveLength(1);
  });

  it('confirms, from its log, an authorization someone else put on chain first', async () => {
    const orgId = (await prisma.org.findFirstOrThrow()).id;
    const payment = await fixture();
    const id = await queueDirectly(payment, orgId);
    const { authorization } = (
      payment.paymentPayload as unknown as { payload: { authorization: Record<string, string> } }
    ).payload;
    const wallet = createWalletClient({ account: frontRunner, transport: viemHttp(inject('rpcUrl')) });
    const signature = payment.signature;
    const theirs = await wallet.writeContract({
      chain: null,
      address: token(),
      abi: eip3009Abi,
      functionName: 'transferWithAuthorization',
      args: [
        getAddress(authorization['from']!),
        getAddress(authorization['to']!),
        BigInt(authorization['value']!),
        0n,
        BigInt(authorization['validBefore']!),
        payment.nonce,
        hexToNumber(slice(signature, 64, 65)),
        slice(signature, 0, 32),
        slice(signature, 32, 64),
      ],
    });
    await publicClient().waitForTransactionReceipt({ hash: theirs });

    const outcome = await worker.app
      .get(SettlementSubmitService)
      .submit({ network: network(), asset: token() });
    expect(outcome).toEqual({ transactions: [], endedBeforeBroadcast: 1 });
    expect(await prisma.settlement.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: 'confirmed',
      transactionHash: theirs,
      relayerTransactionId: null,
    });
    expect(await useLogsOf(payer.address, payment.nonce)).toHaveLength(1);
  });

  it('never confirms an authorization whose nonce the payer used for other terms, or cancelled', async () => {
    const orgId = (await prisma.org.findFirstOrThrow()).id;
    const wallet = createWalletClient({ account: frontRunner, transport: viemHttp(inject('rpcUrl')) });
    // The payer uses the nonce first, paying 1 unit to itself: "used" on chain, seller unpaid.
    const payment = await fixture();
    const id = await queueDirectly(payment, orgId);
    const selfPay = await fixture({ nonce: payment.nonce, value: 1n });
    const { authorization } = (
      selfPay.paymentPayload as unknown as { payload: { authorization: Record<string, string> } }
    ).payload;
    const sig = selfPay.signature;
    const theirs = await wallet.writeContract({
      chain: null,
      address: token(),
      abi: eip3009Abi,
      functionName: 'transferWithAuthorization',
      args: [
        payer.address,
        getAddress(authorization['to']!),
        1n,
        0n,
        BigInt(authorization['validBefore']!),
        payment.nonce,
        hexToNumber(slice(sig, 64, 65)),
        slice(sig, 0, 32),
        slice(sig, 32, 64),
      ],
    });
    await publicClient().waitForTransactionReceipt({ hash: theirs });
    // And a second one the payer cancels.
    const cancelled = await fixture();
    const cancelledId = await queueDirectly(cancelled, orgId);
    const cancellation = await payer.signTypedData({
      domain: { name: 'USDC', version: '2', chainId: inject('chainId'), verifyingContract: token() },
      types: {
        CancelAuthorization: [
          { name: 'authorizer', type: 'address' },
          { name: 'nonce', type: 'bytes32' },
        ],
      },
      primaryType: 'CancelAuthorization',
      message: { authorizer: payer.address, nonce: cancelled.nonce },
    });
    const cancelHash = await wallet.writeContract({
      chain: null,
      address: token(),
      abi: testUsdAbi,
      functionName: 'cancelAuthorization',
      args: [payer.address, cancelled.nonce, cancellation],
    });
    await publicClient().waitForTransactionReceipt({ hash: cancelHash });

    await worker.app.get(SettlementSubmitService).submit({ network: network(), asset: token() });
    expect(await prisma.settlement.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: 'failed',
      errorReason: 'invalid_exact_evm_nonce_already_used',
      errorMessage: expect.stringContaining('other terms'),
      transactionHash: null,
    });
    expect(await prisma.settlement.findUniqueOrThrow({ where: { id: cancelledId } })).toMatchObject({
      status: 'failed',
      errorReason: 'invalid_exact_evm_nonce_already_used',
      errorMessage: expect.stringContaining('cancelled'),
    });
    // The seller asking again hears the failure, never a success.
    const answer = await facilitator.settle(payment.paymentPayload, payment.paymentRequirements);
    expect(answer).toMatchObject({ success: false, errorReason: 'invalid_exact_evm_nonce_already_used' });
  });

  it("posts the hold of an agent's payment once its authorization settles", async () => {
    const { requirement, purchase } = await agentPurchase({
      http,
      adminKey: keys.admin,
      amount: '25000',
      payTo: payee,
    });
    const hold = await prisma.hold.findFirstOrThrow({ where: { paymentId: purchase.paymentId } });
    expect(hold.status).toBe('pending');

    const payload = decodePaymentHeader({
      name: 'PAYMENT-SIGNATURE',
      value: purchase.header.value,
    }) as unknown as PaymentPayload;
    const settled = await facilitator.settle(payload, requirement as unknown as PaymentRequirements);
    expect(settled).toMatchObject({ success: true });
    const posted = await prisma.hold.findUniqueOrThrow({ where: { id: hold.id } });
    expect(posted).toMatchObject({ status: 'posted' });
    expect(posted.postedAmount?.toFixed()).toBe('25000');
    const events = await prisma.auditEvent.findMany({ where: { subjectId: hold.id, action: 'hold.posted' } });
    expect(events).toHaveLength(1);
    // Settling it again changes nothing.
    expect(await facilitator.settle(payload, requirement as unknown as PaymentRequirements)).toEqual(settled);
    expect(await prisma.auditEvent.count({ where: { subjectId: hold.id, action: 'hold.posted' } })).toBe(1);
  });
});

describe('hold expiry', () => {
  it('waits for a settlement on its way before expiring a hold, then expires it once that failed', async () => {
    const { purchase } = await agentPurchase({
      http,
      adminKey: keys.admin,
      amount: '5000',
      payTo: payee,
      maxTimeoutSeconds: 60,
      fundAtomic: null,
    });
    const holdId = (await prisma.hold.findFirstOrThrow({ where: { paymentId: purchase.paymentId } })).id;
    // The agent holds no tokens, so its settlement stays queued here (no job) and fails when sent.
    const payload = decodePaymentHeader({
      name: 'PAYMENT-SIGNATURE',
      value: purchase.header.value,
    }) as unknown as {
      payload: { authorization: Record<string, string>; signature: Hex };
    };
    const orgId = (await prisma.payment.findUniqueOrThrow({ where: { id: purchase.paymentId } })).orgId;
    const { authorization, signature } = payload.payload;
    const settlementId = randomUUID();
    await prisma.settlement.create({
      data: {
        id: settlementId,
        orgId,
        network: network(),
        requestNetwork: network(),
        x402Version: 2,
        chainId: inject('chainId'),
        asset: token().toLowerCase(),
        payer: authorization['from']!.toLowerCase(),
        payTo: authorization['to']!.toLowerCase(),
        amount: authorization['value']!,
        nonce: authorization['nonce']!.toLowerCase(),
        validAfter: authorization['validAfter']!,
        validBefore: authorization['validBefore']!,
        signature: signature.toLowerCase(),
        signatureHash: keccak256(signature),
      },
    });
    const holds = harness.app.get(PostgresHoldStore);
    const later = new Date(Date.now() + 3_600_000);
    const first = await holds.expireDue({ now: later, limit: 500 });
    expect(first.expired.map((hold) => hold.id)).not.toContain(holdId);
    expect((await prisma.hold.findUniqueOrThrow({ where: { id: holdId } })).status).toBe('pending');

    await worker.app.get(SettlementSubmitService).submit({ network: network(), asset: token() });
    expect(await prisma.settlement.findUniqueOrThrow({ where: { id: settlementId } })).toMatchObject({
      status: 'failed',
      errorReason: 'invalid_exact_evm_insufficient_balance',
    });
    const second = await holds.expireDue({ now: later, limit: 500 });
    expect(second.expired.map((hold) => hold.id)).toContain(holdId);
  });
});

describe('POST /v1/settlements (deferred receipt settlement)', () => {
  it('settles the payment of a receipt a seller accepted offline, once, and posts its hold', async () => {
    const { agentAddress, purchase } = await agentPurchase({
      http,
      adminKey: keys.admin,
      amount: '8000',
      payTo: payee,
      url: 'https://api.example.com/deferred',
    });
    const { receipt } = purchase;

    const queued = await http.post('/v1/settlements').set(bearer(keys.admin)).send({ receipt });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({
      amount: '8000',
      payTo: payee.toLowerCase(),
      payer: agentAddress.toLowerCase(),
    });
    const settled = await eventually(
      () => prisma.settlement.findUniqueOrThrow({ where: { id: queued.body.id } }),
      (row) => row.status === 'confirmed' || row.status === 'failed',
    );
    expect(settled.status).toBe('confirmed');
    const hold = await prisma.hold.findFirstOrThrow({ where: { paymentId: purchase.paymentId } });
    expect(hold.status).toBe('posted');

    const again = await http.post('/v1/settlements').set(bearer(keys.admin)).send({ receipt });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: queued.body.id, status: 'confirmed' });
    expect(await useLogsOf(getAddress(agentAddress), settled.nonce as Hex)).toHaveLength(1);
  });

  it('refuses a receipt it did not sign, and read-only keys', async () => {
    const forged = await http
      .post('/v1/settlements')
      .set(bearer(keys.admin))
      .send({ receipt: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' });
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe('receipt_invalid');
    expect((await http.post('/v1/settlements').set(bearer(keys.read)).send({ receipt: 'x' })).status).toBe(
      403,
    );
    const extra = await http
      .post('/v1/settlements')
      .set(bearer(keys.admin))
      .send({ receipt: 'x', orgId: 'y' });
    expect(extra.status).toBe(400);
    expect(extra.body.code).toBe('validation_failed');
  });
});

describe('GET /v1/settlements', () => {
  it('finds a settlement by id, by transaction hash and by authorization, for its own org only', async () => {
    const payment = await fixture();
    const settled = await facilitator.settle(payment.paymentPayload, payment.paymentRequirements);
    expect(settled.success).toBe(true);
    const row = await settlementOf(payment.nonce);

    const byId = await http.get(`/v1/settlements/${row!.id}`).set(bearer(keys.read)).expect(200);
    expect(byId.body).toMatchObject({
      id: row!.id,
      status: 'confirmed',
      network: network(),
      asset: token().toLowerCase(),
      payer: payer.address.toLowerCase(),
      payTo: payee.toLowerCase(),
      amount: String(PRICE),
      nonce: payment.nonce.toLowerCase(),
      transactionHash: settled.transaction,
      transaction: { hash: settled.transaction, status: 'mined', batchSize: 1, broadcastCount: 1 },
      errorReason: null,
    });
    expect(byId.body.settledAt).toEqual(expect.any(String));

    const byHash = await http
      .get('/v1/settlements')
      .query({ transactionHash: settled.transaction.toUpperCase().replace('0X', '0x') })
      .set(bearer(keys.read))
      .expect(200);
    expect(byHash.body.items.map((item: { id: string }) => item.id)).toEqual([row!.id]);

    const byAuthorization = await http
      .get('/v1/settlements')
      .query({ payer: payer.address, nonce: payment.nonce })
      .set(bearer(keys.read))
      .expect(200);
    expect(byAuthorization.body.items).toHaveLength(1);

    const failed = await http
      .get('/v1/settlements')
      .query({ status: 'failed' })
      .set(bearer(keys.read))
      .expect(200);
    expect(failed.body.items.every((item: { status: string }) => item.status === 'failed')).toBe(true);

    const other = await harness.bootstrapOrg('Other');
    const hidden = await http.get(`/v1/settlements/${row!.id}`).set(bearer(other.adminKey));
    expect(hidden.status).toBe(404);
    expect(hidden.body.code).toBe('settlement_not_found');
    const none = await http.get('/v1/settlements').set(bearer(other.adminKey)).expect(200);
    expect(none.body).toEqual({ items: [], nextCursor: null });
  });

  it('pages newest first and refuses malformed filters with field errors', async () => {
    const first = await http.get('/v1/settlements').query({ limit: 2 }).set(bearer(keys.read)).expect(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await http
      .get('/v1/settlements')
      .query({ limit: 2, cursor: first.body.nextCursor })
      .set(bearer(keys.read))
      .expect(200);
    const seen = new Set([...first.body.items, ...second.body.items].map((item: { id: string }) => item.id));
    expect(seen.size).toBe(first.body.items.length + second.body.items.length);
    const times = [...first.body.items, ...second.body.items].map(
      (item: { createdAt: string }) => item.createdAt,
    );
    expect([...times].sort().reverse()).toEqual(times);

    const bad = await http
      .get('/v1/settlements')
      .query({ payer: '0x1234', status: 'settled' })
      .set(bearer(keys.read));
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
  });
});
