// Why a facilitator refuses an `exact` EVM payment at verify time, in precedence order: when several
// checks fail, the first reason in this list is the one reported, so a verdict is reproducible from
// its inputs. The `invalid_exact_evm_*` strings are the reference facilitator's (@x402/evm 2.27.0
// `verifyEIP3009` and the v1 scheme), character for character and in its check order; Proco's own
// refusals sit after the reference's static checks, so a payload the reference refuses statically
// is refused here with the same reason.

/** Reasons of a refused verify, first failing check wins. */
export const VERIFY_INVALID_REASONS = [
  // Proco: the requirements name a network Proco does not facilitate (not configured, or not EVM).
  // The reference facilitator throws there instead of answering; Proco answers.
  'unsupported_network',
  // The payload is not an EIP-3009 authorization (e.g. Permit2): Proco verifies EIP-3009 only. The
  // string is the reference's own constant for a payload kind it cannot handle.
  'unsupported_payload_type',
  // Reference 1: `accepted.scheme` (v1: `scheme`) and `requirements.scheme` must both be `exact`.
  'invalid_exact_evm_scheme',
  // Reference 2: `requirements.extra.name` and `.version` present (the EIP-712 domain).
  'invalid_exact_evm_missing_eip712_domain',
  // Reference 3: the payload's network equals the requirements' (v1: and is a known v1 name).
  'invalid_exact_evm_network_mismatch',
  // Reference 4: an ERC-6492-wrapped signature from an address without code needs a factory
  // deployment, and the factory allowlist is empty (the reference default; Proco has none).
  'eip6492_factory_not_allowed',
  // Reference 5: ecrecover of the EIP-712 digest must give `from` (no code at `from`), or strict
  // EIP-1271 `isValidSignature` must answer the magic value (code at `from`).
  'invalid_exact_evm_signature',
  // Reference 6: `authorization.to` equals `requirements.payTo`.
  'invalid_exact_evm_recipient_mismatch',
  // Reference 7: `validBefore >= now + 6`.
  'invalid_exact_evm_payload_authorization_valid_before',
  // Reference 8: `validAfter <= now`.
  'invalid_exact_evm_payload_authorization_valid_after',
  // Reference 9 (v2): `value == requirements.amount`.
  'invalid_exact_evm_payload_authorization_value_mismatch',
  // Reference 9 (v1): `value == requirements.maxAmountRequired` (the v1 scheme's own string).
  'invalid_exact_evm_authorization_value',
  // Proco: the asset is not configured for the network (allowlist). A token chosen by the payer
  // could make settlement burn gas on a contract that does anything. It also makes the reference's
  // check 10 (`asset_not_deployed_contract`) unreachable: configured assets are verified at start-up
  // to be contracts with the configured EIP-712 domain.
  'asset_not_allowed',
  // Proco: `validBefore - now` exceeds `VALID_BEFORE_HORIZON_SECONDS_MAX`.
  'authorization_validity_too_long',
  // Proco: USDC's ECRecover (and OpenZeppelin's ECDSA) refuse `s > n/2`; the reference accepts it
  // off chain, so its verify passes a signature its settle cannot use (gas griefing).
  'signature_high_s',
  // Proco: the same rule for `v`: only 27 and 28 are accepted on chain. (viem already refuses other
  // values at check 5 except 0 and 1, which it reads as a y-parity.)
  'signature_invalid_v',
  // Reference 11-12: `transferWithAuthorization` simulated with `eth_call` reverted; the diagnosis
  // reads `authorizationState`, `name`, `version` and `balanceOf` and reports, in this order:
  'invalid_exact_evm_eip3009_not_supported',
  'invalid_exact_evm_nonce_already_used',
  'invalid_exact_evm_token_name_mismatch',
  'invalid_exact_evm_token_version_mismatch',
  'invalid_exact_evm_insufficient_balance',
  'invalid_exact_evm_transaction_simulation_failed',
  // Proco: another verify of the same authorization (chain, asset, from, nonce) holds the in-flight
  // lock, so a seller cannot serve one payment twice while it is being settled.
  'authorization_in_flight',
  // Proco: a settlement of this authorization already failed; the payer must sign a new one.
  'authorization_settlement_failed',
] as const;

/** One reason from `VERIFY_INVALID_REASONS`. */
export type VerifyInvalidReason = (typeof VERIFY_INVALID_REASONS)[number];

/** The reasons only Proco gives (the reference facilitator has no such check). */
export const PROCO_VERIFY_INVALID_REASONS = [
  'unsupported_network',
  'asset_not_allowed',
  'authorization_validity_too_long',
  'signature_high_s',
  'signature_invalid_v',
  'authorization_in_flight',
  'authorization_settlement_failed',
] as const satisfies readonly VerifyInvalidReason[];

/** A refused verify: the reason and, where it helps, a bounded human explanation. */
export interface VerifyRefusal {
  readonly reason: VerifyInvalidReason;
  readonly message?: string;
}
