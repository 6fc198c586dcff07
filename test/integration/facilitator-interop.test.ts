// Goal: Proco's facilitator serves the reference x402 stack end to end. The reference resource
// server (@x402/express, child process) uses Proco as its facilitator with an admin API key, and
// the reference client (@x402/fetch with @x402/evm's exact scheme, an anvil dev account signing)
// pays it on the run's anvil chain: 200, the content, a PAYMENT-RESPONSE naming a transaction that
// is on chain, and exactly one transfer. A replayed PAYMENT-SIGNATURE, sequentially and 8 at once,
// gets 402 and moves nothing. Then settle parity: Proco's facilitator and the reference facilitator
// (child process) refuse the same faulty payments with the same reasons, and where they differ the
// test names the difference and why.
import { type AddressInfo } from 'node:net';
import { anvilDevAccount, findFreePort, mintTestTokens, testUsdAbi } from '@proco/evm';
import { PrismaService } from '@proco/persistence';
import { TRANSFER_WITH_AUTHORIZATION_TYPES } from '@proco/x402';
import {
  decodePaymentRequiredHeader,
  decodePaymentResponseHeader,
  decodePaymentSignatureHeader,
  HTTPFacilitatorClient,
} from '@x402/core/http';
import type { PaymentPayload, PaymentRequirements, SettleResponse } from '@x402/core/types';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { wrapFetchWithPayment, x402Client, x402HTTPClient } from '@x402/fetch';
import {
  type Address,
  createPublicClient,
  getAddress,
  type Hex,
  http as viemHttp,
  parseEventLogs,
  toFunctionSelector,
  toHex,
} from 'viem';
import { generatePrivateKey, type LocalAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { type ReferenceProcess, startReferenceProcess } from '../support/reference-x402/child-process';
import { startWorkerHarness, type WorkerHarness } from '../support/worker-harness';

const PRICE = 10_000n;
const V1_NETWORK = 'base-sepolia';
const PAID_CONTENT = { content: 'paid content v2' };
const CONCURRENT_REQUESTS = 8;
const TX_HASH = /^0x[0-9a-f]{64}$/;
// The reference facilitator may send transactions from account 3, which no facilitator or payments
// suite uses (token-eip3009 does, but suite files run one at a time). The payer, account 1, only
// signs authorizations: they use the token's nonces, not the account's.
const REFERENCE_FACILITATOR_ACCOUNT_INDEX = 3;
const payer = anvilDevAccount({ index: 1 });
// A fresh payee per run: its balance starts at zero, so every unit it holds came from this suite.
const payee = privateKeyToAccount(generatePrivateKey()).address;

let harness: ApiHarness;
let worker: WorkerHarness;
let prisma: PrismaService;
let procoFacilitator: HTTPFacilitatorClient;
let referenceFacilitator: HTTPFacilitatorClient;
let resourceUrl: string;
const children: ReferenceProcess[] = [];

const network = () => `eip155:${inject('chainId')}` as const;
const token = () => getAddress(inject('tokenAddress'));
const nowSeconds = () => BigInt(Math.floor(Date.now() / 1_000));
const publicClient = () => createPublicClient({ transport: viemHttp(inject('rpcUrl')) });

beforeAll(async () => {
  const [facilitatorPort, serverPort] = await Promise.all([findFreePort(), findFreePort()]);
  const [startedHarness, reference] = await Promise.all([
    startApiHarness(),
    startReferenceProcess({
      script: 'facilitator.ts',
      environment: {
        PORT: String(facilitatorPort),
        RPC_URL: inject('rpcUrl'),
        CHAIN_ID: String(inject('chainId')),
        FACILITATOR_ACCOUNT_INDEX: String(REFERENCE_FACILITATOR_ACCOUNT_INDEX),
        V1_NETWORK,
      },
    }),
  ]);
  harness = startedHarness;
  children.push(reference);
  worker = await startWorkerHarness({
    databaseUrl: harness.database.url,
    redisPrefix: harness.config.redis.prefix,
    masterKeyBase64: harness.masterKeyBase64,
  });
  prisma = harness.app.get(PrismaService);
  // The resource server is another process: Proco must listen on a real port for it.
  await harness.app.listen(0, '127.0.0.1');
  const { port } = harness.app.getHttpServer().address() as AddressInfo;
  const procoUrl = `http://127.0.0.1:${port}/facilitator`;
  // Settling spends the relayer's gas, so it takes an admin key; the resource server needs one too.
  const { adminKey } = await harness.bootstrapOrg('Facilitator interop');
  const headers = { Authorization: `Bearer ${adminKey}` };
  procoFacilitator = new HTTPFacilitatorClient({
    url: procoUrl,
    createAuthHeaders: async () => ({ verify: headers, settle: headers, supported: headers }),
  });
  referenceFacilitator = new HTTPFacilitatorClient({ url: `http://127.0.0.1:${facilitatorPort}` });
  await mintTestTokens({
    rpcUrl: inject('rpcUrl'),
    tokenAddress: token(),
    to: payer.address,
    amountAtomic: 1_000_000n,
  });
  children.push(
    await startReferenceProcess({
      script: 'resource-server-v2.ts',
      environment: {
        PORT: String(serverPort),
        FACILITATOR_URL: procoUrl,
        FACILITATOR_API_KEY: adminKey,
        CHAIN_ID: String(inject('chainId')),
        TOKEN_ADDRESS: token(),
        PAY_TO: payee,
        PRICE_ATOMIC: String(PRICE),
      },
    }),
  );
  resourceUrl = `http://127.0.0.1:${serverPort}/paid`;
});

afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
  await worker?.close();
  await harness?.close();
});

