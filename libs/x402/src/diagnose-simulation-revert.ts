// Why a simulated `transferWithAuthorization` reverted, told from four token reads, in the
// reference facilitator's order (@x402/evm 2.27.0 `diagnoseEip3009SimulationFailure`).
import type { VerifyInvalidReason } from './verify-reasons';

/** One contract read: its value, or `failure` when the call reverted or returned nothing usable. */
export type ContractReading<Value> =
  { readonly status: 'success'; readonly value: Value } | { readonly status: 'failure' };

/** The token's answers about the payer after the simulation reverted. */
export interface SimulationRevertReadings {
  readonly authorizationState: ContractReading<boolean>;
  readonly name: ContractReading<string>;
  readonly version: ContractReading<string>;
  readonly balance: ContractReading<bigint>;
}

/** Parameters of `diagnoseSimulationRevert`. */
export interface DiagnoseSimulationRevertParams {
  readonly readings: SimulationRevertReadings;
  /** `extra.name` and `extra.version` of the requirements (the domain the payer signed). */
  readonly expectedName: string;
  readonly expectedVersion: string;
  /** The required amount, in atomic units. */
  readonly amountAtomic: bigint;
}

/**
 * The first explanation that holds: no EIP-3009 (`authorizationState` reverts), nonce used,
 * token name or version differing from the signed domain, balance below the amount; otherwise the
 * generic `invalid_exact_evm_transaction_simulation_failed`. A read that failed explains nothing
 * and is skipped, as in the reference.
 */
export function diagnoseSimulationRevert(params: DiagnoseSimulationRevertParams): VerifyInvalidReason {
  const { readings, expectedName, expectedVersion, amountAtomic } = params;
  const { authorizationState, name, version, balance } = readings;
  if (authorizationState.status === 'failure') return 'invalid_exact_evm_eip3009_not_supported';
  if (authorizationState.value) return 'invalid_exact_evm_nonce_already_used';
  if (name.status === 'success' && name.value !== expectedName)
    return 'invalid_exact_evm_token_name_mismatch';
  if (version.status === 'success' && version.value !== expectedVersion) {
    return 'invalid_exact_evm_token_version_mismatch';
  }
  if (balance.status === 'success' && balance.value < amountAtomic)
    return 'invalid_exact_evm_insufficient_balance';
  return 'invalid_exact_evm_transaction_simulation_failed';
}
