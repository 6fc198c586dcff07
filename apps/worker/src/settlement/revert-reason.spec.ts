// Goal: a token's revert string maps to the reason the reference facilitator gives for it, and
// anything unreadable is a plain failed transaction, never a guessed cause.
import { encodeErrorResult, type Hex, parseAbi } from 'viem';
import { describe, expect, it } from 'vitest';
import { failureReasonOf, revertMessageOf } from './revert-reason';

const errorString = (message: string): Hex =>
  encodeErrorResult({ abi: parseAbi(['error Error(string)']), errorName: 'Error', args: [message] });

describe('revertMessageOf', () => {
  it("reads an Error(string) revert's message", () => {
    expect(revertMessageOf(errorString('FiatTokenV2: authorization is expired'))).toBe(
      'FiatTokenV2: authorization is expired',
    );
  });

  it.each<[string, Hex]>([
    ['empty revert data', '0x'],
    [
      'a custom error',
      encodeErrorResult({ abi: parseAbi(['error Nope(uint256)']), errorName: 'Nope', args: [1n] }),
    ],
    ['garbage', '0xdeadbeef'],
  ])('gives null for %s', (_label, data) => {
    expect(revertMessageOf(data)).toBeNull();
  });
});

describe('failureReasonOf', () => {
  it.each([
    ['FiatTokenV2: authorization is expired', 'invalid_exact_evm_payload_authorization_valid_before'],
    ['FiatTokenV2: authorization is not yet valid', 'invalid_exact_evm_payload_authorization_valid_after'],
    ['FiatTokenV2: authorization is used or canceled', 'invalid_exact_evm_nonce_already_used'],
    ['ERC20: transfer amount exceeds balance', 'invalid_exact_evm_insufficient_balance'],
    ['FiatTokenV2: invalid signature', 'invalid_exact_evm_signature'],
    ['Pausable: paused', 'invalid_exact_evm_transaction_failed'],
  ])('maps %j to %s', (message, reason) => {
    expect(failureReasonOf(message)).toBe(reason);
  });

  it('calls an unreadable revert a failed transaction', () => {
    expect(failureReasonOf(null)).toBe('invalid_exact_evm_transaction_failed');
  });
});
