// Goal: a sealed secret opens only with the purpose, org id, id and master key it was sealed
// under; any single flipped bit, swapped ciphertext or wallet ciphertext is refused; rewrapping
// moves it to the active master key without changing the secret.
import { createDecipheriv, randomBytes, randomUUID } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ENVELOPE_VERSION_V1 } from './envelope';
import { generateWalletKey } from './generate-wallet-key';
import { createKeyring } from './keyring';
import { KeysError } from './keys.errors';
import { buildKek, buildKeyring, expectKeysError, flipBit } from './keys.test-builders';
import { openSecret, rewrapSecret, SECRET_LENGTH_MAX_BYTES, sealSecret } from './seal-secret';
import type { SecretPurpose, SecretScope } from './secret-binding';

const PURPOSE: SecretPurpose = 'receipt_signing_key';
// Each run performs a handful of AES-GCM operations; this keeps the suite well under a second.
const PROPERTY_RUNS = 200;

function buildSecretScope(overrides: Partial<SecretScope> = {}): SecretScope {
  return { orgId: overrides.orgId ?? 'system', id: overrides.id ?? randomUUID() };
}

function buildPlaintext(lengthBytes = 180): Buffer {
  return randomBytes(lengthBytes);
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof KeysError ? error.code : 'not_a_keys_error';
  }
}

// Decrypts a v1 envelope with node:crypto alone, so the spec checks the documented format.
function decryptV1(params: { key: Uint8Array; envelope: Uint8Array; associatedData: string }): Buffer {
  const envelope = Buffer.from(params.envelope);
  const decipher = createDecipheriv('aes-256-gcm', params.key, envelope.subarray(1, 13));
  decipher.setAAD(Buffer.from(params.associatedData, 'utf8'));
  decipher.setAuthTag(envelope.subarray(envelope.length - 16));
  return Buffer.concat([decipher.update(envelope.subarray(13, envelope.length - 16)), decipher.final()]);
}

describe('sealSecret and openSecret round trip', () => {
  it.each([
    { scenario: 'one byte', lengthBytes: 1 },
    { scenario: 'a private JWK', lengthBytes: 180 },
    { scenario: 'the largest secret', lengthBytes: SECRET_LENGTH_MAX_BYTES },
  ])('opens $scenario back to the same bytes', ({ lengthBytes }) => {
    const keyring = buildKeyring();
    const scope = buildSecretScope();
    const plaintext = buildPlaintext(lengthBytes);
    const sealed = sealSecret({ keyring, purpose: PURPOSE, scope, plaintext });
    expect(sealed.kekId).toBe(keyring.activeKekId);
    expect(sealed.ciphertext[0]).toBe(ENVELOPE_VERSION_V1);
    expect(sealed.ciphertext.byteLength).toBe(1 + 12 + lengthBytes + 16);
    expect(sealed.dataKeyCiphertext.byteLength).toBe(61);
    expect(openSecret({ keyring, purpose: PURPOSE, scope, sealed }).equals(plaintext)).toBe(true);
  });

  it('never carries a secret of meaningful length in the clear', () => {
    // (A one-byte secret is found in 29 random bytes about one time in nine, by chance alone.)
    for (const lengthBytes of [32, 180, SECRET_LENGTH_MAX_BYTES]) {
      const plaintext = buildPlaintext(lengthBytes);
      const sealed = sealSecret({
        keyring: buildKeyring(),
        purpose: PURPOSE,
        scope: buildSecretScope(),
        plaintext,
      });
      expect(Buffer.from(sealed.ciphertext).includes(plaintext)).toBe(false);
    }
  });

  it('follows the documented associated data, so an auditor can decrypt with node:crypto alone', () => {
    const kek = buildKek();
    const keyring = createKeyring({ activeKey: kek });
    const scope = buildSecretScope();
    const plaintext = buildPlaintext();
    const sealed = sealSecret({ keyring, purpose: PURPOSE, scope, plaintext });
    const aad = (purpose: string): string =>
      JSON.stringify(['proco-keys', '1', purpose, scope.orgId, scope.id]);
    const dataKey = decryptV1({
      key: kek,
      envelope: sealed.dataKeyCiphertext,
      associatedData: aad('receipt_signing_data_key'),
    });
    const opened = decryptV1({ key: dataKey, envelope: sealed.ciphertext, associatedData: aad(PURPOSE) });
    expect(opened.equals(plaintext)).toBe(true);
  });

  it('never repeats a ciphertext for the same secret and scope', () => {
    const keyring = buildKeyring();
    const scope = buildSecretScope();
    const plaintext = buildPlaintext();
    const first = sealSecret({ keyring, purpose: PURPOSE, scope, plaintext });
    const second = sealSecret({ keyring, purpose: PURPOSE, scope, plaintext });
    expect(Buffer.from(first.ciphertext).equals(Buffer.from(second.ciphertext))).toBe(false);
    expect(Buffer.from(first.dataKeyCiphertext).equals(Buffer.from(second.dataKeyCiphertext))).toBe(false);
  });
});

