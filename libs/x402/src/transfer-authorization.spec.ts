// Goal: the EIP-3009 authorization and typed data are exactly what the token will check (window
// arithmetic, domain, checksums), signatures over them verify, and bad inputs fail with typed codes.
import { verifyTypedData, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';

import { decodePaymentRequired } from './decode-payment-required';
import type { NormalizedRequirement } from './normalized-payment-required';
import {
  buildTransferAuthorization,
  randomNonce,
  type BuildTransferAuthorizationParams,
} from './transfer-authorization';
import { X402Error } from './x402.errors';
import {
  anvilAccount,
  buildPaymentRequiredV2,
  buildRequirementV2,
  encodeJsonHeader,
  USDC_BASE_SEPOLIA,
} from './x402.test-builders';

const payer = anvilAccount(1);
const NONCE: Hex = `0x${'ab'.repeat(32)}`;
const NOW_SECONDS = 1_760_000_000n;

function requirementWith(overrides: Record<string, unknown> = {}): NormalizedRequirement {
  const document = buildPaymentRequiredV2({ accepts: [buildRequirementV2(overrides)] });
  const [requirement] = decodePaymentRequired({ header: encodeJsonHeader(document) }).accepts;
  if (requirement === undefined) throw new Error('builder produced no requirement');
  return requirement;
}

function paramsWith(
  overrides: Partial<BuildTransferAuthorizationParams> = {},
): BuildTransferAuthorizationParams {
  return {
    requirement: requirementWith(),
    from: payer.address,
    nowSeconds: NOW_SECONDS,
    nonce: NONCE,
    validAfterSkewSeconds: 600,
    validBeforeCapSeconds: 3_600,
    ...overrides,
  };
}

describe('buildTransferAuthorization', () => {
  it('builds the authorization and the typed data for the requirement', () => {
    const { authorization, typedData } = buildTransferAuthorization(paramsWith());
    expect(authorization).toEqual({
      from: payer.address,
      to: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      value: '10000',
      validAfter: (NOW_SECONDS - 600n).toString(),
      validBefore: (NOW_SECONDS + 300n).toString(),
      nonce: NONCE,
    });
    expect(typedData.domain).toEqual({
      name: 'USDC',
      version: '2',
      chainId: 84532,
      verifyingContract: USDC_BASE_SEPOLIA,
    });
    expect(typedData.primaryType).toBe('TransferWithAuthorization');
    expect(typedData.message).toEqual({
      from: payer.address,
      to: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      value: 10_000n,
      validAfter: NOW_SECONDS - 600n,
      validBefore: NOW_SECONDS + 300n,
      nonce: NONCE,
    });
  });

  it('produces typed data whose signature verifies for the payer', async () => {
    const { typedData } = buildTransferAuthorization(paramsWith());
    const signature = await payer.signTypedData(typedData);
    await expect(verifyTypedData({ ...typedData, address: payer.address, signature })).resolves.toBe(true);
    await expect(
      verifyTypedData({ ...typedData, address: anvilAccount(2).address, signature }),
    ).resolves.toBe(false);
  });

  it.each([
    [
      'caps validBefore at the cap when the seller asks for longer',
      { validBeforeCapSeconds: 120 },
      NOW_SECONDS + 120n,
    ],
    ['uses maxTimeoutSeconds when below the cap', { validBeforeCapSeconds: 86_400 }, NOW_SECONDS + 300n],
  ])('%s', (_scenario, overrides, validBefore) => {
    expect(buildTransferAuthorization(paramsWith(overrides)).typedData.message.validBefore).toBe(validBefore);
  });

  it.each([
    ['back-dates by the skew', NOW_SECONDS, 600, NOW_SECONDS - 600n],
    ['never goes below zero', 100n, 600, 0n],
    [
      'gives validAfter 0 like the 2.27 v2 client when the skew covers now',
      NOW_SECONDS,
      Number(NOW_SECONDS),
      0n,
    ],
    ['keeps now when the skew is 0', NOW_SECONDS, 0, NOW_SECONDS],
  ])('validAfter %s', (_scenario, nowSeconds, validAfterSkewSeconds, validAfter) => {
    const { typedData } = buildTransferAuthorization(paramsWith({ nowSeconds, validAfterSkewSeconds }));
    expect(typedData.message.validAfter).toBe(validAfter);
  });

  it.each([
    [
      'missing extra.name/version',
      { requirement: requirementWith({ extra: { name: 'USDC' } }) },
      'missing_eip712_domain',
    ],
    ['another scheme', { requirement: requirementWith({ scheme: 'upto' }) }, 'unsupported_scheme'],
    ['a non-EVM network', { requirement: requirementWith({ network: 'solana:abc' }) }, 'unsupported_network'],
    ['a payer that is not an address', { from: '0x1234' }, 'invalid_argument'],
    [
      'a payer with a bad checksum',
      { from: payer.address.replace(/[a-f]/, (c) => c.toUpperCase()) },
      'invalid_argument',
    ],
    ['a short nonce', { nonce: '0x1234' }, 'invalid_argument'],
    ['a negative clock', { nowSeconds: -1n }, 'invalid_argument'],
    ['a negative skew', { validAfterSkewSeconds: -1 }, 'invalid_argument'],
    ['a zero cap', { validBeforeCapSeconds: 0 }, 'invalid_argument'],
    ['a fractional cap', { validBeforeCapSeconds: 1.5 }, 'invalid_argument'],
  ] as const)('rejects %s', (_scenario, overrides, code) => {
    expect(() => buildTransferAuthorization(paramsWith(overrides))).toThrow(
      expect.objectContaining({ code }),
    );
    expect(() => buildTransferAuthorization(paramsWith(overrides))).toThrow(X402Error);
  });
});

describe('randomNonce', () => {
  it('returns 32 random bytes as hex', () => {
    const nonces = new Set(Array.from({ length: 64 }, () => randomNonce()));
    expect(nonces.size).toBe(64);
    for (const nonce of nonces) expect(nonce).toMatch(/^0x[0-9a-f]{64}$/);
  });
});
