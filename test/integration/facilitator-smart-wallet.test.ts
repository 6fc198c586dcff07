// Goal: Proco's facilitator pays out of smart-contract wallets (EIP-1271) on the run's anvil chain,
// with a real wallet contract (ProcoTestSmartWallet, one owner key) and the real test token, and
// refuses an undeployed ERC-6492 wallet the way the reference facilitator does. The API and the
// worker run as production runs them; the reference facilitator (@x402/evm 2.27.0) runs in a child
// process on the same chain, and both are called through the reference `HTTPFacilitatorClient`.
// Covered: the wallet answers for the token's EIP-712 digest; verify verdicts (owner signature in
// 65-byte and EIP-2098 64-byte form, another key, high s, bad v, undeployed ERC-6492, v1 and v2)
// equal the reference's; settle through both `transferWithAuthorization` overloads (a 65-byte
// signature takes `(v, r, s)`, anything else `bytes`) with one `AuthorizationUsed` log and exact
// balances; an undeployed ERC-6492 wallet queues nothing; and, once the factory call in its wrapper
// has deployed it, a bare signature and a still-wrapped one both settle.
import { type AddressInfo } from 'node:net';
import {
  anvilDevAccount,
  DETERMINISTIC_DEPLOYER_ADDRESS,
  eip3009Abi,
  ERC1271_MAGIC_VALUE,
  findFreePort,
  localChainDefinition,
  mintTestTokens,
  MULTICALL3_ADDRESS,
  multicall3Abi,
  testSmartWalletAbi,
  testSmartWalletBytecode,
  testUsdAbi,
} from '@proco/evm';
import { PrismaService } from '@proco/persistence';
import { TRANSFER_WITH_AUTHORIZATION_PRIMARY_TYPE, TRANSFER_WITH_AUTHORIZATION_TYPES } from '@proco/x402';
import { HTTPFacilitatorClient } from '@x402/core/http';
import type { PaymentPayload, PaymentRequirements, VerifyResponse } from '@x402/core/types';
import {
  type Address,
  concat,
  createPublicClient,
  createWalletClient,
  decodeFunctionData,
  domainSeparator,
  encodeDeployData,
  getAddress,
  getContractAddress,
  type Hex,
  hashTypedData,
  hexToBigInt,
  hexToNumber,
  http as viemHttp,
  isAddressEqual,
  numberToHex,
  parseSignature,
  serializeCompactSignature,
  serializeErc6492Signature,
  signatureToCompactSignature,
  slice,
  toFunctionSelector,
  toHex,
} from 'viem';
import { generatePrivateKey, type LocalAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { type ReferenceProcess, startReferenceProcess } from '../support/reference-x402/child-process';
import { startWorkerHarness, type WorkerHarness } from '../support/worker-harness';

const PRICE = 10_000n;
const FUNDING = 1_000_000n;
const V1_NETWORK = 'base-sepolia';
/** Deploys the wallets. Suites run one at a time, so no other suite races this account's nonces. */
const deployer = anvilDevAccount({ index: 0 });
/** The reference facilitator reads with it, and settles with it in the last test. */
const REFERENCE_FACILITATOR_ACCOUNT_INDEX = 8;
/** The wallets' owner key: it holds no ETH and no tokens, it only signs. */
const owner = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());
/** A fresh payee, so its balance is exactly what this suite paid it. */
const payee = getAddress(privateKeyToAccount(generatePrivateKey()).address);
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const ERC1271_INVALID = '0xffffffff';
const VRS_OVERLOAD = toFunctionSelector(
  'transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)',
);
const BYTES_OVERLOAD = toFunctionSelector(
  'transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)',
);

let harness: ApiHarness;
let worker: WorkerHarness;
let reference: ReferenceProcess;
let prisma: PrismaService;
let procoClient: HTTPFacilitatorClient;
let referenceClient: HTTPFacilitatorClient;
/** The wallet this suite deploys in `beforeAll` and pays from. */
let wallet: Address;