describe('sealSecret refusals', () => {
  it.each([
    { scenario: 'an empty org id', scope: { orgId: '', id: 'k' }, plaintextLength: 8 },
    { scenario: 'an empty id', scope: { orgId: 'system', id: '' }, plaintextLength: 8 },
    { scenario: 'an oversized id', scope: { orgId: 'system', id: 'k'.repeat(129) }, plaintextLength: 8 },
    { scenario: 'an empty secret', scope: { orgId: 'system', id: 'k' }, plaintextLength: 0 },
    {
      scenario: 'an oversized secret',
      scope: { orgId: 'system', id: 'k' },
      plaintextLength: SECRET_LENGTH_MAX_BYTES + 1,
    },
  ])('rejects $scenario with secret_binding_invalid', ({ scope, plaintextLength }) => {
    expectKeysError(
      () =>
        sealSecret({
          keyring: buildKeyring(),
          purpose: PURPOSE,
          scope,
          plaintext: buildPlaintext(plaintextLength),
        }),
      'secret_binding_invalid',
    );
  });

  it('rejects a purpose it does not know, as a value read back from storage could be', () => {
    const purpose = 'wallet_private_key' as SecretPurpose;
    expectKeysError(
      () =>
        sealSecret({
          keyring: buildKeyring(),
          purpose,
          scope: buildSecretScope(),
          plaintext: buildPlaintext(),
        }),
      'secret_binding_invalid',
    );
  });
});

describe('openSecret refusals', () => {
  const keyring = buildKeyring();
  const scope = buildSecretScope();
  const plaintext = buildPlaintext();
  const sealed = sealSecret({ keyring, purpose: PURPOSE, scope, plaintext });

  it.each([
    { scenario: 'another id', openedAs: { orgId: scope.orgId, id: randomUUID() } },
    { scenario: 'another org', openedAs: { orgId: randomUUID(), id: scope.id } },
    { scenario: 'org and id swapped', openedAs: { orgId: scope.id, id: scope.orgId } },
  ])('fails with decryption_failed when opened as $scenario', ({ openedAs }) => {
    expectKeysError(
      () => openSecret({ keyring, purpose: PURPOSE, scope: openedAs, sealed }),
      'decryption_failed',
    );
  });

  it('fails with kek_unknown when the keyring lacks the wrapping key', () => {
    expectKeysError(
      () => openSecret({ keyring: buildKeyring(), purpose: PURPOSE, scope, sealed }),
      'kek_unknown',
    );
  });

  it('fails when the two ciphertexts are swapped', () => {
    const swapped = { ...sealed, ciphertext: sealed.dataKeyCiphertext, dataKeyCiphertext: sealed.ciphertext };
    expect(['ciphertext_invalid', 'decryption_failed']).toContain(
      codeOf(() => openSecret({ keyring, purpose: PURPOSE, scope, sealed: swapped })),
    );
  });

  it('refuses a wallet key sealed under the same master key and ids', () => {
    const wallet = generateWalletKey({ keyring, orgId: scope.orgId, walletId: scope.id });
    const asSecret = {
      ciphertext: wallet.keyCiphertext,
      dataKeyCiphertext: wallet.dataKeyCiphertext,
      kekId: wallet.kekId,
    };
    expectKeysError(
      () => openSecret({ keyring, purpose: PURPOSE, scope, sealed: asSecret }),
      'decryption_failed',
    );
  });

  it.each([
    { scenario: 'truncated to the envelope overhead', change: (bytes: Uint8Array) => bytes.subarray(0, 29) },
    {
      scenario: 'longer than the largest secret',
      change: () => new Uint8Array(29 + SECRET_LENGTH_MAX_BYTES + 1),
    },
    {
      scenario: 'with an unknown version byte',
      change: (bytes: Uint8Array) => Uint8Array.from([0x02, ...bytes.subarray(1)]),
    },
  ])('fails with ciphertext_invalid when the secret ciphertext is $scenario', ({ change }) => {
    const altered = { ...sealed, ciphertext: change(sealed.ciphertext) };
    expectKeysError(
      () => openSecret({ keyring, purpose: PURPOSE, scope, sealed: altered }),
      'ciphertext_invalid',
    );
  });

  it('rejects any single flipped bit in either ciphertext', () => {
    const field = fc.constantFrom('ciphertext' as const, 'dataKeyCiphertext' as const);
    fc.assert(
      fc.property(field, fc.nat({ max: 60 * 8 - 1 }), (name, bitIndex) => {
        const altered = { ...sealed, [name]: flipBit(sealed[name], bitIndex) };
        const code = codeOf(() => openSecret({ keyring, purpose: PURPOSE, scope, sealed: altered }));
        expect(['ciphertext_invalid', 'decryption_failed']).toContain(code);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });
});

describe('rewrapSecret', () => {
  it('moves the data key to the active master key; the old keyring can no longer open it', () => {
    const oldKek = buildKek();
    const newKek = buildKek();
    const before = createKeyring({ activeKey: oldKek });
    const rotating = createKeyring({ activeKey: newKek, previousKeys: [oldKek] });
    const scope = buildSecretScope();
    const plaintext = buildPlaintext();
    const sealed = sealSecret({ keyring: before, purpose: PURPOSE, scope, plaintext });
    const rewrapped = rewrapSecret({ keyring: rotating, purpose: PURPOSE, scope, sealed });
    expect(rewrapped.kekId).toBe(rotating.activeKekId);
    const next = { ...sealed, ...rewrapped };
    const onlyNew = createKeyring({ activeKey: newKek });
    expect(openSecret({ keyring: onlyNew, purpose: PURPOSE, scope, sealed: next }).equals(plaintext)).toBe(
      true,
    );
    expectKeysError(
      () => openSecret({ keyring: before, purpose: PURPOSE, scope, sealed: next }),
      'kek_unknown',
    );
  });

  it('refuses to rewrap under another scope', () => {
    const keyring = buildKeyring();
    const scope = buildSecretScope();
    const sealed = sealSecret({ keyring, purpose: PURPOSE, scope, plaintext: buildPlaintext() });
    expectKeysError(
      () => rewrapSecret({ keyring, purpose: PURPOSE, scope: buildSecretScope(), sealed }),
      'decryption_failed',
    );
  });
});
