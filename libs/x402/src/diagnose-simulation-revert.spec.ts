// Goal: a reverted simulation is explained in the reference facilitator's order from the token's
// answers, and a read that failed explains nothing.
import { describe, expect, it } from 'vitest';

import {
  diagnoseSimulationRevert,
  type ContractReading,
  type SimulationRevertReadings,
} from './diagnose-simulation-revert';

const ok = <Value>(value: Value): ContractReading<Value> => ({ status: 'success', value });
const failed = { status: 'failure' } as const;

function readings(overrides: Partial<SimulationRevertReadings> = {}): SimulationRevertReadings {
  return {
    authorizationState: ok(false),
    name: ok('USDC'),
    version: ok('2'),
    balance: ok(10_000n),
    ...overrides,
  };
}

describe('diagnoseSimulationRevert', () => {
  it.each([
    ['nothing explains it', readings(), 'invalid_exact_evm_transaction_simulation_failed'],
    [
      'authorizationState reverts (no EIP-3009)',
      readings({ authorizationState: failed, balance: ok(0n) }),
      'invalid_exact_evm_eip3009_not_supported',
    ],
    [
      'the nonce is used, even with a wrong name and no funds',
      readings({ authorizationState: ok(true), name: ok('X'), balance: ok(0n) }),
      'invalid_exact_evm_nonce_already_used',
    ],
    [
      'the name differs, before the version and the balance',
      readings({ name: ok('USD Coin'), version: ok('1'), balance: ok(0n) }),
      'invalid_exact_evm_token_name_mismatch',
    ],
    [
      'the version differs',
      readings({ version: ok('1'), balance: ok(0n) }),
      'invalid_exact_evm_token_version_mismatch',
    ],
    [
      'the balance is one unit short',
      readings({ balance: ok(9_999n) }),
      'invalid_exact_evm_insufficient_balance',
    ],
    [
      'the balance is exactly the amount',
      readings({ balance: ok(10_000n) }),
      'invalid_exact_evm_transaction_simulation_failed',
    ],
    [
      'name, version and balance unreadable',
      readings({ name: failed, version: failed, balance: failed }),
      'invalid_exact_evm_transaction_simulation_failed',
    ],
  ] as const)('%s -> %s', (_name, given, expected) => {
    expect(
      diagnoseSimulationRevert({
        readings: given,
        expectedName: 'USDC',
        expectedVersion: '2',
        amountAtomic: 10_000n,
      }),
    ).toBe(expected);
  });
});
