// Goal: master-key rotation moves data keys to the new key without touching wallet keys, and
// readers keep working with either keyring during and after the rotation.
import { describe, expect, it } from 'vitest';

import { generateWalletKey } from './generate-wallet-key';
import { createKeyring } from './keyring';
import { buildKek, buildKeyring, buildScope, expectKeysError } from './keys.test-builders';
import { openWalletSigner } from './open-wallet-signer';
import { rewrapDataKey } from './rewrap-data-key';

function rotationFixture() {
  const oldKey = buildKek();
  const newKey = buildKek();
  const before = createKeyring({ activeKey: oldKey });
  const during = createKeyring({ activeKey: newKey, previousKeys: [oldKey] });
  const after = createKeyring({ activeKey: newKey });
  const scope = buildScope();
  const sealed = generateWalletKey({ keyring: before, ...scope });
  return { before, during, after, scope, sealed };
}

describe('rewrapDataKey', () => {
  it('moves the data key to the new active key and keeps the wallet key ciphertext', () => {
    const { before, during, scope, sealed } = rotationFixture();
    const rewrapped = rewrapDataKey({ keyring: during, sealed, ...scope });
    expect(rewrapped.kekId).toBe(during.activeKekId);
    expect(rewrapped.kekId).not.toBe(before.activeKekId);
    expect(Buffer.from(rewrapped.dataKeyCiphertext).equals(Buffer.from(sealed.dataKeyCiphertext))).toBe(
      false,
    );
  });

  it.each([
    { scenario: 'the rotation keyring holding both keys', keyringName: 'during' },
    { scenario: 'a keyring holding only the new key', keyringName: 'after' },
  ] as const)('opens a rewrapped wallet with $scenario', async ({ keyringName }) => {
    const fixture = rotationFixture();
    const { scope, sealed } = fixture;
    const rewrapped = { ...sealed, ...rewrapDataKey({ keyring: fixture.during, sealed, ...scope }) };
    const signer = openWalletSigner({ keyring: fixture[keyringName], sealed: rewrapped, ...scope });
    expect(signer.address).toBe(sealed.address);
    await expect(signer.signMessage({ message: 'rotated' })).resolves.toMatch(/^0x[0-9a-f]{130}$/);
  });

  it('still opens a not-yet-rewrapped wallet during the rotation', () => {
    const { during, scope, sealed } = rotationFixture();
    expect(openWalletSigner({ keyring: during, sealed, ...scope }).address).toBe(sealed.address);
  });

  it('fails with kek_unknown for a not-yet-rewrapped wallet once the old key is gone', () => {
    const { after, scope, sealed } = rotationFixture();
    expectKeysError(() => openWalletSigner({ keyring: after, sealed, ...scope }), 'kek_unknown');
    expectKeysError(() => rewrapDataKey({ keyring: after, sealed, ...scope }), 'kek_unknown');
  });

  it('fails with decryption_failed when rewrapping under the wrong wallet binding', () => {
    const { during, scope, sealed } = rotationFixture();
    expectKeysError(
      () => rewrapDataKey({ keyring: during, sealed, orgId: scope.orgId, walletId: buildScope().walletId }),
      'decryption_failed',
    );
  });

  it('binds the rewrapped data key to the same wallet', () => {
    const { during, scope, sealed } = rotationFixture();
    const rewrapped = { ...sealed, ...rewrapDataKey({ keyring: during, sealed, ...scope }) };
    expectKeysError(
      () =>
        openWalletSigner({ keyring: during, sealed: rewrapped, ...buildScope({ walletId: scope.walletId }) }),
      'decryption_failed',
    );
  });

  it('produces a fresh ciphertext when the data key is already under the active key', () => {
    const keyring = buildKeyring();
    const scope = buildScope();
    const sealed = generateWalletKey({ keyring, ...scope });
    const rewrapped = rewrapDataKey({ keyring, sealed, ...scope });
    expect(rewrapped.kekId).toBe(sealed.kekId);
    expect(Buffer.from(rewrapped.dataKeyCiphertext).equals(Buffer.from(sealed.dataKeyCiphertext))).toBe(
      false,
    );
    expect(openWalletSigner({ keyring, sealed: { ...sealed, ...rewrapped }, ...scope }).address).toBe(
      sealed.address,
    );
  });
});
