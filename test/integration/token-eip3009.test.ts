// Goal: the local test USD token behaves like USDC FiatToken v2.2 for EIP-3009: domain, both signature
// overloads, replay, malleability, validity-window boundaries, cancel, receive and events.
import {
  anvilDevAccount,
  faucetMinterAddress,
  findFreePort,
  localChainDefinition,
  mintTestTokens,
  startLocalChain,
  testUsdAbi,
  type LocalChain,
} from '@proco/evm';
import { randomBytes } from 'node:crypto';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  hashDomain,
  http,
  numberToHex,
  parseEventLogs,
  parseSignature,
  serializeSignature,
  toHex,
  type Address,
  type Hex,
  type PublicClient,
  type TestClient,
} from 'viem';
import type { HDAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// secp256k1 group order; s and n - s both verify under ecrecover, only the low one is canonical.
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
// Explicit gas skips estimation, so a transaction that will revert is still mined and inspectable.
const TRANSFER_GAS_LIMIT = 300_000n;
const PAYER_BALANCE_ATOMIC = 1_000_000_000n;
const PAYMENT_ATOMIC = 10_000n;
const VALIDITY_WINDOW_SECONDS = 3_600n;

const payer = anvilDevAccount({ index: 1 });
const payee = anvilDevAccount({ index: 2 });
const relayer = anvilDevAccount({ index: 3 });

type AuthorizationKind = 'TransferWithAuthorization' | 'ReceiveWithAuthorization';

type Authorization = {
  readonly from: Address;
  readonly to: Address;
  readonly value: bigint;
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly nonce: Hex;
};

const authorizationFields = [
  { name: 'from', type: 'address' },
  { name: 'to', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'validAfter', type: 'uint256' },
  { name: 'validBefore', type: 'uint256' },
  { name: 'nonce', type: 'bytes32' },
] as const;

let chain: LocalChain;
let publicClient: PublicClient;
let testClient: TestClient<'anvil'>;

function randomNonce(): Hex {
  return toHex(randomBytes(32));
}

function tokenDomain(): { name: string; version: string; chainId: number; verifyingContract: Address } {
  return { name: 'USDC', version: '2', chainId: chain.chainId, verifyingContract: chain.tokenAddress };
}

async function latestTimestamp(): Promise<bigint> {
  return (await publicClient.getBlock()).timestamp;
}

async function buildAuthorization(overrides: Partial<Authorization> = {}): Promise<Authorization> {
  const now = await latestTimestamp();
  return {
    from: payer.address,
    to: payee.address,
    value: PAYMENT_ATOMIC,
    validAfter: 0n,
    validBefore: now + VALIDITY_WINDOW_SECONDS,
    nonce: randomNonce(),
    ...overrides,
  };
}

async function signAuthorization({
  account = payer,
  authorization,
  kind = 'TransferWithAuthorization',
}: {
  account?: HDAccount;
  authorization: Authorization;
  kind?: AuthorizationKind;
}): Promise<Hex> {
  return account.signTypedData({
    domain: tokenDomain(),
    types: { [kind]: authorizationFields },
    primaryType: kind,
    message: authorization,
  });
}

function walletFor(account: HDAccount) {
  return createWalletClient({
    account,
    chain: localChainDefinition({ chainId: chain.chainId, rpcUrl: chain.rpcUrl }),
    transport: http(chain.rpcUrl),
  });
}

function authorizationArgs(authorization: Authorization) {
  const { from, to, value, validAfter, validBefore, nonce } = authorization;
  return [from, to, value, validAfter, validBefore, nonce] as const;
}

// Sends transferWithAuthorization with (v, r, s) without estimating gas, and returns the receipt.
async function submitSplit({ authorization, signature }: { authorization: Authorization; signature: Hex }) {
  const { r, s, v } = parseSignature(signature);
  const hash = await walletFor(relayer).writeContract({
    address: chain.tokenAddress,
    abi: testUsdAbi,
    functionName: 'transferWithAuthorization',
    args: [...authorizationArgs(authorization), Number(v), r, s],
    gas: TRANSFER_GAS_LIMIT,
  });
  return publicClient.waitForTransactionReceipt({ hash });
}

// The revert reason of a simulated call, or undefined when it would succeed.
async function revertReason(simulation: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await simulation();
    return undefined;
  } catch (error: unknown) {
    if (!(error instanceof BaseError)) {
      throw error;
    }
    const reverted = error.walk((inner) => inner instanceof ContractFunctionRevertedError);
    if (!(reverted instanceof ContractFunctionRevertedError)) {
      throw error;
    }
    return reverted.reason;
  }
}