const network = () => `eip155:${inject('chainId')}`;
const token = () => getAddress(inject('tokenAddress'));
const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const nowSeconds = () => BigInt(Math.floor(Date.now() / 1_000));
const publicClient = () => createPublicClient({ transport: viemHttp(inject('rpcUrl')) });
const deployerClient = () =>
  createWalletClient({
    account: deployer,
    chain: localChainDefinition({ chainId: inject('chainId'), rpcUrl: inject('rpcUrl') }),
    transport: viemHttp(inject('rpcUrl')),
  });

/**
 * A second wallet of the same owner that exists only as an ERC-6492 promise: the deterministic
 * CREATE2 deployer would create it at `address` when called with `factoryCalldata`
 * (salt ‖ init code), exactly as a smart-wallet factory would.
 */
const counterfactual = (() => {
  const salt = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const initCode = encodeDeployData({
    abi: testSmartWalletAbi,
    bytecode: testSmartWalletBytecode,
    args: [owner.address],
  });
  return {
    address: getContractAddress({
      opcode: 'CREATE2',
      from: DETERMINISTIC_DEPLOYER_ADDRESS,
      salt,
      bytecode: initCode,
    }),
    factory: getAddress(DETERMINISTIC_DEPLOYER_ADDRESS),
    factoryCalldata: concat([salt, initCode]),
  };
})();

interface Authorization {
  readonly from: Address;
  readonly to: Address;
  readonly value: string;
  readonly validAfter: string;
  readonly validBefore: string;
  readonly nonce: Hex;
}

interface Fixture {
  readonly paymentPayload: PaymentPayload;
  readonly paymentRequirements: PaymentRequirements;
  readonly authorization: Authorization;
  /** The signature as sent in the payload. */
  readonly signature: Hex;
}

interface FixtureOptions {
  readonly x402Version?: 1 | 2;
  /** `authorization.from` (default: the deployed wallet). */
  readonly from?: Address;
  /** Who signs (default: the wallets' owner). */
  readonly signer?: LocalAccount;
  /** Rewrites the owner's 65-byte signature before it goes into the payload. */
  readonly mapSignature?: (signature: Hex) => Hex;
}

/** The EIP-712 typed data of an authorization under the token's domain (USDC / 2). */
function typedDataOf(authorization: Authorization) {
  return {
    domain: { name: 'USDC', version: '2', chainId: inject('chainId'), verifyingContract: token() },
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: TRANSFER_WITH_AUTHORIZATION_PRIMARY_TYPE,
    message: {
      ...authorization,
      value: BigInt(authorization.value),
      validAfter: BigInt(authorization.validAfter),
      validBefore: BigInt(authorization.validBefore),
    },
  } as const;
}

/** A payment whose payer is a contract wallet, signed for real by the owner; fresh nonce each call. */
async function fixture(options: FixtureOptions = {}): Promise<Fixture> {
  const authorization: Authorization = {
    from: options.from ?? wallet,
    to: payee,
    value: String(PRICE),
    validAfter: '0',
    validBefore: String(nowSeconds() + 300n),
    nonce: toHex(crypto.getRandomValues(new Uint8Array(32))),
  };
  const signed = await (options.signer ?? owner).signTypedData(typedDataOf(authorization));
  const signature = options.mapSignature?.(signed) ?? signed;
  const payload = { signature, authorization };
  if (options.x402Version === 1) {
    const paymentRequirements = {
      scheme: 'exact',
      network: V1_NETWORK,
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
        network: V1_NETWORK,
        payload,
      } as unknown as PaymentPayload,
      paymentRequirements: paymentRequirements as unknown as PaymentRequirements,
      authorization,
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
    authorization,
    signature,
  };
}

/** The same signature in EIP-2098 compact form (64 bytes: r ‖ yParity·2^255 + s). */
const toCompact = (signature: Hex): Hex =>
  serializeCompactSignature(signatureToCompactSignature(parseSignature(signature)));

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

