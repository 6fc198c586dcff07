// Goal: a seller's 402 decodes into the normalized document when well formed, every hostile or
// malformed input fails with the right typed error code, and unpayable options are kept and flagged.
import { describe, expect, it } from 'vitest';

import { decodePaymentRequired } from './decode-payment-required';
import { normalizePaymentRequired } from './normalize-payment-required';
import {
  buildPaymentRequiredV1,
  buildPaymentRequiredV2,
  buildRequirementV1,
  buildRequirementV2,
  encodeJsonHeader,
  encodeTextHeader,
  PAYEE_LOWERCASE,
  USDC_BASE_SEPOLIA,
} from './x402.test-builders';
import { X402Error, type X402ErrorCode } from './x402.errors';
import { ACCEPTS_COUNT_MAX } from './x402.limits';

function codeOf(run: () => unknown): X402ErrorCode | 'no_error' | 'foreign_error' {
  try {
    run();
    return 'no_error';
  } catch (error) {
    return error instanceof X402Error ? error.code : 'foreign_error';
  }
}

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('decodePaymentRequired: well-formed input', () => {
  it('decodes a v2 header into the normalized document', () => {
    const document = buildPaymentRequiredV2();
    const decoded = decodePaymentRequired({ header: encodeJsonHeader(document) });
    expect(decoded.x402Version).toBe(2);
    expect(decoded.resource).toEqual({
      url: 'https://api.example.com/paid',
      description: 'test resource',
      mimeType: 'application/json',
    });
    expect(decoded.error).toBe('Payment required');
    expect(decoded.extensions).toBeNull();
    const [requirement] = decoded.accepts;
    expect(requirement).toMatchObject({
      index: 0,
      supported: true,
      unsupportedReason: null,
      scheme: 'exact',
      network: 'eip155:84532',
      networkAsGiven: 'eip155:84532',
      chainId: 84532,
      amountAtomic: 10_000n,
      asset: USDC_BASE_SEPOLIA,
      assetAddress: USDC_BASE_SEPOLIA,
      payTo: PAYEE_LOWERCASE,
      payToAddress: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      maxTimeoutSeconds: 300,
      extra: { name: 'USDC', version: '2' },
      eip712Domain: { name: 'USDC', version: '2' },
      resourceUrl: null,
    });
    // `raw` is the seller's object verbatim: the lowercase payTo is not re-checksummed.
    expect(requirement?.raw).toEqual(document.accepts[0]);
    expect(Object.isFrozen(requirement?.raw)).toBe(true);
  });

  it('decodes a v1 body (object or JSON text) and keeps the v1 name for echoing', () => {
    for (const body of [buildPaymentRequiredV1(), JSON.stringify(buildPaymentRequiredV1())]) {
      const decoded = decodePaymentRequired({ header: null, body });
      expect(decoded.x402Version).toBe(1);
      expect(decoded.resource).toBeNull();
      expect(decoded.accepts[0]).toMatchObject({
        supported: true,
        network: 'eip155:84532',
        networkAsGiven: 'base-sepolia',
        chainId: 84532,
        amountAtomic: 10_000n,
        resourceUrl: 'https://api.example.com/paid',
      });
    }
  });

  it('prefers the header over the body, and treats an empty header as absent', () => {
    const header = encodeJsonHeader(buildPaymentRequiredV2());
    expect(decodePaymentRequired({ header, body: buildPaymentRequiredV1() }).x402Version).toBe(2);
    expect(decodePaymentRequired({ header: '', body: buildPaymentRequiredV1() }).x402Version).toBe(1);
  });

  it('accepts null for optional fields, as reference servers in other languages send them', () => {
    const document = buildPaymentRequiredV2({
      error: null,
      extensions: null,
      accepts: [buildRequirementV2({ extra: null })],
    });
    const decoded = decodePaymentRequired({ header: encodeJsonHeader(document) });
    expect(decoded.error).toBeNull();
    expect(decoded.accepts[0]).toMatchObject({
      supported: false,
      unsupportedReason: 'missing_eip712_domain',
    });
  });

  it('normalizes an already-decoded v2 object, copying it so later mutation cannot change the echo', () => {
    const document = buildPaymentRequiredV2();
    const decoded = normalizePaymentRequired(document);
    (document.accepts[0] as { amount: string }).amount = '1';
    expect(decoded.accepts[0]?.raw).toMatchObject({ amount: '10000' });
    expect(decoded.accepts[0]?.amountAtomic).toBe(10_000n);
  });
});