async function simulateSplit({
  authorization,
  v,
  r,
  s,
  blockTag = 'latest',
}: {
  authorization: Authorization;
  v: number;
  r: Hex;
  s: Hex;
  blockTag?: 'latest' | 'pending';
}): Promise<string | undefined> {
  return revertReason(() =>
    publicClient.simulateContract({
      account: relayer.address,
      address: chain.tokenAddress,
      abi: testUsdAbi,
      functionName: 'transferWithAuthorization',
      args: [...authorizationArgs(authorization), v, r, s],
      blockTag,
    }),
  );
}

async function simulateBytes({
  authorization,
  signature,
}: {
  authorization: Authorization;
  signature: Hex;
}): Promise<string | undefined> {
  return revertReason(() =>
    publicClient.simulateContract({
      account: relayer.address,
      address: chain.tokenAddress,
      abi: testUsdAbi,
      functionName: 'transferWithAuthorization',
      args: [...authorizationArgs(authorization), signature],
    }),
  );
}

async function balanceOf(address: Address): Promise<bigint> {
  return publicClient.readContract({
    address: chain.tokenAddress,
    abi: testUsdAbi,
    functionName: 'balanceOf',
    args: [address],
  });
}

async function authorizationState({
  authorizer,
  nonce,
}: {
  authorizer: Address;
  nonce: Hex;
}): Promise<boolean> {
  return publicClient.readContract({
    address: chain.tokenAddress,
    abi: testUsdAbi,
    functionName: 'authorizationState',
    args: [authorizer, nonce],
  });
}

beforeAll(async () => {
  chain = await startLocalChain({ port: await findFreePort() });
  publicClient = createPublicClient({ transport: http(chain.rpcUrl), pollingInterval: 50 });
  testClient = createTestClient({ mode: 'anvil', transport: http(chain.rpcUrl) });
  await mintTestTokens({
    rpcUrl: chain.rpcUrl,
    tokenAddress: chain.tokenAddress,
    to: payer.address,
    amountAtomic: PAYER_BALANCE_ATOMIC,
  });
});

afterAll(async () => {
  await chain?.stop();
});

describe('token metadata and EIP-712 domain', () => {
  it('reports USDC name, symbol, 6 decimals and version 2', async () => {
    const read = <T extends 'name' | 'symbol' | 'version'>(functionName: T) =>
      publicClient.readContract({ address: chain.tokenAddress, abi: testUsdAbi, functionName });
    expect(await read('name')).toBe('USDC');
    expect(await read('symbol')).toBe('USDC');
    expect(await read('version')).toBe('2');
    expect(
      await publicClient.readContract({
        address: chain.tokenAddress,
        abi: testUsdAbi,
        functionName: 'decimals',
      }),
    ).toBe(6);
  });

  it('exposes the EIP-5267 domain and a matching DOMAIN_SEPARATOR', async () => {
    const [fields, name, version, chainId, verifyingContract, salt, extensions] =
      await publicClient.readContract({
        address: chain.tokenAddress,
        abi: testUsdAbi,
        functionName: 'eip712Domain',
      });
    expect({ fields, name, version, chainId, verifyingContract, salt, extensions }).toEqual({
      fields: '0x0f',
      name: 'USDC',
      version: '2',
      chainId: BigInt(chain.chainId),
      verifyingContract: chain.tokenAddress,
      salt: numberToHex(0, { size: 32 }),
      extensions: [],
    });
    const separator = await publicClient.readContract({
      address: chain.tokenAddress,
      abi: testUsdAbi,
      functionName: 'DOMAIN_SEPARATOR',
    });
    expect(separator).toBe(
      hashDomain({
        domain: { ...tokenDomain(), chainId: BigInt(chain.chainId) },
        types: {
          EIP712Domain: [
            { name: 'name', type: 'string' },
            { name: 'version', type: 'string' },
            { name: 'chainId', type: 'uint256' },
            { name: 'verifyingContract', type: 'address' },
          ],
        },
      }),
    );
  });

  it('lets only the minter mint', async () => {
    expect(
      await revertReason(() =>
        publicClient.simulateContract({
          account: relayer.address,
          address: chain.tokenAddress,
          abi: testUsdAbi,
          functionName: 'mint',
          args: [relayer.address, 1n],
        }),
      ),
    ).toBe('ProcoTestUSD: caller is not the minter');
    expect(
      await publicClient.readContract({
        address: chain.tokenAddress,
        abi: testUsdAbi,
        functionName: 'minter',
      }),
    ).toBe(faucetMinterAddress());
  });
});

