// Goal: a facilitator request decodes into one shape for v2 and v1, and anything that is not a
// request (or not an EIP-3009 one) is refused with a stable code and the offending path.
import { describe, expect, it } from 'vitest';

import { parseVerifyRequest, payerOf, requirementsChainIdOf } from './verify-request';
import {
  AUTHORIZATION_PATH,
  signedVerifyBody,
  verifyAsset,
  verifyPayee,
  verifyPayer,
  VERIFY_CHAIN_ID,
  withField,
} from './verify.test-builders';
import { X402Error, type X402ErrorCode } from './x402.errors';

function codeOf(body: unknown): X402ErrorCode | 'no_error' | 'foreign_error' {
  try {
    parseVerifyRequest(body);
    return 'no_error';
  } catch (error) {
    return error instanceof X402Error ? error.code : 'foreign_error';
  }
}

describe('parseVerifyRequest', () => {
  it.each([2, 1] as const)('decodes a v%s request', async (x402Version) => {
    const body = await signedVerifyBody({ x402Version });
    const request = parseVerifyRequest(body);
    expect(request).toMatchObject({
      x402Version,
      payloadScheme: 'exact',
      requirements: { scheme: 'exact', amountAtomic: 10_000n, asset: verifyAsset, payTo: verifyPayee },
      payment: { kind: 'eip3009', authorization: { from: verifyPayer.address, value: '10000' } },
    });
    expect(requirementsChainIdOf(request)).toBe(VERIFY_CHAIN_ID);
    expect(payerOf(request)).toBe(verifyPayer.address);
  });

  it('checksums lowercase requirement addresses and keeps the authorization as sent', async () => {
    const body = withField(
      withField(await signedVerifyBody(), ['paymentRequirements', 'payTo'], verifyPayee.toLowerCase()),
      [...AUTHORIZATION_PATH, 'from'],
      verifyPayer.address.toLowerCase(),
    );
    const request = parseVerifyRequest(body);
    expect(request.requirements.payTo).toBe(verifyPayee);
    expect(payerOf(request)).toBe(verifyPayer.address.toLowerCase());
  });

  it('decodes a Permit2 payload as unsupported, with its payer', async () => {
    const body = withField(await signedVerifyBody(), ['paymentPayload', 'payload'], {
      signature: '0x12',
      permit2Authorization: { from: verifyPayer.address },
    });
    const request = parseVerifyRequest(body);
    expect(request.payment).toEqual({ kind: 'unsupported', payer: verifyPayer.address });
  });

  it('has no chain id for a network outside EVM or the v1 table', async () => {
    const v2 = parseVerifyRequest(
      withField(await signedVerifyBody(), ['paymentRequirements', 'network'], 'solana:x'),
    );
    const v1 = parseVerifyRequest(
      withField(await signedVerifyBody({ x402Version: 1 }), ['paymentRequirements', 'network'], 'nowhere'),
    );
    const prototypeKey = parseVerifyRequest(
      withField(
        await signedVerifyBody({ x402Version: 1 }),
        ['paymentRequirements', 'network'],
        'constructor',
      ),
    );
    expect([
      requirementsChainIdOf(v2),
      requirementsChainIdOf(v1),
      requirementsChainIdOf(prototypeKey),
    ]).toEqual([null, null, null]);
  });

  const malformed: ReadonlyArray<
    readonly [string, (body: Record<string, unknown>) => unknown, X402ErrorCode]
  > = [
    ['a string', () => 'verify me', 'invalid_facilitator_request'],
    ['an array', () => [], 'invalid_facilitator_request'],
    ['null', () => null, 'invalid_facilitator_request'],
    [
      'no paymentPayload',
      (body) => withField(body, ['paymentPayload'], undefined),
      'invalid_facilitator_request',
    ],
    [
      'requirements as a list',
      (body) => withField(body, ['paymentRequirements'], []),
      'invalid_facilitator_request',
    ],
    [
      'no top-level version',
      (body) => withField(body, ['x402Version'], undefined),
      'invalid_facilitator_request',
    ],
    ['version as text', (body) => withField(body, ['x402Version'], '2'), 'invalid_facilitator_request'],
    ['version 3', (body) => withField(body, ['x402Version'], 3), 'unsupported_version'],
    [
      'top-level version differing from the payload',
      (body) => withField(body, ['x402Version'], 1),
      'invalid_facilitator_request',
    ],
    [
      'no accepted',
      (body) => withField(body, ['paymentPayload', 'accepted'], undefined),
      'invalid_payment_payload',
    ],
    [
      'no signature',
      (body) => withField(body, ['paymentPayload', 'payload', 'signature'], undefined),
      'invalid_payment_payload',
    ],
    [
      'signature not hex',
      (body) => withField(body, ['paymentPayload', 'payload', 'signature'], '0xzz'),
      'invalid_payment_payload',
    ],
    [
      'value as a number',
      (body) => withField(body, [...AUTHORIZATION_PATH, 'value'], 10000),
      'invalid_payment_payload',
    ],
    [
      'value in hex',
      (body) => withField(body, [...AUTHORIZATION_PATH, 'value'], '0x10'),
      'invalid_payment_payload',
    ],
    [
      'value of 2^256',
      (body) => withField(body, [...AUTHORIZATION_PATH, 'value'], String(2n ** 256n)),
      'invalid_amount',
    ],
    [
      'a 31-byte nonce',
      (body) => withField(body, [...AUTHORIZATION_PATH, 'nonce'], `0x${'ab'.repeat(31)}`),
      'invalid_payment_payload',
    ],
    [
      'a 19-byte from',
      (body) => withField(body, [...AUTHORIZATION_PATH, 'from'], `0x${'ab'.repeat(19)}`),
      'invalid_payment_payload',
    ],
    [
      'no amount',
      (body) => withField(body, ['paymentRequirements', 'amount'], undefined),
      'invalid_payment_requirements',
    ],
    [
      'amount with a leading zero',
      (body) => withField(body, ['paymentRequirements', 'amount'], '010000'),
      'invalid_amount',
    ],
    [
      'payTo a role',
      (body) => withField(body, ['paymentRequirements', 'payTo'], 'merchant'),
      'invalid_payment_requirements',
    ],
    [
      'asset with a wrong checksum',
      (body) =>
        withField(body, ['paymentRequirements', 'asset'], verifyAsset.replace('C', 'c').replace('e', 'E')),
      'invalid_payment_requirements',
    ],
    [
      'no scheme in requirements',
      (body) => withField(body, ['paymentRequirements', 'scheme'], undefined),
      'invalid_payment_requirements',
    ],
    [
      'extra as a string',
      (body) => withField(body, ['paymentRequirements', 'extra'], 'USDC'),
      'invalid_payment_requirements',
    ],
  ];

  it.each(malformed)('refuses %s', async (_name, mutate, code) => {
    expect(codeOf(mutate(await signedVerifyBody()))).toBe(code);
  });

  it('refuses a depth bomb and a cyclic object with invalid_json, never a stack overflow', () => {
    let deep: unknown = 'leaf';
    for (let level = 0; level < 10_000; level += 1) deep = { deep };
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(codeOf({ x402Version: 2, paymentPayload: deep, paymentRequirements: {} })).toBe('invalid_json');
    expect(codeOf(cyclic)).toBe('invalid_json');
  });

  it('reads v1 amounts from maxAmountRequired', async () => {
    const body = withField(
      await signedVerifyBody({ x402Version: 1 }),
      ['paymentRequirements', 'maxAmountRequired'],
      '7',
    );
    expect(parseVerifyRequest(body).requirements.amountAtomic).toBe(7n);
    expect(codeOf(withField(body, ['paymentRequirements', 'maxAmountRequired'], undefined))).toBe(
      'invalid_payment_requirements',
    );
  });
});
