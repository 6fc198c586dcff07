// Goal: Proco's `/facilitator/verify` and `/facilitator/supported` are wire-compatible with the
// reference x402 facilitator and give the same verdicts on the same fixtures. The reference
// facilitator (@x402/core + @x402/evm 2.27.0, v2 and v1) runs in a child process on the run's anvil
// chain; both are called through the reference `HTTPFacilitatorClient`, and every fixture signed by
// a funded anvil dev account must get the same `isValid`, `invalidReason` and `payer` from both.
// Then Proco's own refusals (high-s, bad v, unconfigured asset, too-long validity, the in-flight
// lock under 32 concurrent verifies), access control, 400s for garbage, a seeded fuzz that never
// gets a 5xx, and a 503 (never a verdict) when the RPC is gone.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo } from 'node:net';
import { anvilDevAccount, findFreePort, localChainDefinition, mintTestTokens, testUsdAbi } from '@proco/evm';
import { TRANSFER_WITH_AUTHORIZATION_TYPES } from '@proco/x402';
import { setTimeout as sleep } from 'node:timers/promises';
import { PAYER_VERIFY_WINDOW_MS } from '../../apps/api/src/facilitator/facilitator.limits';
import { HTTPFacilitatorClient } from '@x402/core/http';
import type { PaymentPayload, PaymentRequirements, VerifyResponse } from '@x402/core/types';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import request from 'supertest';
import {
  type Address,
  concat,
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hex,
  hexToBigInt,
  hexToNumber,
  http as viemHttp,
  numberToHex,
  slice,
  toHex,
} from 'viem';
import { generatePrivateKey, type LocalAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { type ReferenceProcess, startReferenceProcess } from '../support/reference-x402/child-process';
import { type RpcProxy, startRpcProxy } from '../support/rpc-proxy';

const PRICE = 10_000n;
const V1_NETWORK = 'base-sepolia';
// The reference facilitator reads with account 8 (it settles nothing here); the relayer that puts
// one authorization on chain is account 7. Suites run one at a time, so their nonces never race.
const FACILITATOR_ACCOUNT_INDEX = 8;
const payer = anvilDevAccount({ index: 2 });
const payee = anvilDevAccount({ index: 4 }).address;
const relayer = anvilDevAccount({ index: 7 });
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const FUZZ_RUNS = 500;

let harness: ApiHarness;
let reference: ReferenceProcess;
let procoClient: HTTPFacilitatorClient;
let referenceClient: HTTPFacilitatorClient;
let http: ReturnType<typeof request>;
const keys = { read: '', agent: '' };

const network = () => `eip155:${inject('chainId')}`;
const token = () => getAddress(inject('tokenAddress'));
const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const nowSeconds = () => BigInt(Math.floor(Date.now() / 1_000));
const publicClient = () => createPublicClient({ transport: viemHttp(inject('rpcUrl')) });

beforeAll(async () => {
  const facilitatorPort = await findFreePort();
  const [startedHarness, startedReference] = await Promise.all([
    startApiHarness(),
    startReferenceProcess({
      script: 'facilitator.ts',
      environment: {
        PORT: String(facilitatorPort),
        RPC_URL: inject('rpcUrl'),
        CHAIN_ID: String(inject('chainId')),
        FACILITATOR_ACCOUNT_INDEX: String(FACILITATOR_ACCOUNT_INDEX),
        V1_NETWORK,
      },
    }),
  ]);
  harness = startedHarness;
  reference = startedReference;
  await harness.app.listen(0, '127.0.0.1');
  const { port } = harness.app.getHttpServer().address() as AddressInfo;
  http = request(harness.app.getHttpServer());

  const org = await harness.bootstrapOrg('Facilitator');
  const read = await http
    .post('/v1/api-keys')
    .set(bearer(org.adminKey))
    .send({ name: 'seller', scope: 'read' });
  keys.read = read.body.secret;
  const agent = await http.post('/v1/agents').set(bearer(org.adminKey)).send({ name: 'not-a-seller' });
  const agentToken = await http
    .post(`/v1/agents/${agent.body.id}/tokens`)
    .set(bearer(org.adminKey))
    .send({ name: 't' });
  keys.agent = agentToken.body.secret;

  const headers = bearer(keys.read);
  procoClient = new HTTPFacilitatorClient({
    url: `http://127.0.0.1:${port}/facilitator`,
    createAuthHeaders: async () => ({ verify: headers, settle: headers, supported: headers }),
  });
  referenceClient = new HTTPFacilitatorClient({ url: `http://127.0.0.1:${facilitatorPort}` });
  await mintTestTokens({
    rpcUrl: inject('rpcUrl'),
    tokenAddress: token(),
    to: payer.address,
    amountAtomic: 1_000_000n,
  });
});

afterAll(async () => {
  await reference?.stop();
  await harness?.close();
});

interface Fixture {
  readonly paymentPayload: PaymentPayload;
  readonly paymentRequirements: PaymentRequirements;
  readonly authorization: {
    from: Address;
    to: Address;
    value: string;
    validAfter: string;
    validBefore: string;
    nonce: Hex;
  };
  readonly signature: Hex;
}

interface FixtureOptions {
  readonly x402Version?: 1 | 2;
  /** Who signs (default: the funded payer, who is also `from`). */
  readonly signer?: LocalAccount;
  readonly from?: Address;
  readonly value?: bigint;
  readonly validAfter?: bigint;
  /** Seconds from now (default 300). */
  readonly validForSeconds?: bigint;
  /** The EIP-712 naming signed and declared in `extra` (default: the token's, USDC / 2). */
  readonly domain?: { readonly name: string; readonly version: string };
  readonly asset?: Address;
  /** Unsigned requirement fields to override (amount, payTo). */
  readonly requirements?: Record<string, unknown>;
  /** v2 only: the network the payload says it accepted. */
  readonly acceptedNetwork?: string;
  readonly mapSignature?: (signature: Hex) => Hex;
}

/** A payment as a reference client would send it, signed for real; every call gets a fresh nonce. */
async function fixture(options: FixtureOptions = {}): Promise<Fixture> {
  const x402Version = options.x402Version ?? 2;
  const signer = options.signer ?? payer;
  const domain = options.domain ?? { name: 'USDC', version: '2' };
  const asset = options.asset ?? token();
  const authorization = {
    from: options.from ?? signer.address,
    to: payee,
    value: String(options.value ?? PRICE),
    validAfter: String(options.validAfter ?? 0n),
    validBefore: String(nowSeconds() + (options.validForSeconds ?? 300n)),
    nonce: toHex(crypto.getRandomValues(new Uint8Array(32))),
  };
  const signed = await signer.signTypedData({
    domain: { ...domain, chainId: inject('chainId'), verifyingContract: asset },
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: 'TransferWithAuthorization',
    message: {
      ...authorization,
      value: BigInt(authorization.value),
      validAfter: BigInt(authorization.validAfter),
      validBefore: BigInt(authorization.validBefore),
    },
  });
  const signature = options.mapSignature?.(signed) ?? signed;
  const payload = { signature, authorization };
  if (x402Version === 1) {
    const paymentRequirements = {
      scheme: 'exact',
      network: V1_NETWORK,
      maxAmountRequired: String(PRICE),
      resource: 'https://api.example.com/paid-v1',
      description: 'test resource',
      mimeType: 'application/json',
      payTo: payee,
      maxTimeoutSeconds: 300,
      asset,
      extra: { ...domain },
      ...options.requirements,
    };
    const paymentPayload = { x402Version: 1, scheme: 'exact', network: V1_NETWORK, payload };
    return {
      paymentPayload: paymentPayload as unknown as PaymentPayload,
      paymentRequirements: paymentRequirements as unknown as PaymentRequirements,
      authorization,
      signature,
    };
  }
  const accepted = {
    scheme: 'exact',
    network: network(),
    amount: String(PRICE),
    asset,
    payTo: payee,
    maxTimeoutSeconds: 300,
    extra: { ...domain },
    ...options.requirements,
  };
  const paymentPayload = {
    x402Version: 2,
    resource: { url: 'https://api.example.com/paid', description: 'test resource' },
    accepted: { ...accepted, network: options.acceptedNetwork ?? accepted.network },
    payload,
  };
  return {
    paymentPayload: paymentPayload as unknown as PaymentPayload,
    paymentRequirements: accepted as unknown as PaymentRequirements,
    authorization,
    signature,
  };
}

type Verdict = { isValid: boolean; invalidReason: string | null; payer: string | null };
const verdictOf = (response: VerifyResponse): Verdict => ({
  isValid: response.isValid,
  invalidReason: response.invalidReason ?? null,
  payer: response.payer ?? null,
});

async function verifyBoth(payment: Fixture): Promise<{ proco: Verdict; reference: Verdict }> {
  const [proco, referenceAnswer] = await Promise.all([
    procoClient.verify(payment.paymentPayload, payment.paymentRequirements),
    referenceClient.verify(payment.paymentPayload, payment.paymentRequirements),
  ]);
  return { proco: verdictOf(proco), reference: verdictOf(referenceAnswer) };
}

/** The verify body the reference client sends, for calls made without it. */
const bodyOf = (payment: Fixture) => ({
  x402Version: (payment.paymentPayload as { x402Version: number }).x402Version,
  paymentPayload: payment.paymentPayload,
  paymentRequirements: payment.paymentRequirements,
});

/** The same signature with `s` replaced by `n - s` and `v` flipped (ecrecover still accepts it). */
function toHighS(signature: Hex): Hex {
  const s = hexToBigInt(slice(signature, 32, 64));
  const v = hexToNumber(slice(signature, 64, 65));
  return concat([
    slice(signature, 0, 32),
    numberToHex(SECP256K1_ORDER - s, { size: 32 }),
    numberToHex(55 - v, { size: 1 }),
  ]);
}
const withV = (signature: Hex, v: number): Hex =>
  concat([slice(signature, 0, 64), numberToHex(v, { size: 1 })]);

async function settleOnChain(payment: Fixture): Promise<void> {
  const wallet = createWalletClient({
    account: relayer,
    chain: localChainDefinition({ chainId: inject('chainId'), rpcUrl: inject('rpcUrl') }),
    transport: viemHttp(inject('rpcUrl')),
  });
  const { authorization } = payment;
  const hash = await wallet.writeContract({
    address: token(),
    abi: testUsdAbi,
    functionName: 'transferWithAuthorization',
    args: [
      authorization.from,
      authorization.to,
      BigInt(authorization.value),
      BigInt(authorization.validAfter),
      BigInt(authorization.validBefore),
      authorization.nonce,
      payment.signature,
    ],
  });
  expect((await publicClient().waitForTransactionReceipt({ hash })).status).toBe('success');
}

describe('GET /facilitator/supported', () => {
  it('lists exact on the configured network for v2 (CAIP-2) and v1 (its name), like the reference', async () => {
    const [proco, referenceAnswer] = await Promise.all([
      procoClient.getSupported(),
      referenceClient.getSupported(),
    ]);
    expect(proco).toEqual({
      kinds: [
        { x402Version: 2, scheme: 'exact', network: network() },
        { x402Version: 1, scheme: 'exact', network: V1_NETWORK },
      ],
      extensions: [],
      signers: {},
    });
    expect(proco.kinds).toEqual(referenceAnswer.kinds);
  });
});

describe('the same verdicts as the reference facilitator', () => {
  const unfunded = privateKeyToAccount(generatePrivateKey());
  const stranger = privateKeyToAccount(generatePrivateKey());
  const cases: ReadonlyArray<readonly [string, () => Promise<Fixture>, boolean, string | null]> = [
    ['v2 valid', () => fixture(), true, null],
    [
      'v2 expired (validBefore < now + 6)',
      () => fixture({ validForSeconds: 3n }),
      false,
      'invalid_exact_evm_payload_authorization_valid_before',
    ],
    [
      'v2 not yet valid',
      () => fixture({ validAfter: nowSeconds() + 600n }),
      false,
      'invalid_exact_evm_payload_authorization_valid_after',
    ],
    [
      'v2 wrong payTo',
      () => fixture({ requirements: { payTo: stranger.address } }),
      false,
      'invalid_exact_evm_recipient_mismatch',
    ],
    [
      'v2 value differs from amount',
      () => fixture({ requirements: { amount: String(PRICE * 2n) } }),
      false,
      'invalid_exact_evm_payload_authorization_value_mismatch',
    ],
    [
      'v2 wrong domain name',
      () => fixture({ domain: { name: 'USD Coin', version: '2' } }),
      false,
      'invalid_exact_evm_token_name_mismatch',
    ],
    [
      'v2 wrong domain version',
      () => fixture({ domain: { name: 'USDC', version: '1' } }),
      false,
      'invalid_exact_evm_token_version_mismatch',
    ],
    [
      'v2 under-funded payer',
      () => fixture({ signer: unfunded }),
      false,
      'invalid_exact_evm_insufficient_balance',
    ],
    [
      'v2 bad signature (another key signed)',
      () => fixture({ signer: stranger, from: payer.address }),
      false,
      'invalid_exact_evm_signature',
    ],
    [
      'v2 v = 29 (viem refuses it, so the reference does too)',
      () => fixture({ mapSignature: (signature) => withV(signature, 29) }),
      false,
      'invalid_exact_evm_signature',
    ],
    [
      'v2 wrong network',
      () => fixture({ acceptedNetwork: 'eip155:1' }),
      false,
      'invalid_exact_evm_network_mismatch',
    ],
    [
      'v2 no EIP-712 domain',
      () => fixture({ requirements: { extra: {} } }),
      false,
      'invalid_exact_evm_missing_eip712_domain',
    ],
    ['v1 valid', () => fixture({ x402Version: 1 }), true, null],
    [
      'v1 wrong value',
      () => fixture({ x402Version: 1, requirements: { maxAmountRequired: String(PRICE + 1n) } }),
      false,
      'invalid_exact_evm_authorization_value',
    ],
    [
      'v1 under-funded payer',
      () => fixture({ x402Version: 1, signer: unfunded }),
      false,
      'invalid_exact_evm_insufficient_balance',
    ],
  ];

  it.each(cases)('%s', async (_name, build, isValid, invalidReason) => {
    const payment = await build();
    const { proco, reference: referenceVerdict } = await verifyBoth(payment);
    expect(proco).toEqual(referenceVerdict);
    expect(proco).toEqual({ isValid, invalidReason, payer: payment.authorization.from });
  });

  it('v2 nonce already used: valid, then settled on chain, then refused by both (state is read fresh)', async () => {
    const payment = await fixture();
    expect(await verifyBoth(payment)).toEqual({
      proco: { isValid: true, invalidReason: null, payer: payer.address },
      reference: { isValid: true, invalidReason: null, payer: payer.address },
    });
    await settleOnChain(payment);
    const after = await verifyBoth(payment);
    expect(after.proco).toEqual(after.reference);
    expect(after.proco).toEqual({
      isValid: false,
      invalidReason: 'invalid_exact_evm_nonce_already_used',
      payer: payer.address,
    });
  });
});

describe("Proco's own refusals", () => {
  async function procoVerify(payment: Fixture): Promise<Record<string, unknown>> {
    const response = await http.post('/facilitator/verify').set(bearer(keys.read)).send(bodyOf(payment));
    expect(response.status).toBe(200);
    return response.body as Record<string, unknown>;
  }

  it.each([
    [
      'a high-s signature',
      { mapSignature: toHighS },
      'signature_high_s',
      'invalid_exact_evm_transaction_simulation_failed',
    ],
    [
      'v as a y-parity (0 or 1)',
      { mapSignature: (signature: Hex) => withV(signature, hexToNumber(slice(signature, 64, 65)) - 27) },
      'signature_invalid_v',
      'invalid_exact_evm_transaction_simulation_failed',
    ],
    [
      'an asset that is not configured',
      { asset: privateKeyToAccount(generatePrivateKey()).address },
      'asset_not_allowed',
      'asset_not_deployed_contract',
    ],
    ['validBefore two hours ahead', { validForSeconds: 7_200n }, 'authorization_validity_too_long', null],
  ] as const)(
    '%s: refused by Proco (the reference: %s)',
    async (_name, options, procoReason, referenceReason) => {
      const payment = await fixture(options);
      const { proco, reference: referenceVerdict } = await verifyBoth(payment);
      expect(proco).toEqual({ isValid: false, invalidReason: procoReason, payer: payer.address });
      expect(referenceVerdict).toEqual({
        isValid: referenceReason === null,
        invalidReason: referenceReason,
        payer: payer.address,
      });
      expect(await procoVerify(payment)).toMatchObject({ invalidMessage: expect.any(String) });
    },
  );

  it('refuses a second verify of one authorization while the first holds the in-flight lock', async () => {
    const payment = await fixture();
    expect(await procoVerify(payment)).toEqual({ isValid: true, payer: payer.address });
    expect(await procoVerify(payment)).toMatchObject({
      isValid: false,
      invalidReason: 'authorization_in_flight',
      payer: payer.address,
    });
    // The lock lives under the configured Redis prefix, keyed by (chain, asset, from, nonce).
    const redis = new Redis(harness.config.redis.url);
    try {
      const key = [
        `${harness.config.redis.prefix}:facilitator:authorization-lock:${inject('chainId')}`,
        token().toLowerCase(),
        payer.address.toLowerCase(),
        payment.authorization.nonce.toLowerCase(),
      ].join(':');
      const ttlMs = await redis.pttl(key);
      expect(ttlMs).toBeGreaterThan(0);
      expect(ttlMs).toBeLessThanOrEqual(120_000);
    } finally {
      redis.disconnect();
    }
  });

  it("limits one payer's verifies per minute (429, before any chain read), not other payers'", async () => {
    const limit = 20;
    const limited = await startApiHarness({
      environment: { PROCO_FACILITATOR_PAYER_VERIFIES_PER_MINUTE: String(limit) },
    });
    try {
      const { adminKey } = await limited.bootstrapOrg('Facilitator rate limit');
      const verify = (payment: Fixture) =>
        request(limited.app.getHttpServer())
          .post('/facilitator/verify')
          .set(bearer(adminKey))
          .send(bodyOf(payment));
      // Payloads that pass the static checks and are refused after the first chain read.
      const payment = await fixture({
        signer: privateKeyToAccount(generatePrivateKey()),
        validForSeconds: 7_200n,
      });
      // Start well inside a window, so every request below lands in the same one.
      const intoWindowMs = Date.now() % PAYER_VERIFY_WINDOW_MS;
      if (intoWindowMs > PAYER_VERIFY_WINDOW_MS - 10_000)
        await sleep(PAYER_VERIFY_WINDOW_MS - intoWindowMs + 100);
      for (let index = 0; index < limit; index += 1) {
        const allowed = await verify(payment);
        expect(allowed.status).toBe(200);
        expect(allowed.body.invalidReason).toBe('authorization_validity_too_long');
      }
      const refused = await verify(payment);
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 'rate_limited', retryable: true });
      expect(refused.headers['retry-after']).toEqual(expect.any(String));
      const other = await verify(await fixture({ validForSeconds: 7_200n }));
      expect(other.status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('32 concurrent verifies of one payload: exactly one isValid true, the rest in flight', async () => {
    const payment = await fixture();
    const answers = await Promise.all(
      Array.from({ length: 32 }, () =>
        procoClient.verify(payment.paymentPayload, payment.paymentRequirements).then(verdictOf),
      ),
    );
    expect(answers.filter((answer) => answer.isValid)).toHaveLength(1);
    expect(answers.filter((answer) => answer.invalidReason === 'authorization_in_flight')).toHaveLength(31);
  });

  it('answers unsupported_network for requirements on a network it does not facilitate', async () => {
    const payment = await fixture({ requirements: { network: 'eip155:1' } });
    expect(await procoVerify(payment)).toMatchObject({
      isValid: false,
      invalidReason: 'unsupported_network',
    });
  });

  it('answers unsupported_payload_type for a Permit2 payload (EIP-3009 only)', async () => {
    const payment = await fixture();
    const permit2 = {
      ...payment,
      paymentPayload: {
        ...payment.paymentPayload,
        payload: { signature: payment.signature, permit2Authorization: { from: payer.address } },
      } as unknown as PaymentPayload,
    };
    expect(await procoVerify(permit2)).toEqual({
      isValid: false,
      invalidReason: 'unsupported_payload_type',
      invalidMessage: 'only EIP-3009 authorizations are verified',
      payer: payer.address,
    });
  });
});

describe('access', () => {
  it('refuses both routes without a key (401) and with an agent token (403)', async () => {
    const payment = await fixture();
    const anonymous = await http.post('/facilitator/verify').send(bodyOf(payment));
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'unauthenticated']);
    const anonymousSupported = await http.get('/facilitator/supported');
    expect(anonymousSupported.status).toBe(401);
    const agent = await http.post('/facilitator/verify').set(bearer(keys.agent)).send(bodyOf(payment));
    expect([agent.status, agent.body.code]).toEqual([403, 'forbidden']);
    const agentSupported = await http.get('/facilitator/supported').set(bearer(keys.agent));
    expect(agentSupported.status).toBe(403);
  });
});

describe('garbage bodies', () => {
  const send = (body: string, contentType = 'application/json') =>
    http.post('/facilitator/verify').set(bearer(keys.read)).set('Content-Type', contentType).send(body);

  it.each([
    ['not JSON', () => send('{"x402Version": 2,'), 400, 'malformed_json'],
    ['not JSON content', () => send('x402Version=2', 'text/plain'), 415, 'unsupported_media_type'],
    ['an array', () => send('[]'), 400, 'invalid_facilitator_request'],
    ['an empty object', () => send('{}'), 400, 'invalid_facilitator_request'],
    [
      'version 3',
      () => send(JSON.stringify({ x402Version: 3, paymentPayload: {}, paymentRequirements: {} })),
      400,
      'unsupported_version',
    ],
  ] as const)('%s', async (_name, call, status, code) => {
    const response = await call();
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect([response.status, response.body.code]).toEqual([status, code]);
  });

  it('names the offending fields of a malformed payload or requirements', async () => {
    const payment = await fixture();
    const body = bodyOf(payment);
    const noAuthorization = {
      ...body,
      paymentPayload: { ...body.paymentPayload, payload: { signature: payment.signature } },
    };
    const merchant = { ...body, paymentRequirements: { ...body.paymentRequirements, payTo: 'merchant' } };
    const scientific = { ...body, paymentRequirements: { ...body.paymentRequirements, amount: '1e4' } };
    const answers = await Promise.all(
      [noAuthorization, merchant, scientific].map((candidate) =>
        http.post('/facilitator/verify').set(bearer(keys.read)).send(candidate),
      ),
    );
    expect(answers.map((answer): [number, unknown] => [answer.status, answer.body.code])).toEqual([
      [400, 'invalid_payment_payload'],
      [400, 'invalid_payment_requirements'],
      [400, 'invalid_amount'],
    ]);
    expect(answers[0]?.body.errors).toContainEqual(
      expect.objectContaining({ field: '$.paymentPayload.payload.authorization' }),
    );
    expect(answers[1]?.body.errors).toEqual([
      { field: '$.paymentRequirements.payTo', message: expect.any(String) },
    ]);
  });

  it('a seeded fuzz of hostile bodies always gets a 200 verdict or a 4xx problem, never a 5xx', async () => {
    const seed = Number(process.env['FACILITATOR_FUZZ_SEED'] ?? Date.now() % 2_147_483_647);
    console.log(`facilitator verify fuzz seed: ${seed} (replay with FACILITATOR_FUZZ_SEED=${seed})`);
    const valid = bodyOf(await fixture()) as unknown as Record<string, unknown>;
    const hostileText = fc.constantFrom(
      '1e18',
      '-1',
      String(2n ** 256n),
      '0x10',
      '010000',
      '１０',
      ' 1',
      `0x${'ab'.repeat(19)}`,
      `0x${'ab'.repeat(21)}`,
      `0x${'ab'.repeat(31)}`,
      `0x${'ab'.repeat(33)}`,
      '__proto__',
      'constructor',
      '',
    );
    const paths = fc.constantFrom(
      ['x402Version'],
      ['paymentPayload'],
      ['paymentPayload', 'x402Version'],
      ['paymentPayload', 'accepted'],
      ['paymentPayload', 'accepted', 'network'],
      ['paymentPayload', 'payload'],
      ['paymentPayload', 'payload', 'signature'],
      ['paymentPayload', 'payload', 'authorization'],
      ['paymentPayload', 'payload', 'authorization', 'from'],
      ['paymentPayload', 'payload', 'authorization', 'value'],
      ['paymentPayload', 'payload', 'authorization', 'validBefore'],
      ['paymentPayload', 'payload', 'authorization', 'nonce'],
      ['paymentRequirements'],
      ['paymentRequirements', 'amount'],
      ['paymentRequirements', 'asset'],
      ['paymentRequirements', 'payTo'],
      ['paymentRequirements', 'network'],
      ['paymentRequirements', 'extra'],
    );
    const mutated = fc
      .tuple(paths, fc.oneof(hostileText, fc.jsonValue({ maxDepth: 3 })))
      .map(([path, value]) => JSON.stringify(replaced(valid, path, value)));
    // Well-typed changes get past decoding into the signature, time and chain checks.
    const hex = (bytes: number) =>
      fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((value) => toHex(value));
    const authorizationPath = (field: string) => ['paymentPayload', 'payload', 'authorization', field];
    const wellTyped = fc
      .oneof(
        fc.tuple(
          fc.constantFrom(...['value', 'validAfter', 'validBefore'].map(authorizationPath)),
          fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map(String),
        ),
        fc.tuple(
          fc.constantFrom(
            authorizationPath('from'),
            authorizationPath('to'),
            ['paymentRequirements', 'payTo'],
            ['paymentRequirements', 'asset'],
          ),
          hex(20),
        ),
        fc.tuple(fc.constant(authorizationPath('nonce')), hex(32)),
        fc.tuple(
          fc.constant(['paymentPayload', 'payload', 'signature']),
          fc.oneof(hex(65), hex(64), hex(200)),
        ),
        fc.tuple(
          fc.constant(['paymentRequirements', 'amount']),
          fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map(String),
        ),
      )
      .map(([path, value]) => JSON.stringify(replaced(valid, path, value)));
    const bodies = fc.oneof(
      mutated,
      wellTyped,
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (text) => {
        const response = await send(text);
        const ok =
          response.status === 200 ? typeof response.body.isValid === 'boolean' : response.status < 500;
        expect({ status: response.status, ok, body: response.body }).toMatchObject({ ok: true });
        expect(response.status).toBeLessThan(500);
      }),
      { seed, numRuns: FUZZ_RUNS },
    );
  });
});

