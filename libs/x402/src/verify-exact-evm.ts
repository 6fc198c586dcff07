// The static checks of an `exact` EVM (EIP-3009) verify, in the reference facilitator's order
// (@x402/evm 2.27.0 `verifyEIP3009` for v2, `ExactEvmSchemeV1` for v1), then Proco's own. Pure: the
// clock is an input, and what only the chain knows (does `from` hold code, and if so what its
// EIP-1271 `isValidSignature` answered) is handed in as evidence. Simulation comes after these.
import { V1_NETWORK_CHAIN_IDS } from './x402-network';
import { ecdsaFormViolation, recoversTo, transferAuthorizationDigest } from './authorization-signature';
import { EXACT_SCHEME } from './normalize-requirement';
import type { Eip3009VerifyRequest } from './verify-request';
import type { VerifyRefusal } from './verify-reasons';
import {
  IDENTIFIER_LENGTH_CHARS_MAX,
  VALID_BEFORE_HORIZON_SECONDS_MAX,
  VALID_BEFORE_MARGIN_SECONDS,
} from './x402.limits';

/** What the chain says about the payer, which decides how its signature is checked. */
export type PayerSignatureEvidence =
  /** No code at `from`: ecrecover of the EIP-712 digest must give `from` (checked here). */
  | { readonly kind: 'externally_owned' }
  /** Code at `from` (a smart wallet, or an EIP-7702 account): its strict EIP-1271 verdict. */
  | { readonly kind: 'contract'; readonly erc1271Valid: boolean }
  /** An ERC-6492-wrapped signature from an address without code: a wallet still to deploy. */
  | { readonly kind: 'counterfactual' }
  /**
   * No code at `from`, and the token itself accepted the signature in a simulation under the
   * domain the requirements name (the caller made sure they are the token's): ecrecover under that
   * digest would give `from`, so it is not run again. ECDSA form rules still apply.
   */
  | { readonly kind: 'accepted_by_token' };

/**
 * Reference checks 1-3: both schemes are `exact`; (v1: the payload's network is a known v1 name);
 * `extra.name` and `extra.version` are present; the payload's network equals the requirements'.
 * The checks that need no chain read, run first so a refused request costs no RPC.
 */
export function checkBeforeSignature(request: Eip3009VerifyRequest): VerifyRefusal | null {
  if (request.payloadScheme !== EXACT_SCHEME || request.requirements.scheme !== EXACT_SCHEME) {
    return { reason: 'invalid_exact_evm_scheme' };
  }
  // The v1 scheme resolves the payload's network name to a chain id before anything else.
  if (request.x402Version === 1 && !Object.hasOwn(V1_NETWORK_CHAIN_IDS, request.payloadNetwork)) {
    return { reason: 'invalid_exact_evm_network_mismatch' };
  }
  if (!hasEip712Domain(request)) return { reason: 'invalid_exact_evm_missing_eip712_domain' };
  if (request.payloadNetwork !== request.requirements.network) {
    return { reason: 'invalid_exact_evm_network_mismatch' };
  }
  return null;
}

function hasEip712Domain(request: Eip3009VerifyRequest): boolean {
  const { extra } = request.requirements;
  return isDomainText(extra?.['name']) && isDomainText(extra?.['version']);
}

function isDomainText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= IDENTIFIER_LENGTH_CHARS_MAX;
}

/** Parameters of `checkFromSignature` and `checkEip3009Payment`. */
export interface CheckEip3009PaymentParams {
  readonly request: Eip3009VerifyRequest;
  /** The chain id of the requirements' network (the EIP-712 domain's). */
  readonly chainId: number;
  /** The caller's clock, in Unix seconds. */
  readonly nowSeconds: bigint;
  readonly payerSignature: PayerSignatureEvidence;
  /** Whether `requirements.asset` is configured on the requirements' network (Proco's allowlist). */
  readonly assetConfigured: boolean;
}

/**
 * Reference checks 4-9 (the ERC-6492 factory gate, the signature, recipient, `validBefore`,
 * `validAfter`, value), then Proco's: the asset allowlist, the `validBefore` horizon, and USDC's
 * ECDSA form rules. Returns the first refusal, or null when the payment may go on to simulation.
 */
export async function checkFromSignature(params: CheckEip3009PaymentParams): Promise<VerifyRefusal | null> {
  return (await checkSignature(params)) ?? checkAuthorizationTerms(params) ?? checkProcoRules(params);
}

/** Every static check in order: `checkBeforeSignature`, then `checkFromSignature`. */
export async function checkEip3009Payment(params: CheckEip3009PaymentParams): Promise<VerifyRefusal | null> {
  return checkBeforeSignature(params.request) ?? (await checkFromSignature(params));
}

async function checkSignature(params: CheckEip3009PaymentParams): Promise<VerifyRefusal | null> {
  const { request, chainId, payerSignature } = params;
  switch (payerSignature.kind) {
    case 'counterfactual':
      // Deploying it would mean calling a factory the payer chose; no factory is allowed.
      return { reason: 'eip6492_factory_not_allowed' };
    case 'contract':
      return payerSignature.erc1271Valid ? null : { reason: 'invalid_exact_evm_signature' };
    case 'accepted_by_token':
      return null;
    case 'externally_owned': {
      const { signature, authorization } = request.payment;
      const digest = transferAuthorizationDigest({ request, chainId });
      const valid = await recoversTo({ digest, signature, address: authorization.from });
      return valid ? null : { reason: 'invalid_exact_evm_signature' };
    }
  }
}

function checkAuthorizationTerms(params: CheckEip3009PaymentParams): VerifyRefusal | null {
  const { request, nowSeconds } = params;
  const { authorization } = request.payment;
  // Both sides are 20-byte hex addresses (the decoder made sure); case carries no meaning here.
  if (authorization.to.toLowerCase() !== request.requirements.payTo.toLowerCase()) {
    return { reason: 'invalid_exact_evm_recipient_mismatch' };
  }
  if (BigInt(authorization.validBefore) < nowSeconds + BigInt(VALID_BEFORE_MARGIN_SECONDS)) {
    return { reason: 'invalid_exact_evm_payload_authorization_valid_before' };
  }
  if (BigInt(authorization.validAfter) > nowSeconds) {
    return { reason: 'invalid_exact_evm_payload_authorization_valid_after' };
  }
  if (BigInt(authorization.value) !== request.requirements.amountAtomic) {
    return {
      reason:
        request.x402Version === 2
          ? 'invalid_exact_evm_payload_authorization_value_mismatch'
          : 'invalid_exact_evm_authorization_value',
    };
  }
  return null;
}

function checkProcoRules(params: CheckEip3009PaymentParams): VerifyRefusal | null {
  const { request, nowSeconds, payerSignature, assetConfigured } = params;
  if (!assetConfigured) {
    return {
      reason: 'asset_not_allowed',
      message: `asset ${request.requirements.asset} is not configured on ${request.requirements.network}`,
    };
  }
  const aheadSeconds = BigInt(request.payment.authorization.validBefore) - nowSeconds;
  if (aheadSeconds > BigInt(VALID_BEFORE_HORIZON_SECONDS_MAX)) {
    return {
      reason: 'authorization_validity_too_long',
      message: `validBefore is ${aheadSeconds} s ahead; at most ${VALID_BEFORE_HORIZON_SECONDS_MAX} s is accepted`,
    };
  }
  // A contract wallet's signature is judged by the wallet (EIP-1271), not by ecrecover.
  return payerSignature.kind === 'externally_owned' || payerSignature.kind === 'accepted_by_token'
    ? ecdsaFormViolation(request.payment.signature)
    : null;
}
