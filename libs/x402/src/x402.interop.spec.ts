// Goal: interoperability with the reference packages (2.27.0): their encoded 402s decode here,
// our payloads decode there and match the seller's requirement, and for the same clock and nonce
// we sign exactly what the reference exact-EVM client signs (v2 and v1), byte for byte.
import { x402Client } from '@x402/core/client';
import {
  decodePaymentSignatureHeader,
  encodePaymentRequiredHeader,
  encodePaymentResponseHeader,
  HTTPFacilitatorClient,
} from '@x402/core/http';
import { x402ResourceServer } from '@x402/core/server';
import type { PaymentPayload, PaymentRequired } from '@x402/core/types';
import { authorizationTypes } from '@x402/evm';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { ExactEvmScheme as ExactEvmServerScheme } from '@x402/evm/exact/server';
import { ExactEvmSchemeV1 } from '@x402/evm/v1';
import {
  declarePaymentIdentifierExtension,
  extractPaymentIdentifier,
  validatePaymentIdentifierRequirement,
} from '@x402/extensions/payment-identifier';
import { hexToBytes, verifyTypedData, type Hex } from 'viem';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { decodePaymentRequired } from './decode-payment-required';
import type { NormalizedPaymentRequired } from './normalized-payment-required';
import { buildPaymentPayload } from './payment-payload';
import { decodePaymentHeader, encodePaymentHeader } from './payment-header';
import { decodePaymentResponseHeader } from './payment-response';
import { paymentIdentifierOf } from './payment-identifier';
import { buildTransferAuthorization, TRANSFER_WITH_AUTHORIZATION_TYPES } from './transfer-authorization';
import {
  anvilAccount,
  buildPaymentRequiredV1,
  buildPaymentRequiredV2,
  buildRequirementV2,
} from './x402.test-builders';

const payer = anvilAccount(1);
const NOW_MS = 1_760_000_000_000;
const NOW_SECONDS = BigInt(NOW_MS / 1000);
const FIXED_NONCE: Hex = `0x${'5a'.repeat(16)}${'c3'.repeat(16)}`;

type SignTypedDataArgs = Parameters<typeof payer.signTypedData>[0];

// A signer that records what the reference client asks it to sign, then signs it with the real key.
function recordingSigner(): { signer: typeof payer; signed: SignTypedDataArgs[] } {
  const signed: SignTypedDataArgs[] = [];
  const signer = {
    ...payer,
    address: payer.address,
    signTypedData: async (args: SignTypedDataArgs) => {
      signed.push(args);
      return payer.signTypedData(args);
    },
  } as typeof payer;
  return { signer, signed };
}

