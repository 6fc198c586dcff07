// Goal: property-based evidence that decoding never fails with anything but an X402Error on any
// input, and that what we decode or build survives an encode/decode round trip unchanged.
import fc from 'fast-check';
import { bytesToHex, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';

import { decodePaymentRequired } from './decode-payment-required';
import { normalizePaymentRequired } from './normalize-payment-required';
import { buildPaymentPayload } from './payment-payload';
import { decodePaymentHeader, encodePaymentHeader } from './payment-header';
import { decodePaymentResponseHeader } from './payment-response';
import { buildTransferAuthorization } from './transfer-authorization';
import { X402Error } from './x402.errors';
import {
  anvilAccount,
  buildPaymentRequiredV2,
  buildRequirementV2,
  encodeJsonHeader,
} from './x402.test-builders';

const payer = anvilAccount(1);

function onlyX402Errors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(X402Error);
  }
}

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => bytesToHex(bytes));
const requirement = fc.record({
  amount: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map((value) => value.toString()),
  payTo: address,
  asset: address,
  maxTimeoutSeconds: fc.integer({ min: 1, max: 86_400 }),
  extra: fc.record({
    name: fc.string({ minLength: 1, maxLength: 40 }),
    version: fc.string({ minLength: 1, maxLength: 8 }),
  }),
  network: fc.integer({ min: 1, max: 2 ** 40 }).map((chainId) => `eip155:${chainId}`),
});
const document = fc
  .array(requirement, { minLength: 1, maxLength: 4 })
  .map((accepts) => buildPaymentRequiredV2({ accepts: accepts.map((item) => buildRequirementV2(item)) }));

describe('decoding is total over hostile input', () => {
  it('any string as header or body throws only X402Error', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        onlyX402Errors(() => decodePaymentRequired({ header: text }));
        onlyX402Errors(() => decodePaymentRequired({ body: text }));
        onlyX402Errors(() => decodePaymentHeader({ name: 'PAYMENT-SIGNATURE', value: text }));
        onlyX402Errors(() => decodePaymentResponseHeader(text));
      }),
      { numRuns: 500 },
    );
  });

  it('any base64 string and any base64-encoded JSON value throws only X402Error', () => {
    fc.assert(
      fc.property(fc.base64String({ maxLength: 400 }), fc.jsonValue({ maxDepth: 6 }), (base64, json) => {
        onlyX402Errors(() => decodePaymentRequired({ header: base64 }));
        onlyX402Errors(() => decodePaymentRequired({ header: encodeJsonHeader(json) }));
        onlyX402Errors(() => decodePaymentHeader({ name: 'X-PAYMENT', value: encodeJsonHeader(json) }));
        onlyX402Errors(() => normalizePaymentRequired(json));
      }),
      { numRuns: 300 },
    );
  });

  it('a valid document with one field replaced by anything throws only X402Error', () => {
    const field = fc.constantFrom(
      'scheme',
      'network',
      'amount',
      'asset',
      'payTo',
      'maxTimeoutSeconds',
      'extra',
    );
    fc.assert(
      fc.property(document, field, fc.anything({ maxDepth: 3 }), (paymentRequired, key, value) => {
        const mangled = { ...paymentRequired, accepts: [{ ...paymentRequired.accepts[0], [key]: value }] };
        onlyX402Errors(() => decodePaymentRequired({ header: encodeJsonHeader(mangled) }));
        onlyX402Errors(() => normalizePaymentRequired(mangled));
      }),
      { numRuns: 300 },
    );
  });
});

describe('round trips', () => {
  it('decodes every generated requirement with raw deep-equal to what the seller sent', () => {
    fc.assert(
      fc.property(document, (paymentRequired) => {
        const decoded = decodePaymentRequired({ header: encodeJsonHeader(paymentRequired) });
        expect(decoded.accepts.map((item) => item.raw)).toEqual(paymentRequired.accepts);
        decoded.accepts.forEach((item, index) => {
          expect(item.amountAtomic.toString()).toBe(paymentRequired.accepts[index]?.amount);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('a built payload survives encodePaymentHeader -> decodePaymentHeader', () => {
    const nonce = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => bytesToHex(bytes));
    const signature = fc.uint8Array({ minLength: 65, maxLength: 65 }).map((bytes): Hex => bytesToHex(bytes));
    fc.assert(
      fc.property(document, nonce, signature, (paymentRequiredDocument, nonceHex, signatureHex) => {
        const paymentRequired = decodePaymentRequired({ header: encodeJsonHeader(paymentRequiredDocument) });
        const chosen = paymentRequired.accepts[0]!;
        const { authorization } = buildTransferAuthorization({
          requirement: chosen,
          from: payer.address,
          nowSeconds: 1_760_000_000n,
          nonce: nonceHex,
          validAfterSkewSeconds: 600,
          validBeforeCapSeconds: 3_600,
        });
        const payload = buildPaymentPayload({
          paymentRequired,
          requirement: chosen,
          authorization,
          signature: signatureHex,
        });
        expect(decodePaymentHeader(encodePaymentHeader(payload))).toEqual(payload);
      }),
      { numRuns: 200 },
    );
  });
});
