// Goal: signatures are read as the token reads them: the ERC-6492 wrapper opens to the wallet's own
// signature, the digest is the one the payer signed, ecrecover behaves as the reference's (viem)
// does, and USDC's ECDSA form rules (low s, v of 27 or 28) are told apart in the token's order.
import { getAddress, serializeErc6492Signature, verifyTypedData, zeroAddress, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';

import {
  ecdsaFormViolation,
  openSignatureEnvelope,
  recoversTo,
  transferAuthorizationDigest,
} from './authorization-signature';
import { TRANSFER_WITH_AUTHORIZATION_TYPES } from './transfer-authorization';
import {
  AUTHORIZATION_PATH,
  eip3009RequestOf,
  signedVerifyBody,
  toHighS,
  toYParity,
  verifyAsset,
  verifyPayer,
  VERIFY_CHAIN_ID,
  withField,
  withV,
} from './verify.test-builders';

const FACTORY = getAddress('0x000000000000000000000000000000000000fac7');

/** The address with the case of every letter swapped: a wrong mixed-case checksum. */
function flipCase(address: string): string {
  const body = address
    .slice(2)
    .split('')
    .map((character) =>
      character === character.toUpperCase() ? character.toLowerCase() : character.toUpperCase(),
    )
    .join('');
  return `0x${body}`;
}

async function validSignature(): Promise<{ signature: Hex; digest: Hex }> {
  const request = eip3009RequestOf(await signedVerifyBody());
  const digest = transferAuthorizationDigest({ request, chainId: VERIFY_CHAIN_ID });
  if (digest === null) throw new Error('expected a digest');
  return { signature: request.payment.signature, digest };
}

describe('openSignatureEnvelope', () => {
  it('returns a plain signature as is', async () => {
    const { signature } = await validSignature();
    expect(openSignatureEnvelope(signature)).toEqual({ innerSignature: signature, deployment: null });
  });

  it('opens an ERC-6492 wrapper to the inner signature and the factory call', async () => {
    const { signature } = await validSignature();
    const wrapped = serializeErc6492Signature({ address: FACTORY, data: '0xdeadbeef', signature });
    expect(openSignatureEnvelope(wrapped)).toEqual({
      innerSignature: signature,
      deployment: { factory: FACTORY, factoryCalldata: '0xdeadbeef' },
    });
  });

  it('keeps a wrapper with a zero factory, or an undecodable one, whole', async () => {
    const { signature } = await validSignature();
    const zero = serializeErc6492Signature({ address: zeroAddress, data: '0x', signature });
    expect(openSignatureEnvelope(zero)).toEqual({ innerSignature: zero, deployment: null });
    const broken: Hex = `0x1234${'6492'.repeat(16)}`;
    expect(openSignatureEnvelope(broken)).toEqual({ innerSignature: broken, deployment: null });
  });
});

describe('transferAuthorizationDigest', () => {
  it('is the digest the payer signed (viem verifies the signature against the typed data)', async () => {
    const request = eip3009RequestOf(await signedVerifyBody());
    const { authorization } = request.payment;
    const verified = await verifyTypedData({
      address: verifyPayer.address,
      domain: { name: 'USDC', version: '2', chainId: VERIFY_CHAIN_ID, verifyingContract: verifyAsset },
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message: {
        from: authorization.from,
        to: authorization.to,
        value: BigInt(authorization.value),
        validAfter: BigInt(authorization.validAfter),
        validBefore: BigInt(authorization.validBefore),
        nonce: authorization.nonce,
      },
      signature: request.payment.signature,
    });
    expect(verified).toBe(true);
    const digest = transferAuthorizationDigest({ request, chainId: VERIFY_CHAIN_ID });
    expect(
      await recoversTo({ digest, signature: request.payment.signature, address: verifyPayer.address }),
    ).toBe(true);
  });

  it('is null for an address with a wrong mixed-case checksum (viem refuses to hash it)', async () => {
    const body = await signedVerifyBody();
    const lowercase = eip3009RequestOf(
      withField(body, [...AUTHORIZATION_PATH, 'from'], verifyPayer.address.toLowerCase()),
    );
    const flipped = eip3009RequestOf(
      withField(body, [...AUTHORIZATION_PATH, 'from'], flipCase(verifyPayer.address)),
    );
    expect(transferAuthorizationDigest({ request: lowercase, chainId: VERIFY_CHAIN_ID })).toBe(
      transferAuthorizationDigest({ request: eip3009RequestOf(body), chainId: VERIFY_CHAIN_ID }),
    );
    expect(transferAuthorizationDigest({ request: flipped, chainId: VERIFY_CHAIN_ID })).toBeNull();
  });

  it('is null without a domain naming', async () => {
    const body = withField(await signedVerifyBody(), ['paymentRequirements', 'extra'], { name: 'USDC' });
    expect(
      transferAuthorizationDigest({ request: eip3009RequestOf(body), chainId: VERIFY_CHAIN_ID }),
    ).toBeNull();
  });
});

describe('recoversTo (the reference check for an account without code)', () => {
  it.each([
    ['the signature as signed', (signature: Hex) => signature, true],
    ['high s (ecrecover accepts it)', toHighS, true],
    ['v as a y-parity (viem accepts it)', toYParity, true],
    ['v = 29', (signature: Hex) => withV(signature, 29), false],
    ['64 bytes', (signature: Hex) => signature.slice(0, 130) as Hex, false],
    ['66 bytes', (signature: Hex) => `${signature}00` as Hex, false],
  ] as const)('%s -> %s', async (_name, map, expected) => {
    const { signature, digest } = await validSignature();
    expect(await recoversTo({ digest, signature: map(signature), address: verifyPayer.address })).toBe(
      expected,
    );
  });

  it('refuses without a digest', async () => {
    const { signature } = await validSignature();
    expect(await recoversTo({ digest: null, signature, address: verifyPayer.address })).toBe(false);
  });
});

describe('ecdsaFormViolation (USDC ECRecover rules)', () => {
  it.each([
    ['a canonical signature', (signature: Hex) => signature, null],
    ['high s', toHighS, 'signature_high_s'],
    ['v = 0 or 1', toYParity, 'signature_invalid_v'],
    ['v = 29', (signature: Hex) => withV(signature, 29), 'signature_invalid_v'],
    [
      'high s and a bad v: s is checked first, as the token does',
      (signature: Hex) => withV(toHighS(signature), 1),
      'signature_high_s',
    ],
    ['not 65 bytes (not an ECDSA signature)', (signature: Hex) => `${signature}00` as Hex, null],
  ] as const)('%s -> %s', async (_name, map, expected) => {
    const { signature } = await validSignature();
    expect(ecdsaFormViolation(map(signature))?.reason ?? null).toBe(expected);
  });
});
