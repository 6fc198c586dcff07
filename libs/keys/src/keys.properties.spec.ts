// Goal: property-based evidence that sealing binds to exactly one (org, wallet) pair, that any
// single-bit change is rejected, and that any keyring holding the wrapping key can open a wallet.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { generateWalletKey } from './generate-wallet-key';
import { createKeyring, deriveKekId } from './keyring';
import { KeysError } from './keys.errors';
import { buildKeyring, flipBit } from './keys.test-builders';
import { openWalletSigner } from './open-wallet-signer';
import { rewrapDataKey } from './rewrap-data-key';

// Opening derives a public key on each run; these counts keep the suite under a few seconds.
const PROPERTY_RUNS = 60;

const bindingId = fc
  .string({ minLength: 1, maxLength: 128, unit: 'grapheme' })
  .filter((id) => id.length <= 128);
const scope = fc.record({ orgId: bindingId, walletId: bindingId });
const kek = fc.uint8Array({ minLength: 32, maxLength: 32 });

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof KeysError ? error.code : 'not_a_keys_error';
  }
}

describe('keys properties', () => {
  const keyring = buildKeyring();

  it('opens with the same ids and fails with any other ids', () => {
    fc.assert(
      fc.property(scope, scope, (sealedFor, openedAs) => {
        const sealed = generateWalletKey({ keyring, ...sealedFor });
        expect(openWalletSigner({ keyring, sealed, ...sealedFor }).address).toBe(sealed.address);
        const same = sealedFor.orgId === openedAs.orgId && sealedFor.walletId === openedAs.walletId;
        const code = codeOf(() => openWalletSigner({ keyring, sealed, ...openedAs }));
        expect(code).toBe(same ? undefined : 'decryption_failed');
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('rejects any single flipped bit in either ciphertext', () => {
    const ids = { orgId: 'org', walletId: 'wallet' };
    const sealed = generateWalletKey({ keyring, ...ids });
    const field = fc.constantFrom('keyCiphertext' as const, 'dataKeyCiphertext' as const);
    fc.assert(
      fc.property(field, fc.nat({ max: sealed.keyCiphertext.byteLength * 8 - 1 }), (name, bitIndex) => {
        const altered = { ...sealed, [name]: flipBit(sealed[name], bitIndex) };
        const code = codeOf(() => openWalletSigner({ keyring, sealed: altered, ...ids }));
        expect(['ciphertext_invalid', 'decryption_failed']).toContain(code);
      }),
      { numRuns: PROPERTY_RUNS * 5 },
    );
  });

  it('opens with any keyring that holds the wrapping key and fails with kek_unknown otherwise', () => {
    const distinctKeks = fc.uniqueArray(kek, {
      minLength: 2,
      maxLength: 6,
      selector: (bytes) => Buffer.from(bytes).toString('hex'),
    });
    fc.assert(
      fc.property(distinctKeks, fc.nat(), fc.nat(), (keks, wrapIndexSeed, readerIndexSeed) => {
        const [wrapping, ...others] = keks;
        if (wrapping === undefined) return;
        const ids = { orgId: 'org', walletId: `wallet-${wrapIndexSeed}` };
        const sealed = generateWalletKey({ keyring: createKeyring({ activeKey: wrapping }), ...ids });
        expect(sealed.kekId).toBe(deriveKekId({ key: wrapping }));

        // Place the wrapping key at any position of a reader keyring, active or previous.
        const position = readerIndexSeed % keks.length;
        const ordered = [...others.slice(0, position), wrapping, ...others.slice(position)];
        const [activeKey, ...previousKeys] = ordered;
        if (activeKey === undefined) return;
        const reader = createKeyring({ activeKey, previousKeys });
        expect(openWalletSigner({ keyring: reader, sealed, ...ids }).address).toBe(sealed.address);

        const [firstOther, ...restOthers] = others;
        if (firstOther === undefined) return;
        const stranger = createKeyring({ activeKey: firstOther, previousKeys: restOthers });
        expect(codeOf(() => openWalletSigner({ keyring: stranger, sealed, ...ids }))).toBe('kek_unknown');

        // Rewrapping under the reader's active key keeps the wallet openable by the reader.
        const rewrapped = { ...sealed, ...rewrapDataKey({ keyring: reader, sealed, ...ids }) };
        expect(rewrapped.kekId).toBe(reader.activeKekId);
        expect(openWalletSigner({ keyring: reader, sealed: rewrapped, ...ids }).address).toBe(sealed.address);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });
});