describe('decodePaymentRequired: unpayable options are kept and flagged', () => {
  it.each([
    ['another scheme', { scheme: 'upto' }, 'unsupported_scheme'],
    ['a Solana network', { network: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp' }, 'unsupported_network'],
    ['a v1 name in v2', { network: 'base-sepolia' }, 'unsupported_network'],
    [
      'Permit2',
      { extra: { name: 'USDC', version: '2', assetTransferMethod: 'permit2' } },
      'unsupported_asset_transfer_method',
    ],
    ['a fiat asset', { asset: 'USD' }, 'invalid_asset_address'],
    ['a 19-byte asset', { asset: `0x${'11'.repeat(19)}` }, 'invalid_asset_address'],
    ['a 21-byte asset', { asset: `0x${'11'.repeat(21)}` }, 'invalid_asset_address'],
    [
      'a bad asset checksum',
      { asset: '0x036cbD53842c5426634e7929541eC2318f3dCF7e' },
      'invalid_asset_address',
    ],
    ['a role as payTo', { payTo: 'merchant' }, 'invalid_pay_to_address'],
    [
      'a bad payTo checksum',
      { payTo: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293Bc' },
      'invalid_pay_to_address',
    ],
    ['a 21-byte payTo', { payTo: `0x${'22'.repeat(21)}` }, 'invalid_pay_to_address'],
    ['no extra', { extra: undefined }, 'missing_eip712_domain'],
    ['no extra.version', { extra: { name: 'USDC' } }, 'missing_eip712_domain'],
    ['an empty extra.name', { extra: { name: '', version: '2' } }, 'missing_eip712_domain'],
    ['a numeric extra.version', { extra: { name: 'USDC', version: 2 } }, 'missing_eip712_domain'],
  ])('flags %s', (_scenario, overrides, reason) => {
    const document = buildPaymentRequiredV2({
      accepts: [buildRequirementV2(), buildRequirementV2(overrides)],
    });
    const decoded = decodePaymentRequired({ header: encodeJsonHeader(document) });
    expect(decoded.accepts[0]?.supported).toBe(true);
    expect(decoded.accepts[1]).toMatchObject({ index: 1, supported: false, unsupportedReason: reason });
  });

  it('reports the first reason in precedence order', () => {
    const document = buildPaymentRequiredV2({
      accepts: [
        buildRequirementV2({ scheme: 'upto', network: 'solana:x1y2z3', payTo: 'merchant', extra: {} }),
      ],
    });
    const decoded = decodePaymentRequired({ header: encodeJsonHeader(document) });
    expect(decoded.accepts[0]).toMatchObject({
      unsupportedReason: 'unsupported_scheme',
      network: 'solana:x1y2z3',
    });
  });

  it('accepts all-uppercase hex addresses (EIP-55: no checksum) and checksums them', () => {
    const document = buildPaymentRequiredV2({
      accepts: [buildRequirementV2({ payTo: '0x3C44CDDDB6A900FA2B585DD299E03D12FA4293BC' })],
    });
    const decoded = decodePaymentRequired({ header: encodeJsonHeader(document) });
    expect(decoded.accepts[0]?.payToAddress).toBe('0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC');
  });
});

describe('decodePaymentRequired: hostile and malformed input', () => {
  const header = (value: unknown): { header: string } => ({ header: encodeJsonHeader(value) });
  const withRequirement = (overrides: Record<string, unknown>): { header: string } =>
    header(buildPaymentRequiredV2({ accepts: [buildRequirementV2(overrides)] }));

  it.each<[string, () => Parameters<typeof decodePaymentRequired>[0], X402ErrorCode]>([
    ['a 1 MiB header', () => ({ header: 'A'.repeat(1024 * 1024) }), 'payment_required_too_large'],
    [
      'base64url characters',
      () => ({ header: encodeJsonHeader(buildPaymentRequiredV2()).replace(/[+/]/g, '-') + '-_' }),
      'invalid_base64',
    ],
    [
      'whitespace in base64',
      () => ({ header: ` ${encodeJsonHeader(buildPaymentRequiredV2())}` }),
      'invalid_base64',
    ],
    ['missing padding', () => ({ header: 'eyJ4IjoxfQ' }), 'invalid_base64'],
    ['extra padding', () => ({ header: 'eyJ4IjoxfQ===' }), 'invalid_base64'],
    ['padding in the middle', () => ({ header: 'eyJ4=IjoxfQ==' }), 'invalid_base64'],
    ['non-zero trailing bits', () => ({ header: 'eyJ4IjoxfR==' }), 'invalid_base64'],
    ['a non-ASCII character', () => ({ header: 'eyJ4Ijoxé==' }), 'invalid_base64'],
    [
      'invalid UTF-8',
      () => ({ header: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64') }),
      'invalid_json',
    ],
    [
      'a UTF-8 BOM',
      () => ({ header: Buffer.from(`\ufeff${JSON.stringify(buildPaymentRequiredV2())}`).toString('base64') }),
      'invalid_json',
    ],
    ['not JSON', () => ({ header: encodeTextHeader('hello') }), 'invalid_json'],
    ['truncated JSON', () => ({ header: encodeTextHeader('{"x402Version":2,') }), 'invalid_json'],
    [
      'JSON nested 10 000 deep',
      () => ({ header: encodeTextHeader(nested(10_000)) }),
      'payment_required_too_large',
    ],
    [
      'JSON nested 2 000 deep (under the size bound)',
      () => ({ header: encodeTextHeader(nested(2_000)) }),
      'invalid_json',
    ],
    [
      'JSON nested 40 deep inside extra',
      () =>
        withRequirement({
          extra: JSON.parse(`{"name":"USDC","version":"2","deep":${nested(40)}}`) as unknown,
        }),
      'invalid_json',
    ],
    [
      'a duplicate key',
      () => ({ header: encodeTextHeader('{"x402Version":2,"x402Version":2}') }),
      'invalid_json',
    ],
    [
      'a duplicate key spelled with an escape',
      () => ({ header: encodeTextHeader('{"payTo":"a","pay\\u0054o":"b"}') }),
      'invalid_json',
    ],
    [
      'a __proto__ key',
      () => ({ header: encodeTextHeader('{"__proto__":{"polluted":true},"x402Version":2}') }),
      'invalid_json',
    ],
    ['a JSON array', () => header([buildPaymentRequiredV2()]), 'invalid_payment_required'],
    ['a JSON string', () => header('x402'), 'invalid_payment_required'],
    ['JSON null', () => ({ header: encodeTextHeader('null') }), 'invalid_payment_required'],
    ['a number', () => header(402), 'invalid_payment_required'],
    ['x402Version 1 in the header', () => header(buildPaymentRequiredV1()), 'invalid_payment_required'],
    ['x402Version 3', () => header(buildPaymentRequiredV2({ x402Version: 3 })), 'unsupported_version'],
    [
      'x402Version as a string',
      () => header(buildPaymentRequiredV2({ x402Version: '2' })),
      'invalid_payment_required',
    ],
    [
      'no resource',
      () => header(buildPaymentRequiredV2({ resource: undefined })),
      'invalid_payment_required',
    ],
    ['no accepts', () => header(buildPaymentRequiredV2({ accepts: [] })), 'invalid_payment_required'],
    [
      '33 accepts',
      () =>
        header(
          buildPaymentRequiredV2({
            accepts: Array.from({ length: ACCEPTS_COUNT_MAX + 1 }, () => buildRequirementV2()),
          }),
        ),
      'invalid_payment_required',
    ],
    [
      'a requirement that is a string',
      () => header(buildPaymentRequiredV2({ accepts: ['exact'] })),
      'invalid_payment_required',
    ],
    ['a missing payTo', () => withRequirement({ payTo: undefined }), 'invalid_payment_required'],
    ['a numeric asset', () => withRequirement({ asset: 1 }), 'invalid_payment_required'],
    ['an oversized scheme', () => withRequirement({ scheme: 'x'.repeat(257) }), 'invalid_payment_required'],
    [
      'an oversized resource url',
      () => header(buildPaymentRequiredV2({ resource: { url: `https://a/${'x'.repeat(3000)}` } })),
      'invalid_payment_required',
    ],
    ['extra as an array', () => withRequirement({ extra: ['USDC', '2'] }), 'invalid_payment_required'],
    ['maxTimeoutSeconds 0', () => withRequirement({ maxTimeoutSeconds: 0 }), 'invalid_payment_required'],
    [
      'maxTimeoutSeconds of two days',
      () => withRequirement({ maxTimeoutSeconds: 172_800 }),
      'invalid_payment_required',
    ],
    [
      'fractional maxTimeoutSeconds',
      () => withRequirement({ maxTimeoutSeconds: 60.5 }),
      'invalid_payment_required',
    ],
    [
      'maxTimeoutSeconds as a string',
      () => withRequirement({ maxTimeoutSeconds: '60' }),
      'invalid_payment_required',
    ],
    ['amount 1e18', () => withRequirement({ amount: '1e18' }), 'invalid_amount'],
    ['amount -1', () => withRequirement({ amount: '-1' }), 'invalid_amount'],
    ['amount 2^256', () => withRequirement({ amount: (2n ** 256n).toString() }), 'invalid_amount'],
    ['amount as a number', () => withRequirement({ amount: 10000 }), 'invalid_amount'],
    ['amount missing', () => withRequirement({ amount: undefined }), 'invalid_payment_required'],
    ['no header and no body', () => ({}), 'invalid_payment_required'],
    ['a v2 body without header', () => ({ body: buildPaymentRequiredV2() }), 'invalid_payment_required'],
    [
      'a v1 body with a bad maxAmountRequired',
      () => ({
        body: buildPaymentRequiredV1({ accepts: [buildRequirementV1({ maxAmountRequired: '0x10' })] }),
      }),
      'invalid_amount',
    ],
    [
      'a v1 body without a resource',
      () => ({ body: buildPaymentRequiredV1({ accepts: [buildRequirementV1({ resource: undefined })] }) }),
      'invalid_payment_required',
    ],
    [
      'a body with a function',
      () => ({ body: { ...buildPaymentRequiredV1(), hook: () => 1 } }),
      'invalid_json',
    ],
    ['a body with a bigint', () => ({ body: { ...buildPaymentRequiredV1(), amount: 1n } }), 'invalid_json'],
    ['a body with NaN', () => ({ body: { ...buildPaymentRequiredV1(), x: Number.NaN } }), 'invalid_json'],
    [
      'a body with a Date',
      () => ({ body: { ...buildPaymentRequiredV1(), at: new Date(0) } }),
      'invalid_json',
    ],
    ['a body text nested 10 000 deep', () => ({ body: nested(10_000) }), 'invalid_json'],
    [
      'a body text with a nested duplicate key',
      () => ({ body: '{"x402Version":1,"a":{"b":1},"a":2}' }),
      'invalid_json',
    ],
    ['a body text over 64 KiB', () => ({ body: ' '.repeat(64 * 1024 + 1) }), 'payment_required_too_large'],
  ])('rejects %s', (_scenario, input, code) => {
    expect(codeOf(() => decodePaymentRequired(input()))).toBe(code);
  });

  it('rejects a cyclic object body without overflowing the stack', () => {
    const body: Record<string, unknown> = buildPaymentRequiredV1();
    body['self'] = body;
    expect(codeOf(() => decodePaymentRequired({ body }))).toBe('invalid_json');
  });

  it('rejects an own __proto__ key on an object body', () => {
    const body = JSON.parse('{"x402Version":1,"__proto__":{"admin":true}}') as unknown;
    expect(codeOf(() => decodePaymentRequired({ body }))).toBe('invalid_json');
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });

  it('bounds the number of values in an object body', () => {
    const body = { ...buildPaymentRequiredV1(), filler: Array.from({ length: 20_000 }, () => 0) };
    expect(codeOf(() => decodePaymentRequired({ body }))).toBe('invalid_json');
  });
});
