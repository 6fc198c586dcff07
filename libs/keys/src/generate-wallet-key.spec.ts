// Goal: a generated wallet key seals, opens back into a working signer, and refuses to open when
// any byte, binding id or master key is wrong.
import { describe, expect, it } from 'vitest';
import {
  getAddress,
  isAddress,
  parseTransaction,
  recoverMessageAddress,
  recoverTransactionAddress,
  type TransactionSerializedEIP1559,
  verifyTypedData,
} from 'viem';

import { ENVELOPE_VERSION_V1 } from './envelope';
import { generateWalletKey } from './generate-wallet-key';
import { createKeyring } from './keyring';
import {
  buildKek,
  buildKeyring,
  buildScope,
  buildTransferTypedData,
  expectKeysError,
  flipBit,
} from './keys.test-builders';
import { openWalletSigner } from './open-wallet-signer';

// 1 version byte + 12 IV + 32 plaintext + 16 tag, as documented in envelope.ts.
const SEALED_32_BYTES_LENGTH = 61;

describe('generateWalletKey', () => {
  it('returns a checksummed address, two v1 envelopes and the active kek id', () => {
    const keyring = buildKeyring();
    const sealed = generateWalletKey({ keyring, ...buildScope() });
    expect(isAddress(sealed.address, { strict: true })).toBe(true);
    expect(sealed.address).toBe(getAddress(sealed.address));
    expect(sealed.kekId).toBe(keyring.activeKekId);
    for (const ciphertext of [sealed.keyCiphertext, sealed.dataKeyCiphertext]) {
      expect(ciphertext.byteLength).toBe(SEALED_32_BYTES_LENGTH);
      expect(ciphertext[0]).toBe(ENVELOPE_VERSION_V1);
    }
  });

  it('never repeats a key or a ciphertext across wallets of the same org', () => {
    const keyring = buildKeyring();
    const { orgId } = buildScope();
    const wallets = Array.from({ length: 20 }, () =>
      generateWalletKey({ keyring, ...buildScope({ orgId }) }),
    );
    const distinct = (values: string[]): number => new Set(values).size;
    expect(distinct(wallets.map((wallet) => wallet.address))).toBe(20);
    expect(distinct(wallets.map((wallet) => Buffer.from(wallet.keyCiphertext).toString('hex')))).toBe(20);
    expect(distinct(wallets.map((wallet) => Buffer.from(wallet.dataKeyCiphertext).toString('hex')))).toBe(20);
  });

  it.each([
    { scenario: 'empty org id', overrides: { orgId: '' } },
    { scenario: 'empty wallet id', overrides: { walletId: '' } },
    { scenario: 'oversized wallet id', overrides: { walletId: 'w'.repeat(129) } },
  ])('rejects $scenario with wallet_binding_invalid', ({ overrides }) => {
    expectKeysError(
      () => generateWalletKey({ keyring: buildKeyring(), ...buildScope(overrides) }),
      'wallet_binding_invalid',
    );
  });
});

describe('openWalletSigner round trip', () => {
  it('signs EIP-3009 typed data that verifies against the recorded address', async () => {
    const keyring = buildKeyring();
    const scope = buildScope();
    const sealed = generateWalletKey({ keyring, ...scope });
    const signer = openWalletSigner({ keyring, sealed, ...scope });
    expect(signer.address).toBe(sealed.address);
    const typedData = buildTransferTypedData({ from: sealed.address });
    const signature = await signer.signTypedData(typedData);
    await expect(verifyTypedData({ ...typedData, address: sealed.address, signature })).resolves.toBe(true);
  });

  it('signs messages and transactions as the recorded address', async () => {
    const keyring = buildKeyring();
    const scope = buildScope();
    const sealed = generateWalletKey({ keyring, ...scope });
    const signer = openWalletSigner({ keyring, sealed, ...scope });
    const messageSignature = await signer.signMessage({ message: 'proco' });
    await expect(recoverMessageAddress({ message: 'proco', signature: messageSignature })).resolves.toBe(
      sealed.address,
    );
    const serialized = await signer.signTransaction({
      type: 'eip1559',
      chainId: 84532,
      nonce: 0,
      to: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
      value: 1n,
      gas: 21_000n,
      maxFeePerGas: 2n,
      maxPriorityFeePerGas: 1n,
    });
    expect(parseTransaction(serialized).chainId).toBe(84532);
    await expect(
      recoverTransactionAddress({ serializedTransaction: serialized as TransactionSerializedEIP1559 }),
    ).resolves.toBe(sealed.address);
  });

  it('accepts a recorded address in lower case, as plain text read back from storage', () => {
    const keyring = buildKeyring();
    const scope = buildScope();
    const sealed = generateWalletKey({ keyring, ...scope });
    const lowered = { ...sealed, address: sealed.address.toLowerCase() };
    expect(openWalletSigner({ keyring, sealed: lowered, ...scope }).address).toBe(sealed.address);
  });
});