/** The reference client as a buyer configures it: the test token allowed, capped at the price. */
function referenceClient(): x402Client {
  return new x402Client().register(network(), new ExactEvmScheme(payer)).setSpendControls({
    allowedAssets: [{ network: network(), asset: token(), maxAmountPerPayment: String(PRICE) }],
  });
}

async function tokenBalance(owner: Address): Promise<bigint> {
  return publicClient().readContract({
    address: token(),
    abi: testUsdAbi,
    functionName: 'balanceOf',
    args: [owner],
  });
}

/** Every time the chain has used `nonce` of `authorizer` (a transfer that happened). */
async function usesOf(authorizer: Address, nonce: Hex) {
  return publicClient().getContractEvents({
    address: token(),
    abi: testUsdAbi,
    eventName: 'AuthorizationUsed',
    args: { authorizer, nonce },
    fromBlock: 0n,
  });
}

async function settlementCountOf(nonce: Hex): Promise<number> {
  return prisma.settlement.count({ where: { nonce: nonce.toLowerCase() } });
}

function nonceOf(paymentSignature: string): Hex {
  const payload = decodePaymentSignatureHeader(paymentSignature).payload as {
    authorization: { nonce: Hex };
  };
  return payload.authorization.nonce;
}

/** Pays `GET /paid` once with the reference fetch wrapper; returns the answer and what it sent. */
async function payWithReferenceClient() {
  const sent: (string | null)[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    sent.push(request.headers.get('payment-signature'));
    return fetch(request);
  };
  const response = await wrapFetchWithPayment(recordingFetch, referenceClient())(resourceUrl);
  const body = await response.text();
  // One unpaid request (answered 402), then one paid retry: nothing was paid twice.
  expect(sent).toEqual([null, expect.any(String)]);
  return { response, body, paymentSignature: sent[1]! };
}

