// Goal: a seller verifying offline can require that a receipt pays it, the amount it asked, in its
// asset and network, for its origin and method. Each expectation is checked only when given; each
// mismatch is receipt_claim_mismatch naming the claim; addresses compare case-insensitively,
// amounts exactly; a malformed expectation is a caller error, raised before the token is read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { ReceiptPayment } from './receipt-claims';
import type { ExpectedReceiptPayment } from './receipt-expectations';
import { RECEIPT_ALGORITHMS } from './receipt-signing-key';
import {
  buildClaims,
  buildPayment,
  cachedKey,
  expectReceiptError,
  ISSUER,
  joinToken,
  jwksOf,
  SIGNED_AT,
  splitToken,
} from './receipts.test-builders';
import { signReceipt } from './sign-receipt';
import { verifyReceipt } from './verify-receipt';

// Amount properties sign and verify once per run (about a millisecond each).
const PROPERTY_RUNS = 100;

/** The payment every receipt below attests unless a case overrides part of it. */
const PAID = buildPayment();
const OTHER_ADDRESS = '0x1111111111111111111111111111111111111111';

/** Flips the case of every hex letter of an address after its `0x`. */
const swapCase = (address: string): string =>
  `0x${[...address.slice(2)].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('')}`;

async function receiptFor(payment: Partial<ReceiptPayment> = {}, algorithm: 'ES256' | 'EdDSA' = 'ES256') {
  const key = await cachedKey(algorithm);
  const token = await signReceipt({
    key,
    claims: buildClaims({ payment: { ...PAID, ...payment } }),
    now: SIGNED_AT,
  });
  return { token, keys: jwksOf(key) };
}

async function verifyExpecting(
  expected: ExpectedReceiptPayment,
  payment: Partial<ReceiptPayment> = {},
  algorithm: 'ES256' | 'EdDSA' = 'ES256',
) {
  const { token, keys } = await receiptFor(payment, algorithm);
  return verifyReceipt({ token, keys, issuer: ISSUER, now: SIGNED_AT, expected });
}

describe.each(RECEIPT_ALGORITHMS)('%s: matching expectations are accepted', (algorithm) => {
  it.each<{ scenario: string; expected: ExpectedReceiptPayment }>([
    { scenario: 'no expectation', expected: {} },
    { scenario: 'payTo as signed', expected: { payTo: PAID.payTo } },
    { scenario: 'payTo in lower case', expected: { payTo: PAID.payTo.toLowerCase() } },
    { scenario: 'payTo with every letter case swapped', expected: { payTo: swapCase(PAID.payTo) } },
    { scenario: 'amount as a decimal string', expected: { amount: '10000' } },
    { scenario: 'amount as a bigint', expected: { amount: 10_000n } },
    { scenario: 'asset in lower case', expected: { asset: PAID.asset.toLowerCase() } },
    { scenario: 'asset with every letter case swapped', expected: { asset: swapCase(PAID.asset) } },
    { scenario: 'network', expected: { network: 'eip155:84532' } },
    { scenario: 'resource origin', expected: { resourceOrigin: 'https://api.seller.example' } },
    {
      scenario: 'resource origin with a trailing slash',
      expected: { resourceOrigin: 'https://api.seller.example/' },
    },
    {
      scenario: 'resource origin with another host case and the default port',
      expected: { resourceOrigin: 'https://API.Seller.example:443' },
    },
    { scenario: 'method', expected: { method: 'GET' } },
    {
      scenario: 'everything at once',
      expected: {
        payTo: PAID.payTo.toUpperCase().replace('0X', '0x'),
        amount: 10_000n,
        asset: PAID.asset,
        network: PAID.network,
        resourceOrigin: 'https://api.seller.example',
        method: 'GET',
      },
    },
  ])('$scenario', async ({ expected }) => {
    const result = await verifyExpecting(expected, {}, algorithm);
    expect(result.claims.payment).toStrictEqual(PAID);
  });
});

