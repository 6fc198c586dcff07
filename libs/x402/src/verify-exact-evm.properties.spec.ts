// Goal: property-based evidence that (1) any single-field tamper of a valid signed request is
// refused (a 400-class X402Error or a refusal, never a pass), (2) when several checks fail the
// reported reason is the first in precedence order, and it is the very reason the reference
// facilitator's own verify code (@x402/evm 2.27.0, run here on a stub chain that has the asset and
// accepts every simulation) gives, Proco's refusals only showing where the reference passes, and
// (3) decoding is total: any body throws nothing but an X402Error.
import type { FacilitatorEvmSigner } from '@x402/evm';
import { ExactEvmScheme } from '@x402/evm/exact/facilitator';
import { ExactEvmSchemeV1 } from '@x402/evm/exact/v1/facilitator';
import type { PaymentPayload, PaymentRequirements } from '@x402/core/types';
import fc from 'fast-check';
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { checkEip3009Payment } from './verify-exact-evm';
import { parseVerifyRequest } from './verify-request';
import { VERIFY_INVALID_REASONS, type VerifyInvalidReason } from './verify-reasons';
import {
  AUTHORIZATION_PATH,
  eip3009RequestOf,
  signedVerifyBody,
  toHighS,
  toYParity,
  verifyAsset,
  VERIFY_CHAIN_ID,
  VERIFY_NOW_SECONDS,
  withField,
} from './verify.test-builders';
import { X402Error } from './x402.errors';
import { anvilAccount } from './x402.test-builders';

const stranger = anvilAccount(7);

beforeAll(() => {
  // The reference reads the wall clock; pin it to the specs' clock (timers stay real).
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Number(VERIFY_NOW_SECONDS) * 1_000);
});
afterAll(() => {
  vi.useRealTimers();
});

/** A chain on which the asset has code, payers have none, and every simulation succeeds. */
const stubChain: FacilitatorEvmSigner = {
  getAddresses: () => [],
  readContract: async () => undefined,
  verifyTypedData: async () => false,
  writeContract: async () => {
    throw new Error('verify must not write');
  },
  sendTransaction: async () => {
    throw new Error('verify must not send');
  },
  waitForTransactionReceipt: async () => ({ status: 'success' }),
  getCode: async ({ address }) =>
    address.toLowerCase() === verifyAsset.toLowerCase() ? '0x6080' : undefined,
};
const referenceV2 = new ExactEvmScheme(stubChain);
const referenceV1 = new ExactEvmSchemeV1(stubChain);

async function referenceReason(body: Record<string, unknown>): Promise<string> {
  const payload = body['paymentPayload'] as PaymentPayload;
  const requirements = body['paymentRequirements'] as PaymentRequirements;
  const scheme = body['x402Version'] === 2 ? referenceV2 : referenceV1;
  const response = await scheme.verify(payload, requirements);
  return response.isValid ? 'valid' : (response.invalidReason ?? 'no reason');
}

async function procoReason(body: unknown, assetConfigured = true): Promise<string> {
  const refusal = await checkEip3009Payment({
    request: eip3009RequestOf(body),
    chainId: VERIFY_CHAIN_ID,
    nowSeconds: VERIFY_NOW_SECONDS,
    payerSignature: { kind: 'externally_owned' },
    assetConfigured,
  });
  return refusal?.reason ?? 'valid';
}

/** Faults that can be combined in one request without masking each other's inputs. */
const faults = fc.record({
  x402Version: fc.constantFrom(1 as const, 2 as const),
  scheme: fc.boolean(),
  domainMissing: fc.boolean(),
  network: fc.boolean(),
  foreignSigner: fc.boolean(),
  recipient: fc.boolean(),
  validBefore: fc.constantFrom('ok', 'expired', 'too_far'),
  validAfter: fc.boolean(),
  value: fc.boolean(),
  assetNotConfigured: fc.boolean(),
  signatureForm: fc.constantFrom('ok', 'high_s', 'y_parity'),
});
type Faults = typeof faults extends fc.Arbitrary<infer T> ? T : never;