/** The signature in the ERC-6492 wrapper that names the counterfactual wallet's factory call. */
const wrap6492 = (signature: Hex): Hex =>
  serializeErc6492Signature({
    address: counterfactual.factory,
    data: counterfactual.factoryCalldata,
    signature,
  });

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

async function balanceOf(address: Address): Promise<bigint> {
  return publicClient().readContract({
    address: token(),
    abi: testUsdAbi,
    functionName: 'balanceOf',
    args: [address],
  });
}

async function hasCode(address: Address): Promise<boolean> {
  const code = await publicClient().getCode({ address });
  return code !== undefined && code !== '0x';
}

async function isValidSignatureOf(digest: Hex, signature: Hex): Promise<Hex> {
  return publicClient().readContract({
    address: wallet,
    abi: testSmartWalletAbi,
    functionName: 'isValidSignature',
    args: [digest, signature],
  });
}

/** Every `AuthorizationUsed` log of the token for `authorizer` and `nonce` so far. */
async function useLogsOf(authorizer: Address, nonce: Hex) {
  return publicClient().getContractEvents({
    address: token(),
    abi: eip3009Abi,
    eventName: 'AuthorizationUsed',
    args: { authorizer, nonce },
    fromBlock: 0n,
  });
}

async function settlementOf(nonce: Hex) {
  return prisma.settlement.findFirst({ where: { nonce: nonce.toLowerCase() } });
}

/**
 * The token calldata a mined transaction carried: the transaction's own input when it calls the
 * token, or the token's entry of a Multicall3 `aggregate3` batch.
 */
async function tokenCallDataOf(hash: Hex): Promise<Hex> {
  const transaction = await publicClient().getTransaction({ hash });
  if (transaction.to !== null && isAddressEqual(transaction.to, token())) return transaction.input;
  expect(transaction.to !== null && isAddressEqual(transaction.to, MULTICALL3_ADDRESS)).toBe(true);
  const decoded = decodeFunctionData({ abi: multicall3Abi, data: transaction.input });
  if (decoded.functionName !== 'aggregate3') throw new Error(`transaction ${hash} is not a batch`);
  const call = decoded.args[0].find((item) => isAddressEqual(item.target, token()));
  if (call === undefined) throw new Error(`transaction ${hash} does not call the token`);
  return call.callData;
}

/** Settles through Proco and checks the transfer landed once, from the wallet, with exact balances. */
async function settleAndCheck(payment: Fixture): Promise<{ transaction: Hex; callData: Hex }> {
  const from = payment.authorization.from;
  const [fromBefore, payeeBefore] = await Promise.all([balanceOf(from), balanceOf(payee)]);

  const verified = await procoClient.verify(payment.paymentPayload, payment.paymentRequirements);
  expect(verified).toEqual({ isValid: true, payer: from });
  const settled = await procoClient.settle(payment.paymentPayload, payment.paymentRequirements);
  expect(settled).toMatchObject({ success: true, payer: from });
  expect(settled.transaction).toMatch(/^0x[0-9a-f]{64}$/);
  const transaction = settled.transaction as Hex;

  const receipt = await publicClient().getTransactionReceipt({ hash: transaction });
  expect(receipt.status).toBe('success');
  const logs = await useLogsOf(from, payment.authorization.nonce);
  expect(logs).toHaveLength(1);
  expect(logs[0]!.transactionHash).toBe(transaction);
  expect(await balanceOf(from)).toBe(fromBefore - PRICE);
  expect(await balanceOf(payee)).toBe(payeeBefore + PRICE);
  expect(await settlementOf(payment.authorization.nonce)).toMatchObject({
    status: 'confirmed',
    payer: from.toLowerCase(),
    transactionHash: transaction,
  });
  return { transaction, callData: await tokenCallDataOf(transaction) };
}

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
        FACILITATOR_ACCOUNT_INDEX: String(REFERENCE_FACILITATOR_ACCOUNT_INDEX),
        V1_NETWORK,
      },
    }),
  ]);
  harness = startedHarness;
  reference = startedReference;
  worker = await startWorkerHarness({
    databaseUrl: harness.database.url,
    redisPrefix: harness.config.redis.prefix,
    masterKeyBase64: harness.masterKeyBase64,
  });
  prisma = harness.app.get(PrismaService);
  await harness.app.listen(0, '127.0.0.1');
  const { port } = harness.app.getHttpServer().address() as AddressInfo;
  const org = await harness.bootstrapOrg('Smart wallets');
  // Settling spends the relayer's gas, so the facilitator is called with an admin key.
  const headers = bearer(org.adminKey);
  procoClient = new HTTPFacilitatorClient({
    url: `http://127.0.0.1:${port}/facilitator`,
    createAuthHeaders: async () => ({ verify: headers, settle: headers, supported: headers }),
  });
  referenceClient = new HTTPFacilitatorClient({ url: `http://127.0.0.1:${facilitatorPort}` });

  const hash = await deployerClient().deployContract({
    abi: testSmartWalletAbi,
    bytecode: testSmartWalletBytecode,
    args: [owner.address],
  });
  const receipt = await publicClient().waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  wallet = getAddress(receipt.contractAddress!);
  // Both wallets hold tokens, so no refusal below can be about the balance.
  await mintTestTokens({
    rpcUrl: inject('rpcUrl'),
    tokenAddress: token(),
    to: wallet,
    amountAtomic: FUNDING,
  });
  await mintTestTokens({
    rpcUrl: inject('rpcUrl'),
    tokenAddress: token(),
    to: counterfactual.address,
    amountAtomic: FUNDING,
  });
});