describe('openWalletSigner refusals', () => {
  const keyring = buildKeyring();
  const scope = buildScope();
  const sealed = generateWalletKey({ keyring, ...scope });

  it.each([
    { scenario: 'another org', binding: { orgId: buildScope().orgId, walletId: scope.walletId } },
    {
      scenario: 'another wallet of the same org',
      binding: { orgId: scope.orgId, walletId: buildScope().walletId },
    },
    { scenario: 'org and wallet ids swapped', binding: { orgId: scope.walletId, walletId: scope.orgId } },
    {
      scenario: 'wallet id with different case',
      binding: { orgId: scope.orgId, walletId: scope.walletId.toUpperCase() },
    },
  ])('fails with decryption_failed when opened as $scenario', ({ binding }) => {
    expectKeysError(() => openWalletSigner({ keyring, sealed, ...binding }), 'decryption_failed');
  });

  it('fails with kek_unknown when the keyring lacks the wrapping key', () => {
    expectKeysError(() => openWalletSigner({ keyring: buildKeyring(), sealed, ...scope }), 'kek_unknown');
  });

  it('fails with decryption_failed when the kek id names another key in the keyring', () => {
    const activeKey = buildKek();
    const previousKey = buildKek();
    const rotating = createKeyring({ activeKey, previousKeys: [previousKey] });
    const ownScope = buildScope();
    const own = generateWalletKey({ keyring: rotating, ...ownScope });
    const relabelled = { ...own, kekId: rotating.kekIds[1] ?? '' };
    expectKeysError(
      () => openWalletSigner({ keyring: rotating, sealed: relabelled, ...ownScope }),
      'decryption_failed',
    );
  });

  it('fails with decryption_failed when the two ciphertexts are swapped', () => {
    const swapped = {
      ...sealed,
      keyCiphertext: sealed.dataKeyCiphertext,
      dataKeyCiphertext: sealed.keyCiphertext,
    };
    expectKeysError(() => openWalletSigner({ keyring, sealed: swapped, ...scope }), 'decryption_failed');
  });

  it('fails with decryption_failed when ciphertexts come from another wallet under the same key', () => {
    const otherScope = buildScope({ orgId: scope.orgId });
    const other = generateWalletKey({ keyring, ...otherScope });
    const mixed = [
      { ...sealed, keyCiphertext: other.keyCiphertext },
      { ...sealed, dataKeyCiphertext: other.dataKeyCiphertext },
    ];
    for (const candidate of mixed) {
      expectKeysError(() => openWalletSigner({ keyring, sealed: candidate, ...scope }), 'decryption_failed');
    }
  });

  it('fails with wallet_key_mismatch when the recorded address is another one', () => {
    const other = generateWalletKey({ keyring, ...buildScope() });
    const error = expectKeysError(
      () => openWalletSigner({ keyring, sealed: { ...sealed, address: other.address }, ...scope }),
      'wallet_key_mismatch',
    );
    expect(error.message).toContain(scope.walletId);
  });

  it.each([
    {
      scenario: 'key ciphertext truncated',
      field: 'keyCiphertext',
      change: (bytes: Uint8Array) => bytes.subarray(0, 60),
    },
    {
      scenario: 'key ciphertext extended',
      field: 'keyCiphertext',
      change: (bytes: Uint8Array) => Buffer.concat([bytes, Buffer.alloc(1)]),
    },
    { scenario: 'data key ciphertext empty', field: 'dataKeyCiphertext', change: () => new Uint8Array(0) },
    {
      scenario: 'data key ciphertext from a future version',
      field: 'dataKeyCiphertext',
      change: (bytes: Uint8Array) => Uint8Array.from([2, ...bytes.subarray(1)]),
    },
  ] as const)('fails with ciphertext_invalid when $scenario', ({ field, change }) => {
    const altered = { ...sealed, [field]: change(sealed[field]) };
    expectKeysError(() => openWalletSigner({ keyring, sealed: altered, ...scope }), 'ciphertext_invalid');
  });

  // Every single-bit change must be caught; the version byte is caught by format checks and
  // everything else by GCM authentication.
  it.each([{ field: 'keyCiphertext' }, { field: 'dataKeyCiphertext' }] as const)(
    'rejects every flipped bit of $field',
    ({ field }) => {
      const bits = sealed[field].byteLength * 8;
      for (let bitIndex = 0; bitIndex < bits; bitIndex += 1) {
        const altered = { ...sealed, [field]: flipBit(sealed[field], bitIndex) };
        const expected = bitIndex < 8 ? 'ciphertext_invalid' : 'decryption_failed';
        expectKeysError(() => openWalletSigner({ keyring, sealed: altered, ...scope }), expected);
      }
    },
  );
});