/** The reason each present fault would give alone. */
function reasonsOf(fault: Faults): VerifyInvalidReason[] {
  const present: Array<[boolean, VerifyInvalidReason]> = [
    [fault.scheme, 'invalid_exact_evm_scheme'],
    [fault.domainMissing, 'invalid_exact_evm_missing_eip712_domain'],
    [fault.network, 'invalid_exact_evm_network_mismatch'],
    [fault.foreignSigner, 'invalid_exact_evm_signature'],
    [fault.recipient, 'invalid_exact_evm_recipient_mismatch'],
    [fault.validBefore === 'expired', 'invalid_exact_evm_payload_authorization_valid_before'],
    [fault.validAfter, 'invalid_exact_evm_payload_authorization_valid_after'],
    [
      fault.value,
      fault.x402Version === 2
        ? 'invalid_exact_evm_payload_authorization_value_mismatch'
        : 'invalid_exact_evm_authorization_value',
    ],
    [fault.assetNotConfigured, 'asset_not_allowed'],
    [fault.validBefore === 'too_far', 'authorization_validity_too_long'],
    [fault.signatureForm === 'high_s', 'signature_high_s'],
    [fault.signatureForm === 'y_parity', 'signature_invalid_v'],
  ];
  return present.filter(([on]) => on).map(([, reason]) => reason);
}

const PROCO_ONLY = new Set<string>([
  'asset_not_allowed',
  'authorization_validity_too_long',
  'signature_high_s',
  'signature_invalid_v',
]);

function firstInPrecedence(reasons: readonly VerifyInvalidReason[]): string {
  const ranked = [...reasons].sort(
    (a, b) => VERIFY_INVALID_REASONS.indexOf(a) - VERIFY_INVALID_REASONS.indexOf(b),
  );
  return ranked[0] ?? 'valid';
}

async function bodyWith(fault: Faults): Promise<Record<string, unknown>> {
  const now = VERIFY_NOW_SECONDS;
  const validBefore = { ok: now + 300n, expired: now + 5n, too_far: now + 7_200n }[fault.validBefore];
  let body = await signedVerifyBody({
    x402Version: fault.x402Version,
    ...(fault.foreignSigner ? { signer: stranger } : {}),
    authorization: {
      ...(fault.recipient ? { to: stranger.address } : {}),
      ...(fault.value ? { value: '10001' } : {}),
      ...(fault.validAfter ? { validAfter: String(now + 60n) } : {}),
      validBefore: String(validBefore),
    },
    ...(fault.signatureForm === 'high_s' ? { mapSignature: toHighS } : {}),
    ...(fault.signatureForm === 'y_parity' ? { mapSignature: toYParity } : {}),
  });
  const v2 = fault.x402Version === 2;
  if (fault.scheme)
    body = withField(
      body,
      v2 ? ['paymentPayload', 'accepted', 'scheme'] : ['paymentPayload', 'scheme'],
      'upto',
    );
  if (fault.network) {
    body = withField(
      body,
      v2 ? ['paymentPayload', 'accepted', 'network'] : ['paymentPayload', 'network'],
      v2 ? 'eip155:8453' : 'base',
    );
  }
  if (fault.domainMissing) body = withField(body, ['paymentRequirements', 'extra'], {});
  return body;
}

describe('precedence, against the reference facilitator', () => {
  it('reports the first failing check; the reference agrees wherever it has the check', async () => {
    await fc.assert(
      fc.asyncProperty(faults, async (fault) => {
        const body = await bodyWith(fault);
        const reasons = reasonsOf(fault);
        const proco = await procoReason(body, !fault.assetNotConfigured);
        expect(proco).toBe(firstInPrecedence(reasons));
        const reference = await referenceReason(body);
        expect(reference).toBe(firstInPrecedence(reasons.filter((reason) => !PROCO_ONLY.has(reason))));
        // Proco answers like the reference unless the reference passes the payment.
        if (reference !== 'valid') expect(proco).toBe(reference);
      }),
      { numRuns: 150 },
    );
  });
});