afterAll(async () => {
  await reference?.stop();
  await worker?.close();
  await harness?.close();
});

describe('ProcoTestSmartWallet', () => {
  it("answers the magic value for the owner's signature of the digest the token asks about", async () => {
    expect(
      await publicClient().readContract({ address: wallet, abi: testSmartWalletAbi, functionName: 'owner' }),
    ).toBe(owner.address);
    const payment = await fixture();
    const typedData = typedDataOf(payment.authorization);
    // The token hands `isValidSignature` its `_hashTypedDataV4(structHash)`: the EIP-712 digest of
    // the authorization under its own domain separator, which is the one the owner signs.
    const tokenSeparator = await publicClient().readContract({
      address: token(),
      abi: testUsdAbi,
      functionName: 'DOMAIN_SEPARATOR',
    });
    expect(tokenSeparator).toBe(domainSeparator({ domain: typedData.domain }));
    const digest = hashTypedData(typedData);

    expect(await isValidSignatureOf(digest, payment.signature)).toBe(ERC1271_MAGIC_VALUE);
    expect(await isValidSignatureOf(digest, toCompact(payment.signature))).toBe(ERC1271_MAGIC_VALUE);
    const strangers = await stranger.signTypedData(typedData);
    const refused: readonly Hex[] = [
      strangers,
      toHighS(payment.signature),
      withV(payment.signature, 0),
      withV(payment.signature, 1),
      slice(payment.signature, 0, 63),
      // The wallet does not open ERC-6492 wrappers: a verifier must unwrap before asking it.
      wrap6492(payment.signature),
    ];
    for (const signature of refused) {
      expect(await isValidSignatureOf(digest, signature)).toBe(ERC1271_INVALID);
    }
  });
});

