// Goal: payment and settlement headers round-trip, and decoding them applies the same hostile-input
// discipline as the 402 decoder.
import { describe, expect, it } from 'vitest';

import { decodePaymentRequired } from './decode-payment-required';
import { buildPaymentPayload, type X402PaymentPayload } from './payment-payload';
import { decodePaymentHeader, encodePaymentHeader, parseExactEvmPayload } from './payment-header';
import { decodePaymentResponseHeader } from './payment-response';
import { buildTransferAuthorization } from './transfer-authorization';
import { X402Error, type X402ErrorCode } from './x402.errors';
import {
  anvilAccount,
  buildPaymentRequiredV1,
  buildPaymentRequiredV2,
  encodeJsonHeader,
  encodeTextHeader,
} from './x402.test-builders';

const payer = anvilAccount(1);

function codeOf(run: () => unknown): X402ErrorCode | 'no_error' | 'foreign_error' {
  try {
    run();
    return 'no_error';
  } catch (error) {
    return error instanceof X402Error ? error.code : 'foreign_error';
  }
}

async function signedPayload(version: 1 | 2): Promise<X402PaymentPayload> {
  const paymentRequired =
    version === 2
      ? decodePaymentRequired({ header: encodeJsonHeader(buildPaymentRequiredV2()) })
      : decodePaymentRequired({ body: buildPaymentRequiredV1() });
  const requirement = paymentRequired.accepts[0]!;
  const { authorization, typedData } = buildTransferAuthorization({
    requirement,
    from: payer.address,
    nowSeconds: 1_760_000_000n,
    nonce: `0x${'ef'.repeat(32)}`,
    validAfterSkewSeconds: 600,
    validBeforeCapSeconds: 3_600,
  });
  const signature = await payer.signTypedData(typedData);
  return buildPaymentPayload({ paymentRequired, requirement, authorization, signature });
}

describe('encodePaymentHeader / decodePaymentHeader', () => {
  it.each([
    [2, 'PAYMENT-SIGNATURE'],
    [1, 'X-PAYMENT'],
  ] as const)('round-trips a v%s payload in %s', async (version, name) => {
    const payload = await signedPayload(version);
    const header = encodePaymentHeader(payload);
    expect(header.name).toBe(name);
    expect(header.value).toBe(encodeJsonHeader(payload));
    const decoded = decodePaymentHeader(header);
    expect(decoded).toEqual(payload);
    expect(parseExactEvmPayload(decoded.payload)).toEqual(payload.payload);
  });

  it('accepts the header name in any case', async () => {
    const { value } = encodePaymentHeader(await signedPayload(2));
    expect(decodePaymentHeader({ name: 'payment-signature', value }).x402Version).toBe(2);
  });

  it.each<[string, () => Promise<{ name: string; value: string }>, X402ErrorCode]>([
    [
      'an unknown header name',
      async () => ({ name: 'X-PAYMENT-RESPONSE', value: encodePaymentHeader(await signedPayload(2)).value }),
      'invalid_header_name',
    ],
    [
      'a v2 payload in X-PAYMENT',
      async () => ({ name: 'X-PAYMENT', value: encodePaymentHeader(await signedPayload(2)).value }),
      'invalid_payment_payload',
    ],
    [
      'a v1 payload in PAYMENT-SIGNATURE',
      async () => ({ name: 'PAYMENT-SIGNATURE', value: encodePaymentHeader(await signedPayload(1)).value }),
      'invalid_payment_payload',
    ],
    [
      'x402Version 7',
      async () => ({ name: 'PAYMENT-SIGNATURE', value: encodeJsonHeader({ x402Version: 7 }) }),
      'unsupported_version',
    ],
    [
      'a 1 MiB value',
      async () => ({ name: 'PAYMENT-SIGNATURE', value: 'A'.repeat(1024 * 1024) }),
      'payment_payload_too_large',
    ],
    ['invalid base64', async () => ({ name: 'PAYMENT-SIGNATURE', value: '!!!!' }), 'invalid_base64'],
    [
      'a duplicate key',
      async () => ({
        name: 'PAYMENT-SIGNATURE',
        value: encodeTextHeader('{"x402Version":2,"x402Version":2}'),
      }),
      'invalid_json',
    ],
    [
      'deep JSON',
      async () => ({
        name: 'PAYMENT-SIGNATURE',
        value: encodeTextHeader('['.repeat(5000) + ']'.repeat(5000)),
      }),
      'invalid_json',
    ],
    [
      'a JSON array',
      async () => ({ name: 'PAYMENT-SIGNATURE', value: encodeJsonHeader([1]) }),
      'invalid_payment_payload',
    ],
    [
      'no accepted',
      async () => {
        const { accepted: _accepted, ...rest } = (await signedPayload(2)) as { accepted: unknown };
        return { name: 'PAYMENT-SIGNATURE', value: encodeJsonHeader(rest) };
      },
      'invalid_payment_payload',
    ],
    [
      'a non-canonical accepted amount',
      async () => {
        const payload = (await signedPayload(2)) as { accepted: object };
        return {
          name: 'PAYMENT-SIGNATURE',
          value: encodeJsonHeader({ ...payload, accepted: { ...payload.accepted, amount: '010000' } }),
        };
      },
      'invalid_amount',
    ],
  ])('rejects %s', async (_scenario, input, code) => {
    const header = await input();
    expect(codeOf(() => decodePaymentHeader(header))).toBe(code);
  });
});

