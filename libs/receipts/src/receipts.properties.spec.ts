// Goal: property-based evidence that any claims object the schema accepts survives signing and
// verification exactly, with either algorithm, and that no JSON number is ever accepted as money.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { RECEIPT_LIFETIME_MAX_SECONDS, type ReceiptClaims, ReceiptClaimsSchema } from './receipt-claims';
import { RECEIPT_ALGORITHMS } from './receipt-signing-key';
import { buildClaims, cachedKey, ISSUER, jwksOf } from './receipts.test-builders';
import { signReceipt } from './sign-receipt';
import { verifyReceipt } from './verify-receipt';

// Each run signs and verifies once (about a millisecond); 150 runs per algorithm stay fast.
const PROPERTY_RUNS = 150;

const identifier = fc.stringMatching(/^[\x21-\x7e]{1,128}$/);
const address = fc.stringMatching(/^0x[0-9a-fA-F]{40}$/);
const httpUrl = fc.webUrl({
  validSchemes: ['http', 'https'],
  withQueryParameters: true,
  withFragments: true,
});

const claimsArbitrary: fc.Arbitrary<ReceiptClaims> = fc
  .record(
    {
      iss: httpUrl,
      sub: identifier,
      jti: identifier,
      iat: fc.integer({ min: 0, max: 4_102_444_800 }),
      lifetimeSeconds: fc.integer({ min: 1, max: RECEIPT_LIFETIME_MAX_SECONDS }),
      payment: fc.record(
        {
          orgId: identifier,
          agentId: identifier,
          payer: address,
          payTo: address,
          amount: fc.bigInt({ min: 1n, max: 2n ** 256n - 1n }).map(String),
          asset: address,
          network: fc.stringMatching(/^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/),
          resourceUrl: httpUrl,
          method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS' as const),
          nonce: fc.stringMatching(/^0x[0-9a-fA-F]{64}$/),
          decision: fc.constantFrom('allow', 'hold_for_approval' as const),
        },
        // Plain objects, as JSON.parse returns them, so the comparison can be strict.
        { noNullPrototype: true },
      ),
    },
    { noNullPrototype: true },
  )
  .map(({ lifetimeSeconds, ...claims }) => ({ ...claims, exp: claims.iat + lifetimeSeconds }))
  // The property is about claims the schema accepts; generated URLs occasionally are not.
  .filter((claims) => ReceiptClaimsSchema.safeParse(claims).success);

describe('receipt properties', () => {
  it.each(RECEIPT_ALGORITHMS)(
    '%s: every schema-valid claims object round-trips exactly',
    async (algorithm) => {
      const key = await cachedKey(algorithm);
      const keys = jwksOf(key);
      await fc.assert(
        fc.asyncProperty(claimsArbitrary, fc.integer({ min: 0, max: 999 }), async (claims, milliseconds) => {
          const now = new Date(claims.iat * 1_000 + milliseconds);
          const { iat: _iat, exp, ...unsigned } = claims;
          const token = await signReceipt({ key, claims: unsigned, now, lifetimeSeconds: exp - claims.iat });
          const result = await verifyReceipt({ token, keys, issuer: claims.iss, now });
          expect(result.claims).toStrictEqual(claims);
        }),
        { numRuns: PROPERTY_RUNS },
      );
    },
  );

  it('rejects every JSON number as an amount', () => {
    const base = { ...buildClaims(), iat: 1_000, exp: 1_600 };
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.constant(10_000)), (amount) => {
        const claims = { ...base, payment: { ...base.payment, amount } };
        expect(ReceiptClaimsSchema.safeParse(claims).success).toBe(false);
      }),
    );
  });

  it('accepts the issuer it is given and no other', async () => {
    const key = await cachedKey('ES256');
    const token = await signReceipt({ key, claims: buildClaims(), now: new Date(1_000_000) });
    const result = await verifyReceipt({
      token,
      keys: jwksOf(key),
      issuer: ISSUER,
      now: new Date(1_000_000),
    });
    expect(result.claims.iss).toBe(ISSUER);
  });
});