describe('POST /facilitator/verify: the same verdicts as the reference facilitator', () => {
  const valid = (payer: () => Address): Verdict => ({ isValid: true, invalidReason: null, payer: payer() });
  const refused = (invalidReason: string, payer: () => Address): Verdict => ({
    isValid: false,
    invalidReason,
    payer: payer(),
  });
  const theWallet = () => wallet;
  const theCounterfactual = () => counterfactual.address;
  const cases: ReadonlyArray<readonly [string, () => Promise<Fixture>, () => Verdict]> = [
    ['v2 owner signature (65 bytes)', () => fixture(), () => valid(theWallet)],
    [
      'v2 owner signature in EIP-2098 compact form (64 bytes)',
      () => fixture({ mapSignature: toCompact }),
      () => valid(theWallet),
    ],
    ['v1 owner signature', () => fixture({ x402Version: 1 }), () => valid(theWallet)],
    [
      'v2 signed by a key that does not own the wallet',
      () => fixture({ signer: stranger }),
      () => refused('invalid_exact_evm_signature', theWallet),
    ],
    [
      'v1 signed by a key that does not own the wallet',
      () => fixture({ x402Version: 1, signer: stranger }),
      () => refused('invalid_exact_evm_signature', theWallet),
    ],
    [
      // Proco's own `signature_high_s` applies to accounts without code; a wallet judges its own
      // signatures, and this one refuses high s, so both facilitators answer the signature check.
      'v2 owner signature with high s',
      () => fixture({ mapSignature: toHighS }),
      () => refused('invalid_exact_evm_signature', theWallet),
    ],
    [
      'v2 owner signature with v = 0',
      () => fixture({ mapSignature: (signature) => withV(signature, 0) }),
      () => refused('invalid_exact_evm_signature', theWallet),
    ],
    [
      'v2 ERC-6492 wrapper of an undeployed wallet (no factory is allowed)',
      () => fixture({ from: counterfactual.address, mapSignature: wrap6492 }),
      () => refused('eip6492_factory_not_allowed', theCounterfactual),
    ],
    [
      'v1 ERC-6492 wrapper of an undeployed wallet',
      () => fixture({ x402Version: 1, from: counterfactual.address, mapSignature: wrap6492 }),
      () => refused('eip6492_factory_not_allowed', theCounterfactual),
    ],
    [
      // Without its wrapper the signature is judged as an EOA's (no code at `from`): ecrecover
      // gives the owner, not the counterfactual address.
      'v2 bare owner signature from the undeployed wallet address',
      () => fixture({ from: counterfactual.address }),
      () => refused('invalid_exact_evm_signature', theCounterfactual),
    ],
  ];

  it.each(cases)('%s', async (_name, build, expected) => {
    const payment = await build();
    const { proco, reference: referenceVerdict } = await verifyBoth(payment);
    expect(proco).toEqual(expected());
    expect(referenceVerdict).toEqual(proco);
  });

  it('leaves the undeployed wallet undeployed: verify writes nothing to the chain', async () => {
    expect(await hasCode(counterfactual.address)).toBe(false);
  });
});

describe('POST /facilitator/settle from a smart wallet', () => {
  it('settles a 65-byte owner signature: the (v, r, s) overload, and the token asks the wallet', async () => {
    const payment = await fixture();
    const { callData } = await settleAndCheck(payment);
    // The worker picks the overload by signature length; USDC v2.2 and the test token send both
    // overloads through SignatureChecker, which asks a payer with code for EIP-1271.
    expect(slice(callData, 0, 4)).toBe(VRS_OVERLOAD);
  });

  it('settles an EIP-2098 compact signature through the bytes overload', async () => {
    const payment = await fixture({ mapSignature: toCompact });
    const { callData } = await settleAndCheck(payment);
    expect(slice(callData, 0, 4)).toBe(BYTES_OVERLOAD);
    const decoded = decodeFunctionData({ abi: eip3009Abi, data: callData });
    expect(decoded.args).toEqual([
      wallet,
      payee,
      PRICE,
      0n,
      BigInt(payment.authorization.validBefore),
      payment.authorization.nonce,
      payment.signature,
    ]);

    // Settled: the same payload answers the stored outcome and no longer verifies.
    const again = await procoClient.settle(payment.paymentPayload, payment.paymentRequirements);
    expect(again).toMatchObject({ success: true });
    expect(await useLogsOf(wallet, payment.authorization.nonce)).toHaveLength(1);
    const replay = await procoClient.verify(payment.paymentPayload, payment.paymentRequirements);
    expect(replay).toMatchObject({ isValid: false, invalidReason: 'invalid_exact_evm_nonce_already_used' });
  });

  it('refuses a signature by another key before queueing anything', async () => {
    const payment = await fixture({ signer: stranger, mapSignature: toCompact });
    const answer = await procoClient.settle(payment.paymentPayload, payment.paymentRequirements);
    expect(answer).toEqual({
      success: false,
      errorReason: 'invalid_exact_evm_signature',
      transaction: '',
      network: network(),
      payer: wallet,
    });
    expect(await settlementOf(payment.authorization.nonce)).toBeNull();
  });

  it('refuses an undeployed ERC-6492 wallet, queues nothing and deploys nothing', async () => {
    const payment = await fixture({ from: counterfactual.address, mapSignature: wrap6492 });
    const balanceBefore = await balanceOf(counterfactual.address);
    const answer = await procoClient.settle(payment.paymentPayload, payment.paymentRequirements);
    expect(answer).toEqual({
      success: false,
      errorReason: 'eip6492_factory_not_allowed',
      transaction: '',
      network: network(),
      payer: counterfactual.address,
    });
    expect(await settlementOf(payment.authorization.nonce)).toBeNull();
    expect(await prisma.settlement.count({ where: { payer: counterfactual.address.toLowerCase() } })).toBe(0);
    expect(await hasCode(counterfactual.address)).toBe(false);
    expect(await balanceOf(counterfactual.address)).toBe(balanceBefore);
  });
});