describe('transferWithAuthorization', () => {
  it('moves funds with a (v, r, s) signature and emits AuthorizationUsed', async () => {
    const authorization = await buildAuthorization();
    const signature = await signAuthorization({ authorization });
    const [payerBefore, payeeBefore] = [await balanceOf(payer.address), await balanceOf(payee.address)];
    expect(await authorizationState({ authorizer: payer.address, nonce: authorization.nonce })).toBe(false);

    const receipt = await submitSplit({ authorization, signature });

    expect(receipt.status).toBe('success');
    expect(await balanceOf(payer.address)).toBe(payerBefore - PAYMENT_ATOMIC);
    expect(await balanceOf(payee.address)).toBe(payeeBefore + PAYMENT_ATOMIC);
    expect(await authorizationState({ authorizer: payer.address, nonce: authorization.nonce })).toBe(true);
    const used = parseEventLogs({ abi: testUsdAbi, logs: receipt.logs, eventName: 'AuthorizationUsed' });
    expect(used.map((log) => log.args)).toEqual([{ authorizer: payer.address, nonce: authorization.nonce }]);
    const transfers = parseEventLogs({ abi: testUsdAbi, logs: receipt.logs, eventName: 'Transfer' });
    expect(transfers.map((log) => log.args)).toEqual([
      { from: payer.address, to: payee.address, value: PAYMENT_ATOMIC },
    ]);
  });

  it('moves funds with a packed bytes signature', async () => {
    const authorization = await buildAuthorization();
    const signature = await signAuthorization({ authorization });
    const payeeBefore = await balanceOf(payee.address);

    const hash = await walletFor(relayer).writeContract({
      address: chain.tokenAddress,
      abi: testUsdAbi,
      functionName: 'transferWithAuthorization',
      args: [...authorizationArgs(authorization), signature],
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });

    expect(receipt.status).toBe('success');
    expect(await balanceOf(payee.address)).toBe(payeeBefore + PAYMENT_ATOMIC);
  });

  it('rejects a replay with "authorization is used or canceled"', async () => {
    const authorization = await buildAuthorization();
    const signature = await signAuthorization({ authorization });
    expect((await submitSplit({ authorization, signature })).status).toBe('success');

    const { r, s, v } = parseSignature(signature);
    expect(await simulateSplit({ authorization, v: Number(v), r, s })).toBe(
      'FiatTokenV2: authorization is used or canceled',
    );
    expect(await simulateBytes({ authorization, signature })).toBe(
      'FiatTokenV2: authorization is used or canceled',
    );
    expect((await submitSplit({ authorization, signature })).status).toBe('reverted');
  });

  it('rejects a signature by someone other than `from`', async () => {
    const authorization = await buildAuthorization();
    const signature = await signAuthorization({ account: relayer, authorization });
    expect(await simulateBytes({ authorization, signature })).toBe('FiatTokenV2: invalid signature');
  });

  it('rejects the high-s twin of a valid signature, in both overloads', async () => {
    const authorization = await buildAuthorization();
    const signature = await signAuthorization({ authorization });
    const { r, s, v } = parseSignature(signature);
    const highS = numberToHex(SECP256K1_ORDER - BigInt(s), { size: 32 });
    const flippedV = v === 27n ? 28 : 27;

    expect(await simulateSplit({ authorization, v: flippedV, r, s: highS })).toBe(
      'FiatTokenV2: invalid signature',
    );
    expect(
      await simulateBytes({
        authorization,
        signature: serializeSignature({ r, s: highS, v: BigInt(flippedV) }),
      }),
    ).toBe('FiatTokenV2: invalid signature');
    // The original, low-s signature is still good: only malleability was refused.
    expect(await simulateSplit({ authorization, v: Number(v), r, s })).toBeUndefined();
  });

  it.each([29, 0, 1])('rejects v = %i', async (badV) => {
    const authorization = await buildAuthorization();
    const { r, s } = parseSignature(await signAuthorization({ authorization }));
    expect(await simulateSplit({ authorization, v: badV, r, s })).toBe('FiatTokenV2: invalid signature');
  });

  it('treats validAfter as exclusive: block.timestamp == validAfter is not yet valid', async () => {
    const blockTime = (await latestTimestamp()) + 100n;
    const early = await buildAuthorization({
      validAfter: blockTime,
      validBefore: blockTime + VALIDITY_WINDOW_SECONDS,
    });
    const earlySignature = await signAuthorization({ authorization: early });
    const { r, s, v } = parseSignature(earlySignature);

    await testClient.setNextBlockTimestamp({ timestamp: blockTime });
    expect(await simulateSplit({ authorization: early, v: Number(v), r, s, blockTag: 'pending' })).toBe(
      'FiatTokenV2: authorization is not yet valid',
    );
    const receipt = await submitSplit({ authorization: early, signature: earlySignature });
    expect((await publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp).toBe(blockTime);
    expect(receipt.status).toBe('reverted');

    // One second later the same authorization is valid.
    await testClient.setNextBlockTimestamp({ timestamp: blockTime + 1n });
    expect((await submitSplit({ authorization: early, signature: earlySignature })).status).toBe('success');
  });

  it('treats validBefore as exclusive: block.timestamp == validBefore is expired', async () => {
    const blockTime = (await latestTimestamp()) + 100n;
    const late = await buildAuthorization({ validBefore: blockTime });
    const lateSignature = await signAuthorization({ authorization: late });
    const { r, s, v } = parseSignature(lateSignature);

    await testClient.setNextBlockTimestamp({ timestamp: blockTime });
    expect(await simulateSplit({ authorization: late, v: Number(v), r, s, blockTag: 'pending' })).toBe(
      'FiatTokenV2: authorization is expired',
    );
    const receipt = await submitSplit({ authorization: late, signature: lateSignature });
    expect((await publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp).toBe(blockTime);
    expect(receipt.status).toBe('reverted');

    // One second earlier it would have gone through.
    const inTime = await buildAuthorization({ validBefore: blockTime + 101n });
    await testClient.setNextBlockTimestamp({ timestamp: blockTime + 100n });
    expect(
      (
        await submitSplit({
          authorization: inTime,
          signature: await signAuthorization({ authorization: inTime }),
        })
      ).status,
    ).toBe('success');
  });
});

describe('cancelAuthorization', () => {
  it('burns an unused nonce, emits AuthorizationCanceled and blocks the transfer', async () => {
    const authorization = await buildAuthorization();
    const transferSignature = await signAuthorization({ authorization });
    const cancelSignature = await payer.signTypedData({
      domain: tokenDomain(),
      types: {
        CancelAuthorization: [
          { name: 'authorizer', type: 'address' },
          { name: 'nonce', type: 'bytes32' },
        ],
      },
      primaryType: 'CancelAuthorization',
      message: { authorizer: payer.address, nonce: authorization.nonce },
    });

    const hash = await walletFor(relayer).writeContract({
      address: chain.tokenAddress,
      abi: testUsdAbi,
      functionName: 'cancelAuthorization',
      args: [payer.address, authorization.nonce, cancelSignature],
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });

    expect(receipt.status).toBe('success');
    const canceled = parseEventLogs({
      abi: testUsdAbi,
      logs: receipt.logs,
      eventName: 'AuthorizationCanceled',
    });
    expect(canceled.map((log) => log.args)).toEqual([
      { authorizer: payer.address, nonce: authorization.nonce },
    ]);
    expect(await authorizationState({ authorizer: payer.address, nonce: authorization.nonce })).toBe(true);
    expect(await simulateBytes({ authorization, signature: transferSignature })).toBe(
      'FiatTokenV2: authorization is used or canceled',
    );
    // Canceling twice is refused like any reuse of a nonce.
    expect(
      await revertReason(() =>
        publicClient.simulateContract({
          account: relayer.address,
          address: chain.tokenAddress,
          abi: testUsdAbi,
          functionName: 'cancelAuthorization',
          args: [payer.address, authorization.nonce, cancelSignature],
        }),
      ),
    ).toBe('FiatTokenV2: authorization is used or canceled');
  });
});

describe('receiveWithAuthorization', () => {
  it('refuses any caller but the payee, and accepts the payee', async () => {
    const authorization = await buildAuthorization();
    const signature = await signAuthorization({ authorization, kind: 'ReceiveWithAuthorization' });
    const { r, s, v } = parseSignature(signature);
    const args = [...authorizationArgs(authorization), Number(v), r, s] as const;

    expect(
      await revertReason(() =>
        publicClient.simulateContract({
          account: relayer.address,
          address: chain.tokenAddress,
          abi: testUsdAbi,
          functionName: 'receiveWithAuthorization',
          args,
        }),
      ),
    ).toBe('FiatTokenV2: caller must be the payee');

    const payeeBefore = await balanceOf(payee.address);
    const hash = await walletFor(payee).writeContract({
      address: chain.tokenAddress,
      abi: testUsdAbi,
      functionName: 'receiveWithAuthorization',
      args,
    });
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).toBe('success');
    expect(await balanceOf(payee.address)).toBe(payeeBefore + PAYMENT_ATOMIC);
  });

  it('does not accept a TransferWithAuthorization signature (different typehash)', async () => {
    const authorization = await buildAuthorization();
    const signature = await signAuthorization({ authorization, kind: 'TransferWithAuthorization' });
    expect(
      await revertReason(() =>
        publicClient.simulateContract({
          account: payee.address,
          address: chain.tokenAddress,
          abi: testUsdAbi,
          functionName: 'receiveWithAuthorization',
          args: [...authorizationArgs(authorization), signature],
        }),
      ),
    ).toBe('FiatTokenV2: invalid signature');
  });
});