/** Sends an already-signed PAYMENT-SIGNATURE, as anyone who copied it could. */
async function sendPaymentSignature(paymentSignature: string) {
  const response = await fetch(resourceUrl, { headers: { 'PAYMENT-SIGNATURE': paymentSignature } });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** The reason the reference server gave in the PAYMENT-REQUIRED header of a 402. */
function refusalOf(headers: Headers): string | undefined {
  const header = headers.get('payment-required');
  expect(header).toEqual(expect.any(String));
  return decodePaymentRequiredHeader(header!).error;
}

describe('the reference resource server and client, with Proco as facilitator', () => {
  it('serves a paid request: 200, the content, a PAYMENT-RESPONSE on chain, one transfer', async () => {
    const payerBefore = await tokenBalance(payer.address);
    const payeeBefore = await tokenBalance(payee);
    expect(payeeBefore).toBe(0n);

    const { response, body, paymentSignature } = await payWithReferenceClient();
    expect({ status: response.status, body }).toEqual({ status: 200, body: JSON.stringify(PAID_CONTENT) });
    const paymentResponse = response.headers.get('payment-response');
    expect(paymentResponse).toEqual(expect.any(String));
    const settled = decodePaymentResponseHeader(paymentResponse!);
    expect(settled).toMatchObject({ success: true, network: network(), payer: payer.address });
    expect(settled.transaction).toMatch(TX_HASH);

    // The transaction is Proco's (sent by the relayer it announces) and carries exactly this payment.
    const receipt = await publicClient().getTransactionReceipt({ hash: settled.transaction as Hex });
    expect(receipt.status).toBe('success');
    const supported = await procoFacilitator.getSupported();
    expect(supported.signers['eip155:*']).toContain(getAddress(receipt.from));
    const transfers = parseEventLogs({ abi: testUsdAbi, eventName: 'Transfer', logs: receipt.logs });
    expect(transfers.map((log) => ({ token: getAddress(log.address), ...log.args }))).toEqual([
      { token: token(), from: payer.address, to: payee, value: PRICE },
    ]);
    const nonce = nonceOf(paymentSignature);
    expect(await usesOf(payer.address, nonce)).toHaveLength(1);
    expect(await tokenBalance(payee)).toBe(PRICE);
    expect(await tokenBalance(payer.address)).toBe(payerBefore - PRICE);
    const settlements = await prisma.settlement.findMany({ where: { nonce: nonce.toLowerCase() } });
    expect(settlements.map((row) => [row.status, row.transactionHash])).toEqual([
      ['confirmed', settled.transaction],
    ]);
  });

  it('refuses a replayed PAYMENT-SIGNATURE with 402, once and 8 at once, and pays nothing twice', async () => {
    const { response, paymentSignature } = await payWithReferenceClient();
    expect(response.status).toBe(200);
    const nonce = nonceOf(paymentSignature);
    const payeeAfterPayment = await tokenBalance(payee);

    const replay = await sendPaymentSignature(paymentSignature);
    expect(replay.status).toBe(402);
    expect(replay.body).not.toContain(PAID_CONTENT.content);
    // Proco's verify simulates the transfer, which the used nonce makes revert, and diagnoses it.
    expect(refusalOf(replay.headers)).toBe('invalid_exact_evm_nonce_already_used');

    const replays = await Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, () => sendPaymentSignature(paymentSignature)),
    );
    for (const answer of replays) {
      expect(answer.status).toBe(402);
      expect(answer.body).not.toContain(PAID_CONTENT.content);
      expect(refusalOf(answer.headers)).toBe('invalid_exact_evm_nonce_already_used');
    }
    expect(await usesOf(payer.address, nonce)).toHaveLength(1);
    expect(await tokenBalance(payee)).toBe(payeeAfterPayment);
    expect(await settlementCountOf(nonce)).toBe(1);
  });

  it('serves a never-settled PAYMENT-SIGNATURE sent 8 times at once exactly once', async () => {
    // Signed by the reference client's own steps, without sending it, so all 8 copies race.
    const challenge = await fetch(resourceUrl);
    expect(challenge.status).toBe(402);
    const client = new x402HTTPClient(referenceClient());
    const paymentRequired = client.getPaymentRequiredResponse((name) => challenge.headers.get(name));
    const payload = await client.createPaymentPayload(paymentRequired);
    const paymentSignature = client.encodePaymentSignatureHeader(payload)['PAYMENT-SIGNATURE']!;
    const nonce = nonceOf(paymentSignature);
    const payeeBefore = await tokenBalance(payee);

    const answers = await Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, () => sendPaymentSignature(paymentSignature)),
    );
    const served = answers.filter((answer) => answer.status === 200);
    expect(served.map((answer) => answer.body)).toEqual([JSON.stringify(PAID_CONTENT)]);
    const refused = answers.filter((answer) => answer.status !== 200);
    expect(refused).toHaveLength(CONCURRENT_REQUESTS - 1);
    for (const answer of refused) {
      expect(answer.status).toBe(402);
      expect(answer.body).not.toContain(PAID_CONTENT.content);
      // Refused while the winner holds the in-flight lock or is being settled, or once it is used.
      expect(['authorization_in_flight', 'invalid_exact_evm_nonce_already_used']).toContain(
        refusalOf(answer.headers),
      );
    }
    expect(await usesOf(payer.address, nonce)).toHaveLength(1);
    expect(await tokenBalance(payee)).toBe(payeeBefore + PRICE);
    expect(await settlementCountOf(nonce)).toBe(1);
  });
});

