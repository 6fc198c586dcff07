// Goal: verifyReceipt accepts only an untouched receipt, signed by a published key with ES256 or
// EdDSA, from the expected issuer, before it expires; every other case is a typed ReceiptError
// with a stable code, and no error text carries key material.
import { inspect } from 'node:util';

import { base64url, createLocalJWKSet, errors, type JWTVerifyGetKey, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';

import { RECEIPT_LIFETIME_DEFAULT_SECONDS, RECEIPT_TYPE } from './receipt-claims';
import { RECEIPT_ALGORITHMS, generateReceiptSigningKey } from './receipt-signing-key';
import {
  buildClaims,
  cachedKey,
  expectReceiptError,
  ISSUER,
  joinToken,
  jwksOf,
  SIGNED_AT,
  splitToken,
} from './receipts.test-builders';
import { signReceipt } from './sign-receipt';
import { RECEIPT_TOKEN_LENGTH_MAX_CHARS, verifyReceipt } from './verify-receipt';

const secondsAfterSigning = (seconds: number): Date => new Date(SIGNED_AT.getTime() + seconds * 1_000);

async function signedReceipt(algorithm: (typeof RECEIPT_ALGORITHMS)[number] = 'ES256') {
  const key = await cachedKey(algorithm);
  const token = await signReceipt({ key, claims: buildClaims(), now: SIGNED_AT });
  return { key, token, jwks: jwksOf(key) };
}

describe.each(RECEIPT_ALGORITHMS)('%s tampering', (algorithm) => {
  it('rejects a changed payload with receipt_signature_invalid', async () => {
    const { token, jwks } = await signedReceipt(algorithm);
    const parts = splitToken(token);
    const payment = parts.payload['payment'] as Record<string, unknown>;
    const tampered = joinToken({
      ...parts,
      payload: { ...parts.payload, payment: { ...payment, amount: '1' } },
    });
    await expectReceiptError(
      () => verifyReceipt({ token: tampered, keys: jwks, issuer: ISSUER, now: SIGNED_AT }),
      'receipt_signature_invalid',
    );
  });

  it('rejects a changed signature with receipt_signature_invalid', async () => {
    const { token, jwks } = await signedReceipt(algorithm);
    const parts = splitToken(token);
    const signature = base64url.decode(parts.signature);
    signature[0] = (signature[0] ?? 0) ^ 0x01;
    const tampered = joinToken({ ...parts, signature: base64url.encode(signature) });
    await expectReceiptError(
      () => verifyReceipt({ token: tampered, keys: jwks, issuer: ISSUER, now: SIGNED_AT }),
      'receipt_signature_invalid',
    );
  });
});

describe('keys', () => {
  it('rejects a receipt whose kid is not in the JWKS with receipt_key_unknown', async () => {
    const { token } = await signedReceipt('ES256');
    const stranger = await generateReceiptSigningKey({ algorithm: 'ES256' });
    const error = await expectReceiptError(
      () => verifyReceipt({ token, keys: jwksOf(stranger), issuer: ISSUER, now: SIGNED_AT }),
      'receipt_key_unknown',
    );
    expect(error.kid).toBe(splitToken(token).header['kid']);
  });

  it('rejects a receipt relabelled with another published kid with receipt_signature_invalid', async () => {
    const { token, key } = await signedReceipt('ES256');
    const other = await generateReceiptSigningKey({ algorithm: 'ES256' });
    const parts = splitToken(token);
    const relabelled = joinToken({ ...parts, header: { ...parts.header, kid: other.kid } });
    await expectReceiptError(
      () => verifyReceipt({ token: relabelled, keys: jwksOf(key, other), issuer: ISSUER, now: SIGNED_AT }),
      'receipt_signature_invalid',
    );
  });

  it('rejects a receipt whose alg names the other curve of a published kid with receipt_key_unknown', async () => {
    const { token, jwks } = await signedReceipt('ES256');
    const parts = splitToken(token);
    const relabelled = joinToken({ ...parts, header: { ...parts.header, alg: 'EdDSA' } });
    await expectReceiptError(
      () => verifyReceipt({ token: relabelled, keys: jwks, issuer: ISSUER, now: SIGNED_AT }),
      'receipt_key_unknown',
    );
  });

  it('verifies with a jose key resolver as well as a JWKS object', async () => {
    const { token, jwks, key } = await signedReceipt('EdDSA');
    const result = await verifyReceipt({
      token,
      keys: createLocalJWKSet(jwks),
      issuer: ISSUER,
      now: SIGNED_AT,
    });
    expect(result.kid).toBe(key.kid);
  });

  it('reports a failing resolver as receipt_keys_unavailable and a broken JWKS likewise', async () => {
    const { token } = await signedReceipt('EdDSA');
    const failing: JWTVerifyGetKey = async () => {
      throw new errors.JWKSTimeout();
    };
    await expectReceiptError(
      () => verifyReceipt({ token, keys: failing, issuer: ISSUER, now: SIGNED_AT }),
      'receipt_keys_unavailable',
    );
    await expectReceiptError(
      () => verifyReceipt({ token, keys: { keys: 'none' } as never, issuer: ISSUER, now: SIGNED_AT }),
      'receipt_keys_unavailable',
    );
  });
});

describe('algorithm confusion', () => {
  it('rejects alg none with receipt_signature_invalid', async () => {
    const { token, jwks } = await signedReceipt('ES256');
    const parts = splitToken(token);
    const unsecured = joinToken({ ...parts, header: { ...parts.header, alg: 'none' }, signature: '' });
    await expectReceiptError(
      () => verifyReceipt({ token: unsecured, keys: jwks, issuer: ISSUER, now: SIGNED_AT }),
      'receipt_signature_invalid',
    );
  });

  it('rejects HS256 keyed with the public key, even through a resolver that would hand it out', async () => {
    const { key, jwks } = await signedReceipt('ES256');
    const payload = splitToken(await signReceipt({ key, claims: buildClaims(), now: SIGNED_AT })).payload;
    const publicKeyBytes = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const forged = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: RECEIPT_TYPE })
      .sign(publicKeyBytes);
    const naive: JWTVerifyGetKey = async () => publicKeyBytes;
    for (const keys of [jwks, naive]) {
      await expectReceiptError(
        () => verifyReceipt({ token: forged, keys, issuer: ISSUER, now: SIGNED_AT }),
        'receipt_signature_invalid',
      );
    }
  });
});

