// Goal: the payload echoes the seller's requirement and resource verbatim, echoes declared
// extensions with only additive client data, carries the payment identifier, and refuses mix-ups.
import type { PaymentPayload } from '@x402/core/types';
import type { Hex } from 'viem';
import { describe, expect, it } from 'vitest';

import { decodePaymentRequired } from './decode-payment-required';
import type { NormalizedPaymentRequired } from './normalized-payment-required';
import { buildPaymentPayload, type BuildPaymentPayloadParams } from './payment-payload';
import { buildTransferAuthorization } from './transfer-authorization';
import {
  anvilAccount,
  buildPaymentRequiredV1,
  buildPaymentRequiredV2,
  buildRequirementV2,
  encodeJsonHeader,
} from './x402.test-builders';

const payer = anvilAccount(1);
const SIGNATURE: Hex = `0x${'11'.repeat(65)}`;
const PAYMENT_ID = 'pay_0123456789abcdef';

function declaredIdentifier(info: Record<string, unknown>): Record<string, unknown> {
  return { 'payment-identifier': { info, schema: { type: 'object' } }, bazaar: { info: { a: 1 } } };
}

function paramsFor(
  paymentRequired: NormalizedPaymentRequired,
  overrides: Partial<BuildPaymentPayloadParams> = {},
): BuildPaymentPayloadParams {
  const requirement = paymentRequired.accepts[0];
  if (requirement === undefined) throw new Error('no requirement');
  const { authorization } = buildTransferAuthorization({
    requirement,
    from: payer.address,
    nowSeconds: 1_760_000_000n,
    nonce: `0x${'cd'.repeat(32)}`,
    validAfterSkewSeconds: 600,
    validBeforeCapSeconds: 3_600,
  });
  return { paymentRequired, requirement, authorization, signature: SIGNATURE, ...overrides };
}

const v2 = (overrides: Record<string, unknown> = {}): NormalizedPaymentRequired =>
  decodePaymentRequired({ header: encodeJsonHeader(buildPaymentRequiredV2(overrides)) });

describe('buildPaymentPayload', () => {
  it('v2: echoes resource and accepted verbatim (no re-checksumming) and omits undeclared extensions', () => {
    const paymentRequired = v2({
      resource: { url: 'https://a.example/x', serviceName: 'Weather', tags: ['w'] },
    });
    const payload = buildPaymentPayload(paramsFor(paymentRequired)) as PaymentPayload;
    expect(payload.x402Version).toBe(2);
    expect(payload.accepted).toBe(paymentRequired.accepts[0]?.raw);
    expect(payload.accepted.payTo).toBe('0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc');
    expect(payload.resource).toEqual({ url: 'https://a.example/x', serviceName: 'Weather', tags: ['w'] });
    expect(payload.payload).toMatchObject({ signature: SIGNATURE, authorization: { value: '10000' } });
    expect('extensions' in payload).toBe(false);
  });

  it('v1: carries scheme and the original network name', () => {
    const paymentRequired = decodePaymentRequired({ body: buildPaymentRequiredV1() });
    expect(buildPaymentPayload(paramsFor(paymentRequired))).toMatchObject({
      x402Version: 1,
      scheme: 'exact',
      network: 'base-sepolia',
      payload: { signature: SIGNATURE },
    });
  });

  it('echoes every declared extension and adds the payment identifier to its info', () => {
    const paymentRequired = v2({ extensions: declaredIdentifier({ required: false }) });
    const payload = buildPaymentPayload(paramsFor(paymentRequired, { paymentIdentifier: PAYMENT_ID }));
    expect((payload as PaymentPayload).extensions).toEqual({
      'payment-identifier': { info: { required: false, id: PAYMENT_ID }, schema: { type: 'object' } },
      bazaar: { info: { a: 1 } },
    });
    // The seller's frozen declaration is untouched.
    expect(paymentRequired.extensions?.['payment-identifier']).toEqual({
      info: { required: false },
      schema: { type: 'object' },
    });
  });

  it('merges additive client extension data', () => {
    const paymentRequired = v2({ extensions: declaredIdentifier({ required: false }) });
    const payload = buildPaymentPayload(
      paramsFor(paymentRequired, { extensions: { bazaar: { info: { b: 2 } } } }),
    );
    expect((payload as PaymentPayload).extensions?.['bazaar']).toEqual({ info: { a: 1, b: 2 } });
  });

  it('ignores a payment identifier the seller did not declare', () => {
    const payload = buildPaymentPayload(paramsFor(v2(), { paymentIdentifier: PAYMENT_ID }));
    expect('extensions' in payload).toBe(false);
  });

  it('sends the seller-fixed id when it already set one', () => {
    const paymentRequired = v2({ extensions: declaredIdentifier({ required: true, id: PAYMENT_ID }) });
    const payload = buildPaymentPayload(paramsFor(paymentRequired)) as PaymentPayload;
    expect(payload.extensions?.['payment-identifier']).toMatchObject({ info: { id: PAYMENT_ID } });
  });

  it.each<[string, () => BuildPaymentPayloadParams, string]>([
    [
      'a required identifier that is missing',
      () => paramsFor(v2({ extensions: declaredIdentifier({ required: true }) })),
      'payment_identifier_required',
    ],
    [
      'an identifier that is too short',
      () =>
        paramsFor(v2({ extensions: declaredIdentifier({ required: false }) }), {
          paymentIdentifier: 'short',
        }),
      'invalid_payment_identifier',
    ],
    [
      'an identifier that differs from the seller-fixed one',
      () =>
        paramsFor(v2({ extensions: declaredIdentifier({ required: true, id: PAYMENT_ID }) }), {
          paymentIdentifier: `${PAYMENT_ID}X`,
        }),
      'invalid_payment_identifier',
    ],
    [
      'client data that changes a seller field',
      () =>
        paramsFor(v2({ extensions: declaredIdentifier({ required: false }) }), {
          extensions: { bazaar: { info: { a: 2 } } },
        }),
      'invalid_argument',
    ],
    [
      'client data for an undeclared extension',
      () =>
        paramsFor(v2({ extensions: declaredIdentifier({ required: false }) }), {
          extensions: { other: { info: {} } },
        }),
      'invalid_argument',
    ],
    [
      'a requirement from another decode',
      () => paramsFor(v2(), { requirement: v2().accepts[0]! }),
      'invalid_argument',
    ],
    [
      'an authorization paying someone else',
      () => {
        const params = paramsFor(v2());
        return { ...params, authorization: { ...params.authorization, to: payer.address } };
      },
      'invalid_argument',
    ],
    [
      'an authorization for another amount',
      () => {
        const params = paramsFor(v2());
        return { ...params, authorization: { ...params.authorization, value: '10001' } };
      },
      'invalid_argument',
    ],
    ['a malformed signature', () => paramsFor(v2(), { signature: '0x123' }), 'invalid_argument'],
    [
      'an unpayable requirement',
      () => {
        const paymentRequired = v2({ accepts: [buildRequirementV2(), buildRequirementV2({ extra: {} })] });
        return { ...paramsFor(paymentRequired), requirement: paymentRequired.accepts[1]! };
      },
      'missing_eip712_domain',
    ],
  ])('rejects %s', (_scenario, params, code) => {
    expect(() => buildPaymentPayload(params())).toThrow(expect.objectContaining({ code }));
  });
});