interface Fixture {
  readonly paymentPayload: PaymentPayload;
  readonly paymentRequirements: PaymentRequirements;
  readonly from: Address;
  readonly nonce: Hex;
}

interface FixtureOptions {
  /** Who signs and pays (default: the funded payer). */
  readonly signer?: LocalAccount;
  /** Seconds from now; negative for an authorization that already expired (default 300). */
  readonly validForSeconds?: bigint;
  /** The EIP-712 name signed and declared in `extra` (default: the token's, USDC). */
  readonly domainName?: string;
  /** The requirement's payTo, when it is not the signed recipient. */
  readonly payTo?: Address;
}

/** A v2 payment as the reference client builds it, signed for real, with a fresh nonce. */
async function fixture(options: FixtureOptions = {}): Promise<Fixture> {
  const signer = options.signer ?? payer;
  const domain = { name: options.domainName ?? 'USDC', version: '2' };
  const authorization = {
    from: signer.address,
    to: payee,
    value: String(PRICE),
    validAfter: '0',
    validBefore: String(nowSeconds() + (options.validForSeconds ?? 300n)),
    nonce: toHex(crypto.getRandomValues(new Uint8Array(32))),
  };
  const signature = await signer.signTypedData({
    domain: { ...domain, chainId: inject('chainId'), verifyingContract: token() },
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: 'TransferWithAuthorization',
    message: {
      ...authorization,
      value: PRICE,
      validAfter: 0n,
      validBefore: BigInt(authorization.validBefore),
    },
  });
  const requirements = {
    scheme: 'exact',
    network: network(),
    amount: String(PRICE),
    asset: token(),
    payTo: options.payTo ?? payee,
    maxTimeoutSeconds: 300,
    extra: domain,
  };
  const paymentPayload = {
    x402Version: 2,
    resource: { url: 'https://api.example.com/paid', description: 'test resource' },
    accepted: requirements,
    payload: { signature, authorization },
  };
  return {
    paymentPayload: paymentPayload as unknown as PaymentPayload,
    paymentRequirements: requirements as unknown as PaymentRequirements,
    from: signer.address,
    nonce: authorization.nonce,
  };
}

/** What a resource server acts on in a settle answer (Proco adds an `errorMessage`). */
const outcomeOf = (answer: SettleResponse) => ({
  success: answer.success,
  errorReason: answer.errorReason ?? null,
  transaction: answer.transaction,
  network: answer.network,
  payer: answer.payer ?? null,
});

/** The reasons both facilitators give for one faulty payment. */
interface ParityCase {
  readonly name: string;
  readonly build: () => Promise<Fixture>;
  /** `invalidReason` of both verifies (both simulate the transfer and diagnose a revert). */
  readonly verify: string;
  /** `errorReason` of Proco's settle, which re-verifies with the simulation. */
  readonly procoSettle: string;
  /** `errorReason` of the reference settle. */
  readonly referenceSettle: string;
  /** When the reference settle's reason comes from a revert, a piece of its `errorMessage`. */
  readonly referenceRevert?: string;
}