describe('time', () => {
  it('accepts a receipt until its exp and rejects it after with receipt_expired', async () => {
    const { token, jwks } = await signedReceipt('EdDSA');
    const verifyAt = (now: Date, clockToleranceSeconds = 0) =>
      verifyReceipt({ token, keys: jwks, issuer: ISSUER, now, clockToleranceSeconds });
    await expect(verifyAt(secondsAfterSigning(RECEIPT_LIFETIME_DEFAULT_SECONDS - 1))).resolves.toBeDefined();
    await expectReceiptError(
      () => verifyAt(secondsAfterSigning(RECEIPT_LIFETIME_DEFAULT_SECONDS)),
      'receipt_expired',
    );
    await expect(
      verifyAt(secondsAfterSigning(RECEIPT_LIFETIME_DEFAULT_SECONDS + 20), 30),
    ).resolves.toBeDefined();
    await expectReceiptError(
      () => verifyAt(secondsAfterSigning(RECEIPT_LIFETIME_DEFAULT_SECONDS + 40), 30),
      'receipt_expired',
    );
  });

  it('rejects a receipt issued in the future with receipt_claims_invalid', async () => {
    const { token, jwks } = await signedReceipt('ES256');
    await expectReceiptError(
      () => verifyReceipt({ token, keys: jwks, issuer: ISSUER, now: secondsAfterSigning(-60) }),
      'receipt_claims_invalid',
    );
    await expect(
      verifyReceipt({
        token,
        keys: jwks,
        issuer: ISSUER,
        now: secondsAfterSigning(-60),
        clockToleranceSeconds: 60,
      }),
    ).resolves.toBeDefined();
  });

  it('refuses a clock tolerance out of bounds as a caller error', async () => {
    const { token, jwks } = await signedReceipt('ES256');
    await expect(
      verifyReceipt({ token, keys: jwks, issuer: ISSUER, now: SIGNED_AT, clockToleranceSeconds: 301 }),
    ).rejects.toBeInstanceOf(RangeError);
  });
});

describe('issuer and shape', () => {
  it('rejects another issuer with receipt_issuer_mismatch', async () => {
    const { token, jwks } = await signedReceipt('ES256');
    await expectReceiptError(
      () => verifyReceipt({ token, keys: jwks, issuer: 'https://other.example', now: SIGNED_AT }),
      'receipt_issuer_mismatch',
    );
  });

  it.each([
    { scenario: 'an empty string', change: () => '' },
    { scenario: 'two segments', change: (token: string) => token.split('.').slice(0, 2).join('.') },
    { scenario: 'a header that is not JSON', change: (token: string) => `e30x${token.slice(4)}` },
    { scenario: 'an oversized token', change: () => 'a'.repeat(RECEIPT_TOKEN_LENGTH_MAX_CHARS + 1) },
    {
      scenario: 'another typ',
      change: (token: string) => {
        const parts = splitToken(token);
        return joinToken({ ...parts, header: { ...parts.header, typ: 'JWT' } });
      },
    },
    {
      scenario: 'no kid',
      change: (token: string) => {
        const parts = splitToken(token);
        return joinToken({ ...parts, header: { alg: parts.header['alg'], typ: RECEIPT_TYPE } });
      },
    },
  ])('rejects $scenario with receipt_malformed', async ({ change }) => {
    const { token, jwks } = await signedReceipt('ES256');
    await expectReceiptError(
      () => verifyReceipt({ token: change(token), keys: jwks, issuer: ISSUER, now: SIGNED_AT }),
      'receipt_malformed',
    );
  });
});

describe('error hygiene', () => {
  it('keeps private key material out of every verification error', async () => {
    const { token, key } = await signedReceipt('ES256');
    const privateMember = key.privateJwk.d ?? '';
    expect(privateMember.length).toBeGreaterThan(0);
    // Even a caller who publishes the private JWK by mistake must not see it echoed in errors.
    const leakyJwks = { keys: [{ ...key.privateJwk, kid: 'someone-else' }] };
    const error = await expectReceiptError(
      () => verifyReceipt({ token, keys: leakyJwks, issuer: ISSUER, now: SIGNED_AT }),
      'receipt_key_unknown',
    );
    const rendering = [
      error.message,
      error.stack ?? '',
      inspect(error, { depth: 20, showHidden: true }),
    ].join('\n');
    expect(rendering).not.toContain(privateMember);
  });
});
