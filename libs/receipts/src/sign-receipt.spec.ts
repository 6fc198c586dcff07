// Goal: receipts signed with either algorithm verify against the JWKS and return exactly what was
// signed; signing refuses claims outside the schema and keys that do not match their kid; the
// signer and the published JWK never expose the private key.
import { inspect } from 'node:util';

import { importJWK, type JWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';

import {
  RECEIPT_LIFETIME_DEFAULT_SECONDS,
  RECEIPT_LIFETIME_MAX_SECONDS,
  RECEIPT_TYPE,
  type UnsignedReceiptClaims,
} from './receipt-claims';
import { generateReceiptSigningKey, RECEIPT_ALGORITHMS, toPublishedJwk } from './receipt-signing-key';
import {
  buildClaims,
  cachedKey,
  expectReceiptError,
  ISSUER,
  jwksOf,
  SIGNED_AT,
  splitToken,
} from './receipts.test-builders';
import { createReceiptSigner, signReceipt } from './sign-receipt';
import { verifyReceipt } from './verify-receipt';

describe.each(RECEIPT_ALGORITHMS)('%s round trip', (algorithm) => {
  it('verifies against the JWKS and returns the signed claims with iat and the default exp', async () => {
    const key = await cachedKey(algorithm);
    const claims = buildClaims();
    const token = await signReceipt({ key, claims, now: SIGNED_AT });
    const { header } = splitToken(token);
    expect(header).toEqual({ alg: algorithm, kid: key.kid, typ: RECEIPT_TYPE });

    const result = await verifyReceipt({ token, keys: jwksOf(key), issuer: ISSUER, now: SIGNED_AT });
    const iat = SIGNED_AT.getTime() / 1_000;
    expect(result).toStrictEqual({
      claims: { ...claims, iat, exp: iat + RECEIPT_LIFETIME_DEFAULT_SECONDS },
      kid: key.kid,
      algorithm,
    });
  });

  it('names the key by its RFC 7638 thumbprint and publishes only public members', async () => {
    const key = await generateReceiptSigningKey({ algorithm });
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key.publicJwk).toMatchObject({ kid: key.kid, alg: algorithm, use: 'sig' });
    expect(key.publicJwk).not.toHaveProperty('d');
    expect(typeof key.privateJwk.d).toBe('string');
    const expectedMembers = algorithm === 'ES256' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x'];
    expect(Object.keys(key.publicJwk).sort()).toEqual([...expectedMembers, 'alg', 'kid', 'use'].sort());
  });

  it('signs with a reusable signer that renders only its kid', async () => {
    const key = await cachedKey(algorithm);
    const signer = await createReceiptSigner(key);
    const token = await signer.sign({ claims: buildClaims(), now: SIGNED_AT, lifetimeSeconds: 60 });
    const result = await verifyReceipt({ token, keys: jwksOf(key), issuer: ISSUER, now: SIGNED_AT });
    expect(result.claims.exp - result.claims.iat).toBe(60);
    const privateMember = key.privateJwk.d ?? '';
    const renderings = [
      JSON.stringify(signer),
      inspect(signer, { showHidden: true, depth: 20, getters: true }),
      // The signer defines a non-enumerable toString that its type does not declare.
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      String(signer),
    ];
    for (const rendering of renderings) {
      expect(rendering).toContain(key.kid);
      expect(rendering).not.toContain(privateMember);
    }
    expect(Object.keys(signer).sort()).toEqual(['algorithm', 'kid', 'sign']);
    expect(Object.isFrozen(signer)).toBe(true);
  });
});