describe('parseExactEvmPayload', () => {
  const valid = {
    signature: `0x${'11'.repeat(65)}`,
    authorization: {
      from: payer.address,
      to: payer.address,
      value: '1',
      validAfter: '0',
      validBefore: '1760000300',
      nonce: `0x${'00'.repeat(32)}`,
    },
  };

  it.each<[string, unknown, X402ErrorCode | 'no_error']>([
    ['a valid payload', valid, 'no_error'],
    [
      'a 19-byte from',
      { ...valid, authorization: { ...valid.authorization, from: `0x${'11'.repeat(19)}` } },
      'invalid_payment_payload',
    ],
    [
      'a 21-byte to',
      { ...valid, authorization: { ...valid.authorization, to: `0x${'11'.repeat(21)}` } },
      'invalid_payment_payload',
    ],
    [
      'a numeric value',
      { ...valid, authorization: { ...valid.authorization, value: 1 } },
      'invalid_payment_payload',
    ],
    [
      'a value of 2^256',
      { ...valid, authorization: { ...valid.authorization, value: (2n ** 256n).toString() } },
      'invalid_amount',
    ],
    [
      'a 31-byte nonce',
      { ...valid, authorization: { ...valid.authorization, nonce: `0x${'00'.repeat(31)}` } },
      'invalid_payment_payload',
    ],
    ['an odd-length signature', { ...valid, signature: '0x123' }, 'invalid_payment_payload'],
    ['no authorization', { signature: valid.signature }, 'invalid_payment_payload'],
  ])('%s', (_scenario, payload, code) => {
    expect(codeOf(() => parseExactEvmPayload(payload))).toBe(code);
  });
});

describe('decodePaymentResponseHeader', () => {
  const success = {
    success: true,
    payer: payer.address,
    transaction: `0x${'aa'.repeat(32)}`,
    network: 'eip155:84532',
  };

  it('decodes a success and a failure', () => {
    expect(decodePaymentResponseHeader(encodeJsonHeader(success))).toEqual(success);
    const failure = {
      success: false,
      errorReason: 'invalid_exact_evm_nonce_already_used',
      transaction: '',
      network: 'base-sepolia',
    };
    expect(decodePaymentResponseHeader(encodeJsonHeader(failure))).toEqual(failure);
  });

  it.each<[string, string, X402ErrorCode]>([
    [
      'no transaction',
      encodeJsonHeader({ success: true, network: 'eip155:84532' }),
      'invalid_payment_response',
    ],
    ['success as a string', encodeJsonHeader({ ...success, success: 'true' }), 'invalid_payment_response'],
    ['a non-canonical amount', encodeJsonHeader({ ...success, amount: '1e3' }), 'invalid_payment_response'],
    ['a JSON string', encodeJsonHeader('ok'), 'invalid_payment_response'],
    ['a 1 MiB value', 'A'.repeat(1024 * 1024), 'payment_response_too_large'],
    ['base64url', encodeJsonHeader(success).replace(/\+/g, '-').replace(/\//g, '_') + '_', 'invalid_base64'],
  ])('rejects %s', (_scenario, value, code) => {
    expect(codeOf(() => decodePaymentResponseHeader(value))).toBe(code);
  });
});
