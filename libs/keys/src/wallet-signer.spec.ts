// Goal (canary for invariant 5): nothing a caller can do with a signer, short of signing,
// reveals the private key: not its properties, JSON, inspect, String(), nor any error it throws.
import { createDecipheriv } from 'node:crypto';
import { inspect } from 'node:util';

import { describe, expect, it } from 'vitest';

import { generateWalletKey } from './generate-wallet-key';
import { createKeyring } from './keyring';
import { KeysError } from './keys.errors';
import { buildKek, buildScope, buildTransferTypedData, type WalletScope } from './keys.test-builders';
import { openWalletSigner } from './open-wallet-signer';
import type { SealedWalletKey } from './sealed-wallet-key';
import { WALLET_SIGNER_SOURCE } from './wallet-signer';

// Decrypts the way envelope.ts documents the v1 format, with nothing but node:crypto, so the
// test both checks the documented format and obtains the key without a test-only export.
function decryptV1(params: { key: Uint8Array; envelope: Uint8Array; associatedData: string }): Buffer {
  const envelope = Buffer.from(params.envelope);
  expect(envelope[0]).toBe(1);
  const iv = envelope.subarray(1, 13);
  const tag = envelope.subarray(envelope.length - 16);
  const body = envelope.subarray(13, envelope.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', params.key, iv);
  decipher.setAAD(Buffer.from(params.associatedData, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]);
}

function revealPrivateKey(params: { kek: Uint8Array; sealed: SealedWalletKey; scope: WalletScope }): Buffer {
  const aad = (purpose: string): string =>
    JSON.stringify(['proco-keys', '1', purpose, params.scope.orgId, params.scope.walletId]);
  const dataKey = decryptV1({
    key: params.kek,
    envelope: params.sealed.dataKeyCiphertext,
    associatedData: aad('wallet_data_key'),
  });
  return decryptV1({
    key: dataKey,
    envelope: params.sealed.keyCiphertext,
    associatedData: aad('wallet_private_key'),
  });
}

function leakNeedles(privateKey: Buffer): string[] {
  const hex = privateKey.toString('hex');
  return [
    hex,
    hex.toUpperCase(),
    `0x${hex}`,
    privateKey.toString('base64'),
    privateKey.toString('base64url'),
  ];
}

function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 16 && current !== undefined; depth += 1) {
    parts.push(inspect(current, { depth: 10, showHidden: true }));
    if (current instanceof Error) parts.push(current.message, current.stack ?? '', JSON.stringify(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

function setup() {
  const kek = buildKek();
  const keyring = createKeyring({ activeKey: kek });
  const scope = buildScope();
  const sealed = generateWalletKey({ keyring, ...scope });
  const privateKey = revealPrivateKey({ kek, sealed, scope });
  return { keyring, scope, sealed, needles: leakNeedles(privateKey) };
}

function expectNoLeak(rendering: string, needles: string[]): void {
  for (const needle of needles) expect(rendering).not.toContain(needle);
}

describe('wallet signer key hygiene', () => {
  it('decrypts by the documented format to a key viem would accept (sanity of the canary)', () => {
    const { needles } = setup();
    expect(needles[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('renders only the address through JSON.stringify, util.inspect and String()', () => {
    const { keyring, scope, sealed, needles } = setup();
    const signer = openWalletSigner({ keyring, sealed, ...scope });
    const renderings = {
      json: JSON.stringify(signer),
      jsonNested: JSON.stringify({ signer }),
      inspect: inspect(signer, { showHidden: true, depth: 20, getters: true }),
      inspectNested: inspect({ signer }, { showHidden: true, depth: 20 }),
      // The signer defines a non-enumerable toString that the type does not declare.
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      string: String(signer),
      template: `${signer as unknown as string}`,
    };
    for (const rendering of Object.values(renderings)) {
      expectNoLeak(rendering, needles);
      expect(rendering).toContain(sealed.address);
    }
    expect(JSON.parse(renderings.json)).toEqual({ type: 'wallet_signer', address: sealed.address });
  });

  it('exposes only the address, the public key and signing methods as properties', () => {
    const { keyring, scope, sealed, needles } = setup();
    const signer = openWalletSigner({ keyring, sealed, ...scope });
    expect(Object.keys(signer).sort()).toEqual(
      ['address', 'publicKey', 'signMessage', 'signTransaction', 'signTypedData', 'source', 'type'].sort(),
    );
    expect(signer.source).toBe(WALLET_SIGNER_SOURCE);
    for (const key of Reflect.ownKeys(signer)) {
      const value: unknown = Reflect.get(signer, key);
      expectNoLeak(typeof value === 'function' ? value.toString() : String(value), needles);
    }
    expect(Object.isFrozen(signer)).toBe(true);
    expect('sign' in signer).toBe(false);
    expect('signAuthorization' in signer).toBe(false);
  });

  it('keeps the key out of signing errors', async () => {
    const { keyring, scope, sealed, needles } = setup();
    const signer = openWalletSigner({ keyring, sealed, ...scope });
    const invalidTypedData = buildTransferTypedData({ verifyingContract: '0xnot-an-address' });
    const thrown: unknown = await signer.signTypedData(invalidTypedData).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(KeysError);
    expect((thrown as KeysError).code).toBe('signing_failed');
    // viem's own validation error is kept as the cause, because it holds only the caller's input.
    expect((thrown as KeysError).cause).toBeDefined();
    expectNoLeak(errorText(thrown), needles);
  });

  it('keeps the key out of open errors, including wallet_key_mismatch', () => {
    const { keyring, scope, sealed, needles } = setup();
    const other = generateWalletKey({ keyring, ...buildScope() });
    const attempts = [
      () => openWalletSigner({ keyring, sealed: { ...sealed, address: other.address }, ...scope }),
      () => openWalletSigner({ keyring, sealed, ...buildScope() }),
      () => openWalletSigner({ keyring, sealed: { ...sealed, kekId: 'ffffffffffffffff' }, ...scope }),
    ];
    for (const attempt of attempts) {
      let thrown: unknown;
      try {
        attempt();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(KeysError);
      expectNoLeak(errorText(thrown), needles);
    }
  });
});
