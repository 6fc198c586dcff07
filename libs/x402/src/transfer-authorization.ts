// EIP-3009 `TransferWithAuthorization`: the authorization an x402 `exact` EVM payment signs, and
// the EIP-712 typed data to sign it with. Pure: the clock and the nonce are the caller's.
import { bytesToHex, type Address, type Hex, type TypedDataDefinition } from 'viem';

import { formatAtomicAmount } from './atomic-amount';
import { checksummedAddressOrNull } from './evm-address.util';
import type { NormalizedRequirement } from './normalized-payment-required';
import { InvalidArgumentError, RequirementNotPayableError } from './x402.errors';

/**
 * EIP-712 types of EIP-3009 `TransferWithAuthorization`, fields in the order of the typehash
 * `TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,
 * uint256 validBefore,bytes32 nonce)`; same as `@x402/evm`'s `authorizationTypes`.
 */
export const TRANSFER_WITH_AUTHORIZATION_TYPES = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

/** The EIP-712 primary type signed for an `exact` EVM payment. */
export const TRANSFER_WITH_AUTHORIZATION_PRIMARY_TYPE = 'TransferWithAuthorization';

/** Bytes of an EIP-3009 nonce (a `bytes32`). */
export const NONCE_LENGTH_BYTES = 32;

const NONCE_HEX = /^0x[0-9a-fA-F]{64}$/;

/** The authorization as it travels in `payload.authorization`: decimal strings, checksummed addresses. */
export interface TransferAuthorization {
  readonly from: Address;
  readonly to: Address;
  readonly value: string;
  readonly validAfter: string;
  readonly validBefore: string;
  readonly nonce: Hex;
}

/** The viem typed-data definition of a `TransferWithAuthorization`. */
export type TransferWithAuthorizationTypedData = TypedDataDefinition<
  typeof TRANSFER_WITH_AUTHORIZATION_TYPES,
  typeof TRANSFER_WITH_AUTHORIZATION_PRIMARY_TYPE
>;

/** Parameters of `buildTransferAuthorization`. */
export interface BuildTransferAuthorizationParams {
  /** The chosen option; must be `supported` (exact, EVM, EIP-3009, addresses, EIP-712 domain). */
  readonly requirement: NormalizedRequirement;
  /** The payer's address (the signer's). */
  readonly from: string;
  /** The caller's clock, in Unix seconds. */
  readonly nowSeconds: bigint;
  /** 32 random bytes as 0x-hex; see `randomNonce`. Reusing a nonce makes the payment fail on chain. */
  readonly nonce: Hex;
  /**
   * How far `validAfter` is back-dated, in seconds, so a chain whose clock lags ours still accepts
   * the transfer (tokens require `block.timestamp > validAfter`). Clamped at 0. The reference v1
   * client uses 600; the 2.27 v2 client signs `validAfter = 0` (any skew >= now gives that).
   */
  readonly validAfterSkewSeconds: number;
  /**
   * Longest validity we sign, in seconds: `validBefore = now + min(maxTimeoutSeconds, cap)`. A
   * seller cannot obtain a longer-lived authorization than we are willing to give.
   */
  readonly validBeforeCapSeconds: number;
}

/** Result of `buildTransferAuthorization`. */
export interface BuildTransferAuthorizationResult {
  readonly authorization: TransferAuthorization;
  /** What to hand to `signTypedData`; the signature goes into the payload next to `authorization`. */
  readonly typedData: TransferWithAuthorizationTypedData;
}

/**
 * Builds the EIP-3009 authorization for `requirement` and its EIP-712 typed data. Domain:
 * `{ name: extra.name, version: extra.version, chainId, verifyingContract: checksummed asset }`;
 * `to` is the checksummed `payTo`, `value` the exact required amount.
 *
 * Throws the requirement's unsupported reason as code (`missing_eip712_domain`,
 * `unsupported_scheme`, `unsupported_network`, …) or `invalid_argument`.
 */
export function buildTransferAuthorization(
  params: BuildTransferAuthorizationParams,
): BuildTransferAuthorizationResult {
  const { requirement, nonce } = params;
  if (!requirement.supported) {
    throw new RequirementNotPayableError({ reason: requirement.unsupportedReason, index: requirement.index });
  }
  const from = checksummedAddressOrNull(params.from);
  if (from === null) {
    throw new InvalidArgumentError({
      argument: 'from',
      detail: 'expected a 20-byte hex address (valid checksum)',
    });
  }
  if (typeof nonce !== 'string' || !NONCE_HEX.test(nonce)) {
    throw new InvalidArgumentError({ argument: 'nonce', detail: 'expected 0x followed by 64 hex digits' });
  }
  const { validAfter, validBefore } = validityWindow({
    ...params,
    maxTimeoutSeconds: requirement.maxTimeoutSeconds,
  });
  const authorization: TransferAuthorization = {
    from,
    to: requirement.payToAddress,
    value: formatAtomicAmount(requirement.amountAtomic),
    validAfter: validAfter.toString(10),
    validBefore: validBefore.toString(10),
    nonce,
  };
  const typedData: TransferWithAuthorizationTypedData = {
    domain: {
      name: requirement.eip712Domain.name,
      version: requirement.eip712Domain.version,
      chainId: requirement.chainId,
      verifyingContract: requirement.assetAddress,
    },
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: TRANSFER_WITH_AUTHORIZATION_PRIMARY_TYPE,
    message: {
      from,
      to: requirement.payToAddress,
      value: requirement.amountAtomic,
      validAfter,
      validBefore,
      nonce,
    },
  };
  return { authorization, typedData };
}

function validityWindow(params: {
  nowSeconds: bigint;
  validAfterSkewSeconds: number;
  validBeforeCapSeconds: number;
  maxTimeoutSeconds: number;
}): { validAfter: bigint; validBefore: bigint } {
  const { nowSeconds, validAfterSkewSeconds, validBeforeCapSeconds, maxTimeoutSeconds } = params;
  if (typeof nowSeconds !== 'bigint' || nowSeconds < 0n) {
    throw new InvalidArgumentError({ argument: 'nowSeconds', detail: 'expected a non-negative bigint' });
  }
  if (!Number.isSafeInteger(validAfterSkewSeconds) || validAfterSkewSeconds < 0) {
    throw new InvalidArgumentError({ argument: 'validAfterSkewSeconds', detail: 'expected an integer >= 0' });
  }
  if (!Number.isSafeInteger(validBeforeCapSeconds) || validBeforeCapSeconds < 1) {
    throw new InvalidArgumentError({ argument: 'validBeforeCapSeconds', detail: 'expected an integer >= 1' });
  }
  const backDated = nowSeconds - BigInt(validAfterSkewSeconds);
  return {
    validAfter: backDated < 0n ? 0n : backDated,
    validBefore: nowSeconds + BigInt(Math.min(maxTimeoutSeconds, validBeforeCapSeconds)),
  };
}

/**
 * 32 bytes from the platform CSPRNG (`crypto.getRandomValues`, in Node and browsers) as 0x-hex:
 * a fresh EIP-3009 nonce. Kept apart from `buildTransferAuthorization` so that function stays
 * deterministic; randomness is an explicit call by the caller, who may also store the nonce first
 * so a retried purchase reuses it instead of signing a second authorization.
 */
export function randomNonce(): Hex {
  return bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(NONCE_LENGTH_BYTES)));
}
