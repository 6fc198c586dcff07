// Goal: a payment Proco signed for an agent but someone else settled (the seller's own facilitator)
// ends its hold from chain evidence: posted when the authorization was used for exactly the held
// terms, voided when the agent's wallet cancelled it, left pending while unused, and flagged once
// (never posted) when the chain shows other terms than the hold expected. The worker's
// reconciliation runs against the run's anvil chain; the API makes the real agent payments.
import { KEYRING } from '@proco/config';
import { anvilDevAccount, eip3009Abi, testUsdAbi } from '@proco/evm';
import { openWalletSigner } from '@proco/keys';
import { PrismaService } from '@proco/persistence';
import { decodePaymentHeader } from '@proco/x402';
import request from 'supertest';
import {
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hex,
  hexToNumber,
  http as viemHttp,
  slice,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HoldReconciliationProcessor } from '../../apps/worker/src/maintenance/hold-reconciliation.processor';
import { agentPurchase } from '../support/agent-purchase';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { startWorkerHarness, type WorkerHarness } from '../support/worker-harness';

/** Submits authorizations as another facilitator would (and cancellations), paying their gas. */
const submitter = anvilDevAccount({ index: 9 });
const payee = privateKeyToAccount(generatePrivateKey()).address;

let harness: ApiHarness;
let worker: WorkerHarness;
let prisma: PrismaService;
let http: ReturnType<typeof request>;
let adminKey = '';

const token = () => getAddress(inject('tokenAddress'));
const publicClient = () => createPublicClient({ transport: viemHttp(inject('rpcUrl')) });
const wallet = () => createWalletClient({ account: submitter, transport: viemHttp(inject('rpcUrl')) });

interface AgentPayment {
  readonly agentId: string;
  readonly holdId: string;
  readonly authorization: {
    from: Hex;
    to: Hex;
    value: string;
    validAfter: string;
    validBefore: string;
    nonce: Hex;
  };
  readonly signature: Hex;
}

/** A funded agent buys once for `amount`; its hold stays pending until the chain says otherwise. */
async function agentPayment(amount: string): Promise<AgentPayment> {
  const { agentId, purchase } = await agentPurchase({
    http,
    adminKey,
    amount,
    payTo: payee,
    url: 'https://seller.example.com/report',
  });
  const hold = await prisma.hold.findFirstOrThrow({ where: { paymentId: purchase.paymentId } });
  const decoded = decodePaymentHeader({
    name: 'PAYMENT-SIGNATURE',
    value: purchase.header.value,
  }) as unknown as {
    payload: { authorization: AgentPayment['authorization']; signature: Hex };
  };
  return { agentId, holdId: hold.id, ...decoded.payload };
}

/** Puts the authorization on chain from another account, as a seller's own facilitator would. */
async function settleElsewhere(payment: AgentPayment): Promise<Hex> {
  const { authorization, signature } = payment;
  const hash = await wallet().writeContract({
    chain: null,
    address: token(),
    abi: eip3009Abi,
    functionName: 'transferWithAuthorization',
    args: [
      getAddress(authorization.from),
      getAddress(authorization.to),
      BigInt(authorization.value),
      BigInt(authorization.validAfter),
      BigInt(authorization.validBefore),
      authorization.nonce,
      hexToNumber(slice(signature, 64, 65)),
      slice(signature, 0, 32),
      slice(signature, 32, 64),
    ],
  });
  await publicClient().waitForTransactionReceipt({ hash });
  return hash;
}

const reconcile = () => worker.app.get(HoldReconciliationProcessor).reconcile({ minAgeMs: 0 });
const holdOf = (id: string) => prisma.hold.findUniqueOrThrow({ where: { id } });
const auditCount = (holdId: string, action: string) =>
  prisma.auditEvent.count({ where: { subjectType: 'hold', subjectId: holdId, action } });

beforeAll(async () => {
  harness = await startApiHarness();
  worker = await startWorkerHarness({
    databaseUrl: harness.database.url,
    redisPrefix: harness.config.redis.prefix,
    masterKeyBase64: harness.masterKeyBase64,
  });
  prisma = harness.app.get(PrismaService);
  http = request(harness.app.getHttpServer());
  adminKey = (await harness.bootstrapOrg('Reconciliation')).adminKey;
});

afterAll(async () => {
  await worker?.close();
  await harness?.close();
});

describe('hold reconciliation', () => {
  it('posts the hold of a payment another facilitator settled, once', async () => {
    const payment = await agentPayment('12000');
    const untouched = await agentPayment('3000');
    await settleElsewhere(payment);

    const first = await reconcile();
    expect(first.posted).toBeGreaterThanOrEqual(1);
    const posted = await holdOf(payment.holdId);
    expect(posted.status).toBe('posted');
    expect(posted.postedAmount?.toFixed()).toBe('12000');
    expect(await auditCount(payment.holdId, 'hold.posted')).toBe(1);

    // Unused: still pending, but asked about.
    const waiting = await holdOf(untouched.holdId);
    expect(waiting.status).toBe('pending');
    expect(waiting.chainCheckedAt).not.toBeNull();

    await reconcile();
    expect(await auditCount(payment.holdId, 'hold.posted')).toBe(1);
  });

  it('voids the hold when the agent wallet cancelled the authorization instead', async () => {
    const payment = await agentPayment('4000');
    // The agent's own key signs the cancellation (opened here with the app's keyring, as the
    // custody tests do); anyone may submit it.
    const row = await prisma.wallet.findUniqueOrThrow({ where: { agentId: payment.agentId } });
    const signer = openWalletSigner({
      keyring: harness.app.get(KEYRING),
      sealed: {
        address: row.address,
        keyCiphertext: Uint8Array.from(row.keyCiphertext),
        dataKeyCiphertext: Uint8Array.from(row.dataKeyCiphertext),
        kekId: row.kekId,
      },
      orgId: row.orgId,
      walletId: row.id,
    });
    const cancellation = await signer.signTypedData({
      domain: { name: 'USDC', version: '2', chainId: inject('chainId'), verifyingContract: token() },
      types: {
        CancelAuthorization: [
          { name: 'authorizer', type: 'address' },
          { name: 'nonce', type: 'bytes32' },
        ],
      },
      primaryType: 'CancelAuthorization',
      message: { authorizer: signer.address, nonce: payment.authorization.nonce },
    });
    const hash = await wallet().writeContract({
      chain: null,
      address: token(),
      abi: testUsdAbi,
      functionName: 'cancelAuthorization',
      args: [signer.address, payment.authorization.nonce, cancellation],
    });
    await publicClient().waitForTransactionReceipt({ hash });

    await reconcile();
    expect(await holdOf(payment.holdId)).toMatchObject({
      status: 'voided',
      resolutionReason: 'authorization_canceled',
    });
  });

  it('flags, once, an authorization used for other terms than its hold, and posts nothing', async () => {
    const payment = await agentPayment('7000');
    // The payment row records another payee than the one the agent signed for: the chain's
    // transfer cannot match what the hold expected.
    await prisma.payment.updateMany({
      where: { nonce: payment.authorization.nonce.toLowerCase() },
      data: { payTo: '0x000000000000000000000000000000000000dEaD' },
    });
    await settleElsewhere(payment);

    await reconcile();
    await reconcile();
    expect((await holdOf(payment.holdId)).status).toBe('pending');
    expect(await auditCount(payment.holdId, 'hold.settlement_mismatch')).toBe(1);
  });
});
