// Goal: master keys are validated, get stable non-secret ids, and cannot be read off a keyring.
import { inspect } from 'node:util';

import { describe, expect, it } from 'vitest';

import { KEK_LENGTH_BYTES, createKeyring, deriveKekId, getKekBytes } from './keyring';
import { buildKek, buildKeyring, expectKeysError } from './keys.test-builders';

describe('createKeyring', () => {
  it.each([
    { scenario: 'empty active key', activeLength: 0, previousLengths: [] },
    { scenario: 'AES-128 sized active key', activeLength: 16, previousLengths: [] },
    { scenario: 'active key one byte short', activeLength: 31, previousLengths: [] },
    { scenario: 'active key one byte long', activeLength: 33, previousLengths: [] },
    { scenario: 'hex text mistaken for bytes', activeLength: 64, previousLengths: [] },
    { scenario: 'valid active, short previous key', activeLength: 32, previousLengths: [32, 31] },
  ])('rejects $scenario with kek_invalid', ({ activeLength, previousLengths }) => {
    const error = expectKeysError(
      () =>
        createKeyring({
          activeKey: new Uint8Array(activeLength).fill(7),
          previousKeys: previousLengths.map((length, index) => new Uint8Array(length).fill(index + 8)),
        }),
      'kek_invalid',
    );
    expect(error.message).toMatch(/expected 32/);
  });

  it('rejects more keys than a rotation needs with kek_invalid', () => {
    expectKeysError(
      () =>
        createKeyring({ activeKey: buildKek(), previousKeys: Array.from({ length: 16 }, () => buildKek()) }),
      'kek_invalid',
    );
  });

  it.each([
    { scenario: 'the active key repeated as a previous key', duplicateOfActive: true },
    { scenario: 'the same previous key twice', duplicateOfActive: false },
  ])('rejects $scenario with kek_duplicate', ({ duplicateOfActive }) => {
    const activeKey = buildKek();
    const previous = buildKek();
    const previousKeys = duplicateOfActive ? [Buffer.from(activeKey)] : [previous, Buffer.from(previous)];
    expectKeysError(() => createKeyring({ activeKey, previousKeys }), 'kek_duplicate');
  });

  it('lists the active id first, then previous ids in order', () => {
    const [active, older, oldest] = [buildKek(), buildKek(), buildKek()];
    const keyring = createKeyring({ activeKey: active, previousKeys: [older, oldest] });
    expect(keyring.activeKekId).toBe(deriveKekId({ key: active }));
    expect(keyring.kekIds).toEqual([active, older, oldest].map((key) => deriveKekId({ key })));
  });

  it('copies key bytes, so zeroing the caller buffer does not change the keyring', () => {
    const activeKey = buildKek();
    const original = Buffer.from(activeKey);
    const keyring = createKeyring({ activeKey });
    activeKey.fill(0);
    expect(getKekBytes({ keyring, kekId: keyring.activeKekId }).equals(original)).toBe(true);
  });

  it('reports kek_unknown for an id it does not hold', () => {
    expectKeysError(() => getKekBytes({ keyring: buildKeyring(), kekId: '0123456789abcdef' }), 'kek_unknown');
  });

  it('does not expose key bytes through JSON, inspect or its properties', () => {
    const activeKey = buildKek();
    const keyring = createKeyring({ activeKey, previousKeys: [buildKek()] });
    const renderings = [
      JSON.stringify(keyring),
      inspect(keyring, { showHidden: true, depth: 10 }),
      // String() is part of what is checked, even though a keyring has no custom toString.
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      String(keyring),
    ];
    for (const rendering of renderings) {
      expect(rendering).not.toContain(activeKey.toString('hex'));
      expect(rendering).not.toContain(activeKey.toString('base64'));
    }
    expect(Object.keys(keyring).sort()).toEqual(['activeKekId', 'kekIds']);
  });
});

describe('deriveKekId', () => {
  it('is 16 lowercase hex characters and stable for the same key', () => {
    const key = buildKek();
    const kekId = deriveKekId({ key });
    expect(kekId).toMatch(/^[0-9a-f]{16}$/);
    expect(deriveKekId({ key: Buffer.from(key) })).toBe(kekId);
  });

  it('differs between keys', () => {
    expect(deriveKekId({ key: buildKek() })).not.toBe(deriveKekId({ key: buildKek() }));
  });

  it('matches the documented HMAC-SHA256 derivation for a fixed key', () => {
    // A known-answer vector, so a refactor cannot silently change every stored kek_id.
    const key = new Uint8Array(KEK_LENGTH_BYTES).fill(1);
    // Computed once with: createHmac('sha256', key).update('proco-kek-id-v1').digest('hex').slice(0, 16)
    expect(deriveKekId({ key })).toBe('7f529d4b4f48c232');
  });
});