// The nonce we hand to buildTransferAuthorization is what the reference client draws from
// crypto.getRandomValues; fixing both (and Date) makes the two signers see identical inputs.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW_MS);
  vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation((array) => {
    if (array instanceof Uint8Array) array.set(hexToBytes(FIXED_NONCE).subarray(0, array.length));
    return array;
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function ourPayload(params: {
  paymentRequired: NormalizedPaymentRequired;
  validAfterSkewSeconds: number;
  paymentIdentifier?: string;
}) {
  const requirement = params.paymentRequired.accepts[0]!;
  const { authorization, typedData } = buildTransferAuthorization({
    requirement,
    from: payer.address,
    nowSeconds: NOW_SECONDS,
    nonce: FIXED_NONCE,
    validAfterSkewSeconds: params.validAfterSkewSeconds,
    validBeforeCapSeconds: 86_400,
  });
  const signature = await payer.signTypedData(typedData);
  const payload = buildPaymentPayload({
    paymentRequired: params.paymentRequired,
    requirement,
    authorization,
    signature,
    ...(params.paymentIdentifier === undefined ? {} : { paymentIdentifier: params.paymentIdentifier }),
  });
  return { payload, typedData, signature };
}

describe('(a) reference-encoded PAYMENT-REQUIRED decodes here', () => {
  it('decodes encodePaymentRequiredHeader output with raw deep-equal to the seller requirement', () => {
    const document = buildPaymentRequiredV2({
      accepts: [buildRequirementV2(), buildRequirementV2({ network: 'eip155:8453', amount: '1' })],
      extensions: { 'payment-identifier': declarePaymentIdentifierExtension(true) },
    });
    const decoded = decodePaymentRequired({ header: encodePaymentRequiredHeader(document) });
    expect(decoded.accepts.map((requirement) => requirement.raw)).toEqual(document.accepts);
    expect(decoded.accepts.map((requirement) => requirement.supported)).toEqual([true, true]);
    expect(paymentIdentifierOf(decoded)).toEqual({ required: true, id: null });
  });

  it('decodes a reference-encoded PAYMENT-RESPONSE', () => {
    const response = {
      success: true,
      payer: payer.address,
      transaction: `0x${'ab'.repeat(32)}`,
      network: 'eip155:84532' as const,
    };
    expect(decodePaymentResponseHeader(encodePaymentResponseHeader(response))).toEqual(response);
  });
});

describe('(b) our payload decodes with the reference and matches the seller requirement', () => {
  it('decodePaymentSignatureHeader reads it and the reference server finds the matching requirement', async () => {
    const document = buildPaymentRequiredV2({
      extensions: { 'payment-identifier': declarePaymentIdentifierExtension(true) },
    });
    const paymentRequired = decodePaymentRequired({ header: encodePaymentRequiredHeader(document) });
    const { payload } = await ourPayload({
      paymentRequired,
      validAfterSkewSeconds: 600,
      paymentIdentifier: 'pay_0123456789abcdef0123',
    });
    const decoded = decodePaymentSignatureHeader(encodePaymentHeader(payload).value);
    expect(decoded.accepted).toEqual(document.accepts[0]);
    expect(decoded.resource).toEqual(document.resource);

    const server = new x402ResourceServer(new HTTPFacilitatorClient({ url: 'http://127.0.0.1:9' }));
    server.register('eip155:84532', new ExactEvmServerScheme());
    expect(server.findMatchingRequirements(document.accepts, decoded)).toEqual(document.accepts[0]);
    expect(extractPaymentIdentifier(decoded)).toBe('pay_0123456789abcdef0123');
    expect(validatePaymentIdentifierRequirement(decoded, true)).toEqual({ valid: true });
  });
});

describe('(c) we sign exactly what the reference exact-EVM client signs', () => {
  it('matches the authorization types constant of @x402/evm', () => {
    expect(TRANSFER_WITH_AUTHORIZATION_TYPES).toEqual(authorizationTypes);
  });

  it('v2: same typed data, same signature and the same whole payload as x402Client + ExactEvmScheme', async () => {
    const document: PaymentRequired = buildPaymentRequiredV2({
      extensions: { bazaar: { info: { input: { type: 'http' } } } },
    });
    const { signer, signed } = recordingSigner();
    const client = new x402Client().register('eip155:*', new ExactEvmScheme(signer)).setSpendControls(false);
    const reference = await client.createPaymentPayload(document);

    // The 2.27 v2 client signs validAfter = 0; a skew that covers `now` gives us the same.
    const ours = await ourPayload({
      paymentRequired: decodePaymentRequired({ header: encodePaymentRequiredHeader(document) }),
      validAfterSkewSeconds: Number(NOW_SECONDS),
    });
    expect(signed).toHaveLength(1);
    expect(ours.typedData).toEqual(signed[0]);
    expect(ours.signature).toBe((reference.payload as { signature: Hex }).signature);
    expect(JSON.parse(JSON.stringify(ours.payload))).toEqual(JSON.parse(JSON.stringify(reference)));
    await expect(
      verifyTypedData({ ...ours.typedData, address: payer.address, signature: ours.signature }),
    ).resolves.toBe(true);
  });

  it('v1: same typed data and payload as ExactEvmSchemeV1 (validAfter = now - 600)', async () => {
    const body = buildPaymentRequiredV1();
    const { signer, signed } = recordingSigner();
    const referenceScheme = new ExactEvmSchemeV1(signer);
    const reference = await referenceScheme.createPaymentPayload(1, (body['accepts'] as never[])[0]!);
    const ours = await ourPayload({
      paymentRequired: decodePaymentRequired({ body }),
      validAfterSkewSeconds: 600,
    });
    expect(signed).toHaveLength(1);
    expect(ours.typedData).toEqual(signed[0]);
    expect(JSON.parse(JSON.stringify(ours.payload))).toEqual(JSON.parse(JSON.stringify(reference)));
    const header = encodePaymentHeader(ours.payload);
    expect(header.name).toBe('X-PAYMENT');
    expect(decodePaymentHeader(header)).toEqual(ours.payload);
  });

  it('a reference client payload decodes with our decoder', async () => {
    const document = buildPaymentRequiredV2();
    const { signer } = recordingSigner();
    const client = new x402Client().register('eip155:*', new ExactEvmScheme(signer)).setSpendControls(false);
    const reference: PaymentPayload = await client.createPaymentPayload(document);
    const value = encodePaymentHeader(reference).value;
    expect(decodePaymentHeader({ name: 'PAYMENT-SIGNATURE', value })).toEqual(reference);
  });
});