describe('signReceipt refusals', () => {
  it.each([
    { scenario: 'a number amount', claims: { payment: { amount: 10_000 } } },
    { scenario: 'an amount with a leading zero', claims: { payment: { amount: '010' } } },
    { scenario: 'a zero amount', claims: { payment: { amount: '0' } } },
    { scenario: 'an amount in exponent form', claims: { payment: { amount: '1e18' } } },
    { scenario: 'an amount above uint256', claims: { payment: { amount: (2n ** 256n).toString() } } },
    { scenario: 'a hex amount', claims: { payment: { amount: '0x10' } } },
    { scenario: 'a network that is not CAIP-2', claims: { payment: { network: 'base-sepolia' } } },
    { scenario: 'a lower-case method', claims: { payment: { method: 'get' } } },
    { scenario: 'a deny decision', claims: { payment: { decision: 'deny' } } },
    { scenario: 'a non-http resource', claims: { payment: { resourceUrl: 'ftp://seller.example/file' } } },
    { scenario: 'a short nonce', claims: { payment: { nonce: '0x1234' } } },
    { scenario: 'an empty payment id', claims: { sub: '' } },
    { scenario: 'an issuer that is not a URL', claims: { iss: 'proco' } },
  ])('rejects $scenario with receipt_claims_invalid', async ({ claims: overrides }) => {
    const key = await cachedKey('ES256');
    const base = buildClaims();
    const claims = {
      ...base,
      ...overrides,
      payment: { ...base.payment, ...overrides.payment },
    } as unknown as UnsignedReceiptClaims;
    const error = await expectReceiptError(
      () => signReceipt({ key, claims, now: SIGNED_AT }),
      'receipt_claims_invalid',
    );
    expect(error.issues.length).toBeGreaterThan(0);
  });

  it.each([0, -1, 1.5, RECEIPT_LIFETIME_MAX_SECONDS + 1])(
    'rejects a lifetime of %s seconds with receipt_claims_invalid',
    async (lifetimeSeconds) => {
      const key = await cachedKey('EdDSA');
      await expectReceiptError(
        () => signReceipt({ key, claims: buildClaims(), now: SIGNED_AT, lifetimeSeconds }),
        'receipt_claims_invalid',
      );
    },
  );

  it('accepts the longest lifetime', async () => {
    const key = await cachedKey('EdDSA');
    const token = await signReceipt({
      key,
      claims: buildClaims(),
      now: SIGNED_AT,
      lifetimeSeconds: RECEIPT_LIFETIME_MAX_SECONDS,
    });
    const { claims } = await verifyReceipt({ token, keys: jwksOf(key), issuer: ISSUER, now: SIGNED_AT });
    expect(claims.exp - claims.iat).toBe(RECEIPT_LIFETIME_MAX_SECONDS);
  });

  it('refuses a key whose kid is not its thumbprint, without printing the key', async () => {
    const key = await cachedKey('ES256');
    const other = await cachedKey('EdDSA');
    const error = await expectReceiptError(
      () => createReceiptSigner({ ...key, kid: other.kid }),
      'receipt_signing_key_invalid',
    );
    expect(`${error.message}\n${error.stack ?? ''}\n${inspect(error, { depth: 10 })}`).not.toContain(
      key.privateJwk.d ?? '',
    );
  });

  it.each([
    { scenario: 'a public key only', change: ({ d: _d, ...jwk }: JWK) => jwk },
    { scenario: 'a corrupted private scalar', change: (jwk: JWK) => ({ ...jwk, d: 'AAAA' }) },
  ])('refuses $scenario with receipt_signing_key_invalid', async ({ change }) => {
    const key = await cachedKey('ES256');
    await expectReceiptError(
      () => createReceiptSigner({ ...key, privateJwk: change(key.privateJwk) }),
      'receipt_signing_key_invalid',
    );
  });

  it('refuses an algorithm that does not fit the key', async () => {
    const key = await cachedKey('ES256');
    await expectReceiptError(
      () => createReceiptSigner({ ...key, algorithm: 'EdDSA' }),
      'receipt_signing_key_invalid',
    );
  });
});

describe('toPublishedJwk', () => {
  it('copies only the public members, whatever else the JWK holds', async () => {
    const key = await cachedKey('ES256');
    const published = toPublishedJwk({
      jwk: { ...key.privateJwk, ext: true, key_ops: ['sign'] },
      kid: key.kid,
      algorithm: 'ES256',
    });
    expect(published).toStrictEqual(key.publicJwk);
  });

  it('refuses a key of another curve', async () => {
    const key = await cachedKey('EdDSA');
    expect(() => toPublishedJwk({ jwk: key.publicJwk, kid: key.kid, algorithm: 'ES256' })).toThrow(
      expect.objectContaining({ code: 'receipt_signing_key_invalid' }),
    );
  });
});

describe('raw JWTs that bypass signReceipt', () => {
  it('are refused by verifyReceipt when their claims break the schema, even with a valid signature', async () => {
    const key = await cachedKey('ES256');
    const signer = await createReceiptSigner(key);
    const valid = splitToken(await signer.sign({ claims: buildClaims(), now: SIGNED_AT })).payload;
    const privateKey = await importJWK(key.privateJwk, 'ES256');
    const sign = (payload: Record<string, unknown>) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: RECEIPT_TYPE })
        .sign(privateKey);
    const payment = valid['payment'] as Record<string, unknown>;
    const iat = valid['iat'] as number;
    const cases = [
      { ...valid, payment: { ...payment, amount: 10_000 } },
      { ...valid, exp: iat + RECEIPT_LIFETIME_MAX_SECONDS + 1 },
      { ...valid, payment: undefined },
    ];
    for (const payload of cases) {
      const token = await sign(payload);
      await expectReceiptError(
        () => verifyReceipt({ token, keys: jwksOf(key), issuer: ISSUER, now: SIGNED_AT }),
        'receipt_claims_invalid',
      );
    }
  });
});
