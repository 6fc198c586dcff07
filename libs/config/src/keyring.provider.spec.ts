// Goal: the keyring provider leaves no copy of a master key behind: every byte array `reveal()`
// handed out is zeroed, and the keyring still holds the real keys (createKeyring copied them).
import { randomBytes, randomUUID } from 'node:crypto';
import { type ProcoConfig } from './load-config';
import { SecretBytes } from './secret-bytes';
import { createKeyring, generateWalletKey, openWalletSigner } from '@proco/keys';
import { describe, expect, it, vi } from 'vitest';
import { keyringProvider } from './keyring.provider';

function configWith(active: SecretBytes, previous: SecretBytes[]): ProcoConfig {
  return { masterKeys: { active, previous } } as unknown as ProcoConfig;
}

describe('keyringProvider', () => {
  it('zeroes every revealed copy and keeps working keys', () => {
    const activeBytes = randomBytes(32);
    const previousBytes = randomBytes(32);
    const active = new SecretBytes(activeBytes);
    const previous = new SecretBytes(previousBytes);
    const revealed: Uint8Array[] = [];
    for (const secret of [active, previous]) {
      const reveal = secret.reveal.bind(secret);
      vi.spyOn(secret, 'reveal').mockImplementation(() => {
        const copy = reveal();
        revealed.push(copy);
        return copy;
      });
    }

    const keyring = keyringProvider.useFactory(configWith(active, [previous]));

    expect(revealed).toHaveLength(2);
    for (const copy of revealed) expect(copy.every((byte) => byte === 0)).toBe(true);
    // A key sealed by the provider's keyring opens with a keyring built from the original bytes,
    // so the keyring kept its own copy of the real key, not the zeroed one.
    const orgId = randomUUID();
    const walletId = randomUUID();
    const sealed = generateWalletKey({ keyring, orgId, walletId });
    const reference = createKeyring({ activeKey: activeBytes, previousKeys: [previousBytes] });
    expect(keyring.kekIds).toEqual(reference.kekIds);
    expect(openWalletSigner({ keyring: reference, sealed, orgId, walletId }).address).toBe(sealed.address);
  });

  it('zeroes the copies when createKeyring refuses the keys', () => {
    const active = new SecretBytes(randomBytes(32));
    const revealed: Uint8Array[] = [];
    const reveal = active.reveal.bind(active);
    vi.spyOn(active, 'reveal').mockImplementation(() => {
      const copy = reveal();
      revealed.push(copy);
      return copy;
    });
    // The same key twice is a kek_duplicate error.
    expect(() => keyringProvider.useFactory(configWith(active, [active]))).toThrow();
    expect(revealed).toHaveLength(2);
    for (const copy of revealed) expect(copy.every((byte) => byte === 0)).toBe(true);
  });
});