describe('settle parity with the reference facilitator', () => {
  const unfunded = privateKeyToAccount(generatePrivateKey());
  const stranger = privateKeyToAccount(generatePrivateKey()).address;
  const cases: readonly ParityCase[] = [
    {
      name: 'expired',
      build: () => fixture({ validForSeconds: -60n }),
      verify: 'invalid_exact_evm_payload_authorization_valid_before',
      procoSettle: 'invalid_exact_evm_payload_authorization_valid_before',
      referenceSettle: 'invalid_exact_evm_payload_authorization_valid_before',
    },
    {
      // A documented difference. The reference settle re-verifies without simulating
      // (`simulateInSettle` defaults to false), so it first learns of the missing balance when gas
      // estimation of `transferWithAuthorization` reverts, and maps that revert's message by regex.
      // The test token's ERC-20 reverts with the custom error ERC20InsufficientBalance, which
      // @x402/evm's ABI cannot decode, so only its selector reaches the regex and the reference
      // falls back to transaction_failed. (USDC reverts with the string "ERC20: transfer amount
      // exceeds balance", which the regex maps to insufficient_balance.) Proco simulates in settle
      // and reads the balance, giving the reason both verifies give.
      name: 'under-funded',
      build: () => fixture({ signer: unfunded }),
      verify: 'invalid_exact_evm_insufficient_balance',
      procoSettle: 'invalid_exact_evm_insufficient_balance',
      referenceSettle: 'invalid_exact_evm_transaction_failed',
      referenceRevert: toFunctionSelector('ERC20InsufficientBalance(address,uint256,uint256)'),
    },
    {
      // A documented difference, for the same reason. The payer signed the wrong name that the
      // requirements declare, so the reference's off-chain signature check (it builds the domain
      // from `extra`) passes; the token then rejects the signature during gas estimation, and the
      // regex maps "invalid signature" to invalid_exact_evm_signature. Proco's settle simulates,
      // reads the token's name() and answers name_mismatch, as both verifies do.
      name: 'wrong EIP-712 domain name',
      build: () => fixture({ domainName: 'USD Coin' }),
      verify: 'invalid_exact_evm_token_name_mismatch',
      procoSettle: 'invalid_exact_evm_token_name_mismatch',
      referenceSettle: 'invalid_exact_evm_signature',
      referenceRevert: 'FiatTokenV2: invalid signature',
    },
    {
      name: 'wrong payee',
      build: () => fixture({ payTo: stranger }),
      verify: 'invalid_exact_evm_recipient_mismatch',
      procoSettle: 'invalid_exact_evm_recipient_mismatch',
      referenceSettle: 'invalid_exact_evm_recipient_mismatch',
    },
  ];

  it.each(cases)('$name', async (parity) => {
    const payment = await parity.build();
    const { paymentPayload, paymentRequirements } = payment;
    const [procoVerdict, referenceVerdict] = await Promise.all([
      procoFacilitator.verify(paymentPayload, paymentRequirements),
      referenceFacilitator.verify(paymentPayload, paymentRequirements),
    ]);
    const invalid = { isValid: false, invalidReason: parity.verify, payer: payment.from };
    expect(procoVerdict).toMatchObject(invalid);
    expect(referenceVerdict).toMatchObject(invalid);

    const [procoSettle, referenceSettle] = await Promise.all([
      procoFacilitator.settle(paymentPayload, paymentRequirements),
      referenceFacilitator.settle(paymentPayload, paymentRequirements),
    ]);
    const refusal = { success: false, transaction: '', network: network(), payer: payment.from };
    expect(outcomeOf(procoSettle)).toEqual({ ...refusal, errorReason: parity.procoSettle });
    expect(outcomeOf(referenceSettle)).toEqual({ ...refusal, errorReason: parity.referenceSettle });
    if (parity.referenceRevert === undefined) {
      // Refused by the re-verify, before any transaction was built: nothing to explain.
      expect(referenceSettle.errorMessage).toBeUndefined();
    } else {
      expect(referenceSettle.errorMessage).toContain(parity.referenceRevert);
    }
    // Neither put anything on chain, and Proco queued nothing.
    expect(await usesOf(payment.from, payment.nonce)).toHaveLength(0);
    expect(await settlementCountOf(payment.nonce)).toBe(0);
  });
});