describe('mismatching expectations are refused with receipt_claim_mismatch', () => {
  it.each<{ scenario: string; expected: ExpectedReceiptPayment; claim: string }>([
    { scenario: 'another payTo', expected: { payTo: OTHER_ADDRESS }, claim: 'payment.payTo' },
    { scenario: 'payTo set to the payer', expected: { payTo: PAID.payer }, claim: 'payment.payTo' },
    { scenario: 'payTo set to the asset', expected: { payTo: PAID.asset }, claim: 'payment.payTo' },
    { scenario: 'one atomic unit more', expected: { amount: '10001' }, claim: 'payment.amount' },
    { scenario: 'one atomic unit less', expected: { amount: 9_999n }, claim: 'payment.amount' },
    { scenario: 'ten times the amount', expected: { amount: '100000' }, claim: 'payment.amount' },
    { scenario: 'a zero amount', expected: { amount: 0n }, claim: 'payment.amount' },
    { scenario: 'another asset', expected: { asset: OTHER_ADDRESS }, claim: 'payment.asset' },
    { scenario: 'asset set to payTo', expected: { asset: PAID.payTo }, claim: 'payment.asset' },
    { scenario: 'another network', expected: { network: 'eip155:8453' }, claim: 'payment.network' },
    {
      scenario: 'the network in upper case',
      expected: { network: 'EIP155:84532' },
      claim: 'payment.network',
    },
    {
      scenario: 'another scheme',
      expected: { resourceOrigin: 'http://api.seller.example' },
      claim: 'payment.resourceUrl',
    },
    {
      scenario: 'another port',
      expected: { resourceOrigin: 'https://api.seller.example:8443' },
      claim: 'payment.resourceUrl',
    },
    {
      scenario: 'the parent domain',
      expected: { resourceOrigin: 'https://seller.example' },
      claim: 'payment.resourceUrl',
    },
    {
      scenario: 'a longer host with the same prefix',
      expected: { resourceOrigin: 'https://api.seller.example.evil.example' },
      claim: 'payment.resourceUrl',
    },
    { scenario: 'another method', expected: { method: 'POST' }, claim: 'payment.method' },
    {
      scenario: 'several mismatches (the first in check order decides)',
      expected: { amount: '1', payTo: OTHER_ADDRESS, method: 'PUT' },
      claim: 'payment.payTo',
    },
    {
      scenario: 'one mismatch among matches',
      expected: { payTo: PAID.payTo, amount: '10000', asset: PAID.asset, network: 'eip155:1' },
      claim: 'payment.network',
    },
  ])('$scenario', async ({ expected, claim }) => {
    const error = await expectReceiptError(() => verifyExpecting(expected), 'receipt_claim_mismatch');
    expect(error.claim).toBe(claim);
    expect(error.kid).toBe((await cachedKey('ES256')).kid);
    expect(error.issues).toEqual([]);
  });

  it.each<{ scenario: string; resourceUrl: string; accepted: boolean }>([
    { scenario: 'a path and query', resourceUrl: 'https://api.seller.example/v1/a?b=c', accepted: true },
    {
      scenario: 'the default port spelled out',
      resourceUrl: 'https://api.seller.example:443/x',
      accepted: true,
    },
    { scenario: 'an upper-case host', resourceUrl: 'https://API.SELLER.EXAMPLE/x', accepted: true },
    {
      scenario: 'credentials naming the host',
      resourceUrl: 'https://api.seller.example@evil.example/x',
      accepted: false,
    },
    {
      scenario: 'the host as a subdomain',
      resourceUrl: 'https://api.seller.example.evil.example/',
      accepted: false,
    },
    { scenario: 'plain http', resourceUrl: 'http://api.seller.example/x', accepted: false },
    { scenario: 'another port', resourceUrl: 'https://api.seller.example:8443/x', accepted: false },
  ])('compares the origin of a receipt for $scenario', async ({ resourceUrl, accepted }) => {
    const run = () => verifyExpecting({ resourceOrigin: 'https://api.seller.example' }, { resourceUrl });
    if (accepted) {
      await expect(run()).resolves.toBeDefined();
    } else {
      const error = await expectReceiptError(run, 'receipt_claim_mismatch');
      expect(error.claim).toBe('payment.resourceUrl');
    }
  });

  it('puts neither the expected nor the signed value in the error', async () => {
    const expected = { payTo: OTHER_ADDRESS, amount: '987654321' };
    const error = await expectReceiptError(
      () => verifyExpecting({ payTo: OTHER_ADDRESS }),
      'receipt_claim_mismatch',
    );
    const amountError = await expectReceiptError(
      () => verifyExpecting({ amount: expected.amount }),
      'receipt_claim_mismatch',
    );
    for (const message of [error.message, amountError.message]) {
      for (const value of [
        OTHER_ADDRESS,
        PAID.payTo,
        PAID.payTo.toLowerCase(),
        expected.amount,
        PAID.amount,
      ]) {
        expect(message).not.toContain(value);
      }
    }
  });
});

describe('order of checks', () => {
  it('reports a tampered payment as receipt_signature_invalid, not as a mismatch', async () => {
    const { token, keys } = await receiptFor();
    const parts = splitToken(token);
    const payment = parts.payload['payment'] as Record<string, unknown>;
    const tampered = joinToken({
      ...parts,
      payload: { ...parts.payload, payment: { ...payment, payTo: OTHER_ADDRESS } },
    });
    await expectReceiptError(
      () =>
        verifyReceipt({
          token: tampered,
          keys,
          issuer: ISSUER,
          now: SIGNED_AT,
          expected: { payTo: OTHER_ADDRESS },
        }),
      'receipt_signature_invalid',
    );
  });

  it('reports an expired receipt as receipt_expired even when it also mismatches', async () => {
    const { token, keys } = await receiptFor();
    await expectReceiptError(
      () =>
        verifyReceipt({
          token,
          keys,
          issuer: ISSUER,
          now: new Date(SIGNED_AT.getTime() + 3_600_000),
          expected: { payTo: OTHER_ADDRESS },
        }),
      'receipt_expired',
    );
  });

  it('ignores members given as undefined (by an untyped caller)', async () => {
    const expected = { payTo: undefined, amount: undefined, resourceOrigin: undefined } as unknown;
    await expect(verifyExpecting(expected as ExpectedReceiptPayment)).resolves.toBeDefined();
  });
});

