// Goal: what the relayer sends carries each authorization's terms and signature exactly (both
// signature overloads), a batch is one aggregate3 with every call allowed to fail alone, and only
// the settled token's own AuthorizationUsed logs count as evidence.
import { eip3009Abi, multicall3Abi } from '@proco/evm';
import fc from 'fast-check';
import {
  decodeFunctionData,
  encodeAbiParameters,
  encodeEventTopics,
  encodeFunctionResult,
  getAddress,
  type Hex,
  type Log,
  toHex,
} from 'viem';
import { describe, expect, it } from 'vitest';
import {
  authorizationKey,
  decodeBatchResults,
  relayerCallOf,
  type SettlementTerms,
  transferCallData,
  usedAuthorizationsIn,
} from './settlement-calls';

const ASSET = '0x8a5e73a9e2a8b9d0d60ee4e150e9fdf030c7bdf8';
const MULTICALL = getAddress('0xcA11bde05977b3631167028862bE2a173976CA11');

function terms(overrides: Partial<SettlementTerms> = {}): SettlementTerms {
  return {
    asset: ASSET,
    payer: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
    payTo: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc',
    amountAtomic: 10_000n,
    validAfter: 0n,
    validBefore: 1_900_000_000n,
    nonce: toHex(new Uint8Array(32).fill(7)),
    signature: `0x${'11'.repeat(32)}${'22'.repeat(32)}1b`,
    ...overrides,
  };
}

describe('transferCallData', () => {
  it('splits a 65-byte signature into v, r and s, keeping v as sent', () => {
    const decoded = decodeFunctionData({ abi: eip3009Abi, data: transferCallData(terms()) });
    expect(decoded.functionName).toBe('transferWithAuthorization');
    expect(decoded.args).toEqual([
      getAddress(terms().payer),
      getAddress(terms().payTo),
      10_000n,
      0n,
      1_900_000_000n,
      terms().nonce,
      27,
      `0x${'11'.repeat(32)}`,
      `0x${'22'.repeat(32)}`,
    ]);
  });

  it('passes any other signature whole, for the token to check with EIP-1271', () => {
    const signature = `0x${'ab'.repeat(100)}`;
    const decoded = decodeFunctionData({ abi: eip3009Abi, data: transferCallData(terms({ signature })) });
    expect(decoded.args?.at(-1)).toBe(signature);
    expect(decoded.args).toHaveLength(7);
  });

  it('round-trips every uint256 amount and validity exactly', () => {
    const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
    fc.assert(
      fc.property(uint256, uint256, uint256, (amountAtomic, validAfter, validBefore) => {
        const decoded = decodeFunctionData({
          abi: eip3009Abi,
          data: transferCallData(terms({ amountAtomic, validAfter, validBefore })),
        });
        expect(decoded.args?.slice(2, 5)).toEqual([amountAtomic, validAfter, validBefore]);
      }),
      { seed: 3009, numRuns: 200 },
    );
  });
});

describe('relayerCallOf', () => {
  it('calls the token itself for one authorization', () => {
    const call = relayerCallOf([terms()], MULTICALL);
    expect(call).toEqual({ to: getAddress(ASSET), data: transferCallData(terms()) });
  });

  it('batches several through aggregate3, each call allowed to fail alone', () => {
    const batch = [terms(), terms({ nonce: toHex(new Uint8Array(32).fill(8)) })];
    const call = relayerCallOf(batch, MULTICALL);
    expect(call.to).toBe(MULTICALL);
    const decoded = decodeFunctionData({ abi: multicall3Abi, data: call.data });
    expect(decoded.functionName).toBe('aggregate3');
    expect(decoded.args?.[0]).toEqual(
      batch.map((item) => ({
        target: getAddress(ASSET),
        allowFailure: true,
        callData: transferCallData(item),
      })),
    );
  });

  it('refuses an empty batch', () => {
    expect(() => relayerCallOf([], MULTICALL)).toThrow(RangeError);
  });
});

describe('decodeBatchResults', () => {
  it('reads back what aggregate3 returned per call', () => {
    const results = [
      { success: true, returnData: '0x' as Hex },
      { success: false, returnData: '0x08c379a0' as Hex },
    ];
    const data = encodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', result: results });
    expect(decodeBatchResults(data)).toEqual(results);
  });
});

describe('usedAuthorizationsIn', () => {
  function useLog(params: { address: string; authorizer: Hex; nonce: Hex }): Log {
    return {
      address: params.address as Hex,
      topics: encodeEventTopics({
        abi: eip3009Abi,
        eventName: 'AuthorizationUsed',
        args: { authorizer: params.authorizer, nonce: params.nonce },
      }) as [Hex, ...Hex[]],
      data: '0x',
      blockHash: null,
      blockNumber: null,
      logIndex: null,
      transactionHash: null,
      transactionIndex: null,
      removed: false,
    };
  }

  it("counts the token's own logs only, keyed by lowercase authorizer and nonce", () => {
    const authorizer = getAddress(terms().payer);
    const nonce = terms().nonce as Hex;
    const transferLog: Log = {
      ...useLog({ address: ASSET, authorizer, nonce }),
      topics: encodeEventTopics({
        abi: eip3009Abi,
        eventName: 'Transfer',
        args: { from: authorizer, to: getAddress(terms().payTo) },
      }) as [Hex, ...Hex[]],
      data: encodeAbiParameters([{ type: 'uint256' }], [1n]),
    };
    const used = usedAuthorizationsIn(
      [
        useLog({ address: getAddress(ASSET), authorizer, nonce }),
        // The same event from another contract is no evidence for this token.
        useLog({
          address: '0x000000000000000000000000000000000000dead',
          authorizer,
          nonce: toHex(new Uint8Array(32)),
        }),
        transferLog,
      ],
      ASSET.toUpperCase().replace('0X', '0x'),
    );
    expect([...used]).toEqual([authorizationKey(authorizer, nonce)]);
    expect(authorizationKey(authorizer, nonce)).toBe(`${terms().payer}:${nonce}`);
  });
});