describe('an ERC-6492 wallet once its factory call has run', () => {
  beforeAll(async () => {
    // Anyone may run the factory call the wrapper carries; here the deployer does.
    const hash = await deployerClient().sendTransaction({
      to: counterfactual.factory,
      data: counterfactual.factoryCalldata,
    });
    expect((await publicClient().waitForTransactionReceipt({ hash })).status).toBe('success');
    expect(await hasCode(counterfactual.address)).toBe(true);
  });

  it('settles a bare owner signature like any deployed wallet', async () => {
    const { callData } = await settleAndCheck(await fixture({ from: counterfactual.address }));
    expect(slice(callData, 0, 4)).toBe(VRS_OVERLOAD);
  });

  // Verify opens the ERC-6492 wrapper of a payer that has code and judges the inner signature, as
  // the reference does; settle stores that inner signature (the wrapper's digest stays the
  // idempotency key), so the wallet is asked about the signature its owner made.
  it('verifies and settles a still-wrapped signature once the wallet exists', async () => {
    const payment = await fixture({ from: counterfactual.address, mapSignature: wrap6492 });
    const payer = counterfactual.address;
    expect(await verifyBoth(payment)).toEqual({
      proco: { isValid: true, invalidReason: null, payer },
      reference: { isValid: true, invalidReason: null, payer },
    });
    const [payerBefore, payeeBefore] = await Promise.all([balanceOf(payer), balanceOf(payee)]);
    // Proco's verify above holds the authorization's lock for this very payload: settle passes it.
    const settled = await procoClient.settle(payment.paymentPayload, payment.paymentRequirements);
    expect(settled).toMatchObject({ success: true, payer, network: network() });
    expect(await balanceOf(payer)).toBe(payerBefore - PRICE);
    expect(await balanceOf(payee)).toBe(payeeBefore + PRICE);
    const stored = await settlementOf(payment.authorization.nonce);
    expect(stored?.signature).not.toBe(payment.signature.toLowerCase());
    expect(payment.signature.toLowerCase()).toContain(stored!.signature.slice(2));
    // Settling the same payload again answers the same; the reference finds the nonce used.
    const again = await procoClient.settle(payment.paymentPayload, payment.paymentRequirements);
    expect(again).toMatchObject({ success: true, payer });
    const referenceAnswer = await referenceClient.settle(payment.paymentPayload, payment.paymentRequirements);
    expect(referenceAnswer).toMatchObject({ success: false });
    expect(await useLogsOf(payer, payment.authorization.nonce)).toHaveLength(1);
  });
});