describe('malformed expectations are caller errors', () => {
  it.each<{ scenario: string; expected: Record<string, unknown> }>([
    { scenario: 'a short payTo', expected: { payTo: '0x1234' } },
    { scenario: 'an empty payTo', expected: { payTo: '' } },
    { scenario: 'a payTo without 0x', expected: { payTo: PAID.payTo.slice(2) } },
    { scenario: 'an amount as a JS number', expected: { amount: 10_000 } },
    { scenario: 'an amount with a leading zero', expected: { amount: '010000' } },
    { scenario: 'an amount with an exponent', expected: { amount: '1e4' } },
    { scenario: 'an amount with a decimal point', expected: { amount: '10000.0' } },
    { scenario: 'an amount with whitespace', expected: { amount: ' 10000' } },
    { scenario: 'a negative amount string', expected: { amount: '-10000' } },
    { scenario: 'a negative bigint amount', expected: { amount: -10_000n } },
    { scenario: 'an empty amount', expected: { amount: '' } },
    { scenario: 'an amount longer than uint256', expected: { amount: '1'.repeat(79) } },
    { scenario: 'an asset symbol instead of an address', expected: { asset: 'USDC' } },
    { scenario: 'an empty network', expected: { network: '' } },
    { scenario: 'an empty method', expected: { method: '' } },
    {
      scenario: 'a resource origin with a path',
      expected: { resourceOrigin: 'https://api.seller.example/v1/weather' },
    },
    {
      scenario: 'a resource origin with a query',
      expected: { resourceOrigin: 'https://api.seller.example/?a=b' },
    },
    {
      scenario: 'a resource origin with an empty query',
      expected: { resourceOrigin: 'https://api.seller.example/?' },
    },
    {
      scenario: 'a resource origin with a fragment',
      expected: { resourceOrigin: 'https://api.seller.example#x' },
    },
    {
      scenario: 'a resource origin with credentials',
      expected: { resourceOrigin: 'https://u:p@api.seller.example' },
    },
    { scenario: 'a resource origin without a scheme', expected: { resourceOrigin: 'api.seller.example' } },
    {
      scenario: 'a resource origin of another scheme',
      expected: { resourceOrigin: 'ftp://api.seller.example' },
    },
  ])('refuses $scenario with a RangeError before reading the token', async ({ expected }) => {
    const { keys } = await receiptFor();
    // The token is garbage: a RangeError rather than receipt_malformed shows the check ran first.
    await expect(
      verifyReceipt({
        token: 'not-a-receipt',
        keys,
        issuer: ISSUER,
        now: SIGNED_AT,
        expected,
      }),
    ).rejects.toBeInstanceOf(RangeError);
  });
});

describe('amount properties', () => {
  const atomic = fc.bigInt({ min: 1n, max: 2n ** 256n - 1n });

  it('accepts exactly the signed amount, as a string or a bigint, and refuses every other', async () => {
    const key = await cachedKey('EdDSA');
    const keys = jwksOf(key);
    await fc.assert(
      fc.asyncProperty(
        atomic,
        // Either an unrelated amount or the signed one off by at most two atomic units.
        fc.oneof(
          atomic.map((value) => ({ kind: 'unrelated' as const, value })),
          fc.bigInt({ min: -2n, max: 2n }).map((value) => ({ kind: 'offset' as const, value })),
        ),
        fc.boolean(),
        async (signed, other, asString) => {
          const expectedAmount = other.kind === 'offset' ? signed + other.value : other.value;
          fc.pre(expectedAmount >= 0n);
          const token = await signReceipt({
            key,
            claims: buildClaims({ payment: { amount: signed.toString() } }),
            now: SIGNED_AT,
          });
          const run = () =>
            verifyReceipt({
              token,
              keys,
              issuer: ISSUER,
              now: SIGNED_AT,
              expected: { amount: asString ? expectedAmount.toString() : expectedAmount },
            });
          if (expectedAmount === signed) {
            await expect(run()).resolves.toBeDefined();
          } else {
            const error = await expectReceiptError(run, 'receipt_claim_mismatch');
            expect(error.claim).toBe('payment.amount');
          }
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });
});
