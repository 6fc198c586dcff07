// Test data builders for the @proco/keys specs: keyrings, wallet scopes and typed data, each
// with overrides. Not exported from the package entry point.
import { randomBytes, randomUUID } from 'node:crypto';

import type { TypedDataDefinition } from 'viem';
import { expect } from 'vitest';

import { type Keyring, createKeyring } from './keyring';
import { type KeysErrorCode, KeysError } from './keys.errors';

export type WalletScope = { orgId: string; walletId: string };

export function buildKek(): Buffer {
  return randomBytes(32);
}

export function buildKeyring(
  overrides: { activeKey?: Uint8Array; previousKeys?: Uint8Array[] } = {},
): Keyring {
  return createKeyring({
    activeKey: overrides.activeKey ?? buildKek(),
    previousKeys: overrides.previousKeys ?? [],
  });
}

export function buildScope(overrides: Partial<WalletScope> = {}): WalletScope {
  return { orgId: overrides.orgId ?? randomUUID(), walletId: overrides.walletId ?? randomUUID() };
}

/** An EIP-3009 TransferWithAuthorization message, the shape x402 payments sign. */
export function buildTransferTypedData(
  overrides: { from?: `0x${string}`; verifyingContract?: `0x${string}` } = {},
): TypedDataDefinition {
  return {
    domain: {
      name: 'USDC',
      version: '2',
      chainId: 84532,
      verifyingContract: overrides.verifyingContract ?? '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
    },
    types: {
      TransferWithAuthorization: [
        { name: 'from', type: 'address' },
        { name: 'to', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'validAfter', type: 'uint256' },
        { name: 'validBefore', type: 'uint256' },
        { name: 'nonce', type: 'bytes32' },
      ],
    },
    primaryType: 'TransferWithAuthorization',
    message: {
      from: overrides.from ?? '0x0000000000000000000000000000000000000001',
      to: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
      value: 10_000n,
      validAfter: 0n,
      validBefore: 1_900_000_000n,
      nonce: `0x${'ab'.repeat(32)}`,
    },
  };
}

/** Runs `run` and asserts it throws a `KeysError` with `code`; returns the error for more checks. */
export function expectKeysError(run: () => unknown, code: KeysErrorCode): KeysError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(KeysError);
  const error = thrown as KeysError;
  expect(error.code).toBe(code);
  return error;
}

/** Returns a copy of `bytes` with one bit inverted. */
export function flipBit(bytes: Uint8Array, bitIndex: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const byteIndex = Math.floor(bitIndex / 8);
  copy[byteIndex] = (copy[byteIndex] ?? 0) ^ (1 << (bitIndex % 8));
  return copy;
}