/** Ways to change one field of a valid body, each to a value different from the original. */
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => bytesToHex(bytes));
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map(String);
const tamper = fc.oneof(
  fc.record({ path: fc.constant([...AUTHORIZATION_PATH, 'from']), value: address }),
  fc.record({ path: fc.constant([...AUTHORIZATION_PATH, 'to']), value: address }),
  fc.record({ path: fc.constant([...AUTHORIZATION_PATH, 'value']), value: uint256 }),
  fc.record({ path: fc.constant([...AUTHORIZATION_PATH, 'validAfter']), value: uint256 }),
  fc.record({ path: fc.constant([...AUTHORIZATION_PATH, 'validBefore']), value: uint256 }),
  fc.record({
    path: fc.constant([...AUTHORIZATION_PATH, 'nonce']),
    value: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => bytesToHex(bytes)),
  }),
  fc.record({
    path: fc.constant(['paymentRequirements', 'scheme']),
    value: fc.constantFrom('upto', 'EXACT', 'exact '),
  }),
  fc.record({
    path: fc.constant(['paymentRequirements', 'network']),
    value: fc.constantFrom('eip155:1', 'eip155:8453'),
  }),
  fc.record({ path: fc.constant(['paymentRequirements', 'amount']), value: uint256 }),
  fc.record({ path: fc.constant(['paymentRequirements', 'asset']), value: address }),
  fc.record({ path: fc.constant(['paymentRequirements', 'payTo']), value: address }),
  fc.record({
    path: fc.constant(['paymentRequirements', 'extra', 'name']),
    value: fc.string({ maxLength: 12 }),
  }),
  fc.record({
    path: fc.constant(['paymentRequirements', 'extra', 'version']),
    value: fc.string({ maxLength: 4 }),
  }),
  fc.record({
    path: fc.constant(['paymentPayload', 'accepted', 'scheme']),
    value: fc.string({ maxLength: 8 }),
  }),
  fc.record({
    path: fc.constant(['paymentPayload', 'accepted', 'network']),
    value: fc.string({ maxLength: 16 }),
  }),
  // Any JSON value in any field: a type change must be a 400, not a pass.
  fc.record({
    path: fc.constantFrom(
      [...AUTHORIZATION_PATH, 'value'],
      ['paymentRequirements', 'amount'],
      ['paymentRequirements', 'payTo'],
      ['paymentPayload', 'payload', 'signature'],
    ),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
);

function readPath(body: Record<string, unknown>, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], body);
}

describe('tampering', () => {
  it('any single changed field of a valid v2 request is refused', async () => {
    const valid = await signedVerifyBody();
    expect(await procoReason(valid)).toBe('valid');
    await fc.assert(
      fc.asyncProperty(tamper, async ({ path, value }) => {
        fc.pre(JSON.stringify(readPath(valid, path)) !== JSON.stringify(value));
        const body = withField(valid, path, value);
        let outcome: string;
        try {
          outcome = await procoReason(body);
        } catch (error) {
          expect(error).toBeInstanceOf(X402Error);
          outcome = 'refused before the checks';
        }
        expect(outcome).not.toBe('valid');
      }),
      { numRuns: 400 },
    );
  });

  it('any single flipped bit of the signature is refused', async () => {
    for (const x402Version of [2, 1] as const) {
      const valid = await signedVerifyBody({ x402Version });
      const signature = readPath(valid, ['paymentPayload', 'payload', 'signature']) as Hex;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 64 }),
          fc.integer({ min: 0, max: 7 }),
          async (byte, bit) => {
            const bytes = hexToBytes(signature);
            bytes[byte] = (bytes[byte] ?? 0) ^ (1 << bit);
            const body = withField(valid, ['paymentPayload', 'payload', 'signature'], bytesToHex(bytes));
            expect(await procoReason(body)).not.toBe('valid');
          },
        ),
        { numRuns: 200 },
      );
    }
  });
});

describe('decoding is total', () => {
  it('any JSON value anywhere in a request throws only X402Error', async () => {
    const valid = await signedVerifyBody();
    const paths = fc.constantFrom<readonly string[]>(
      [],
      ['paymentPayload'],
      ['paymentPayload', 'payload'],
      ['paymentPayload', 'accepted'],
      ['paymentRequirements'],
      ['paymentRequirements', 'extra'],
      AUTHORIZATION_PATH,
      ['x402Version'],
    );
    fc.assert(
      fc.property(paths, fc.jsonValue({ maxDepth: 4 }), (path, value) => {
        try {
          parseVerifyRequest(path.length === 0 ? value : withField(valid, path, value));
        } catch (error) {
          expect(error).toBeInstanceOf(X402Error);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
