// Maps the revert of a `transferWithAuthorization` (its `Error(string)` data, as USDC and the test
// token word it) to the reason a settle answer carries, as the reference facilitator does.
import { decodeErrorResult, type Hex } from 'viem';

/** A settle failure reason: the reference facilitator's names, or Proco's for its own refusals. */
export type SettlementFailureReason =
  | 'invalid_exact_evm_payload_authorization_valid_before'
  | 'invalid_exact_evm_payload_authorization_valid_after'
  | 'invalid_exact_evm_nonce_already_used'
  | 'invalid_exact_evm_insufficient_balance'
  | 'invalid_exact_evm_signature'
  | 'invalid_exact_evm_transaction_failed'
  | 'settlement_gas_cap_exceeded';

const PATTERNS: readonly (readonly [RegExp, SettlementFailureReason])[] = [
  [/expired/i, 'invalid_exact_evm_payload_authorization_valid_before'],
  [/not yet valid/i, 'invalid_exact_evm_payload_authorization_valid_after'],
  [/used or cancel/i, 'invalid_exact_evm_nonce_already_used'],
  [/exceeds balance|insufficient/i, 'invalid_exact_evm_insufficient_balance'],
  [/invalid signature|signature/i, 'invalid_exact_evm_signature'],
];

/** The revert message in `data`, when it is an `Error(string)`; null otherwise. */
export function revertMessageOf(data: Hex): string | null {
  try {
    const decoded = decodeErrorResult({ data });
    if (decoded.errorName !== 'Error') return null;
    const [message] = decoded.args;
    return typeof message === 'string' ? message : null;
  } catch {
    return null;
  }
}

/** The failure reason a revert message stands for; a message nobody recognises is a failed transaction. */
export function failureReasonOf(message: string | null): SettlementFailureReason {
  if (message === null) return 'invalid_exact_evm_transaction_failed';
  return PATTERNS.find(([pattern]) => pattern.test(message))?.[1] ?? 'invalid_exact_evm_transaction_failed';
}