/** A deep copy of `body` with the value at `path` replaced. */
function replaced(
  body: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): Record<string, unknown> {
  const copy = structuredClone(body);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path.at(-1) ?? ''] = value;
  return copy;
}

describe('an RPC that stopped answering', () => {
  let proxy: RpcProxy;
  let degraded: ApiHarness;
  let directory: string;

  beforeAll(async () => {
    proxy = await startRpcProxy({ upstreamUrl: inject('rpcUrl') });
    directory = mkdtempSync(join(tmpdir(), 'proco-facilitator-rpc-'));
    const networks = JSON.parse(readFileSync(inject('networksFile'), 'utf8')) as {
      networks: { rpcUrl: string }[];
    };
    for (const entry of networks.networks) entry.rpcUrl = proxy.url;
    const networksFile = join(directory, 'networks.json');
    writeFileSync(networksFile, JSON.stringify(networks));
    degraded = await startApiHarness({
      database: harness.database,
      masterKeyBase64: harness.masterKeyBase64,
      environment: { PROCO_NETWORKS_FILE: networksFile },
    });
  });

  afterAll(async () => {
    await degraded?.close();
    await proxy?.stop();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it('answers 503 rpc_unavailable, never a verdict, when the chain cannot be read', async () => {
    const payment = await fixture();
    const degradedHttp = request(degraded.app.getHttpServer());
    proxy.calls.length = 0;
    const healthy = await degradedHttp
      .post('/facilitator/verify')
      .set(bearer(keys.read))
      .send(bodyOf(payment));
    expect(healthy.body).toEqual({ isValid: true, payer: payer.address });
    // Reads are made fresh every time: the payer's code and the simulation, nothing from a cache.
    expect(proxy.calls.map((call) => call.method).sort()).toEqual(['eth_call', 'eth_getCode']);

    await proxy.stop();
    const another = await fixture();
    const down = await degradedHttp.post('/facilitator/verify').set(bearer(keys.read)).send(bodyOf(another));
    expect(down.status).toBe(503);
    expect(down.headers['content-type']).toContain('application/problem+json');
    expect(down.body.code).toBe('rpc_unavailable');
    expect(down.body).not.toHaveProperty('isValid');
  });
});
