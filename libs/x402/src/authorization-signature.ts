// The signature over an EIP-3009 authorization, read the way the token reads it: the EIP-712
// digest, ecrecover, the ERC-6492 wrapper of undeployed smart wallets, and the ECDSA form rules
// USDC enforces on chain. Pure: viem's hashing and recovery utilities, no client.
import {
  hashTypedData,
  hexToBigInt,
  hexToNumber,
  isAddressEqual,
  parseErc6492Signature,
  recoverAddress,
  size,
  slice,
  zeroAddress,
  type Address,
  type Hex,
} from 'viem';

import {
  TRANSFER_WITH_AUTHORIZATION_PRIMARY_TYPE,
  TRANSFER_WITH_AUTHORIZATION_TYPES,
} from './transfer-authorization';
import type { Eip3009VerifyRequest } from './verify-request';
import type { VerifyRefusal } from './verify-reasons';

/** Bytes of an ECDSA signature `r ‖ s ‖ v`, the only form ecrecover (and the `v,r,s` overload) takes. */
export const ECDSA_SIGNATURE_LENGTH_BYTES = 65;

/** n/2 of secp256k1: a canonical (low-s) signature has `s <= n/2`. */
export const SECP256K1_HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** An ERC-6492 wrapper's deployment: the factory call that would create the signing wallet. */
export interface Erc6492Deployment {
  readonly factory: Address;
  readonly factoryCalldata: Hex;
}

/** A signature with its ERC-6492 wrapper, if any, taken apart. */
export interface SignatureEnvelope {
  /** What the wallet itself signed: the wrapped signature, or the signature as sent. */
  readonly innerSignature: Hex;
  /** The deployment the wrapper carries, or null (no wrapper, or a zero factory address). */
  readonly deployment: Erc6492Deployment | null;
}

/**
 * Opens an ERC-6492 wrapper (`abi.encode(factory, calldata, signature) ‖ magic`). A signature
 * without one, with a zero factory or with an undecodable one is returned as sent, as the reference
 * facilitator treats it (it then fails the signature check).
 */
export function openSignatureEnvelope(signature: Hex): SignatureEnvelope {
  let parsed: ReturnType<typeof parseErc6492Signature>;
  try {
    parsed = parseErc6492Signature(signature);
  } catch {
    return { innerSignature: signature, deployment: null };
  }
  const { address, data } = parsed;
  if (address === undefined || data === undefined || isAddressEqual(address, zeroAddress)) {
    return { innerSignature: signature, deployment: null };
  }
  return { innerSignature: parsed.signature, deployment: { factory: address, factoryCalldata: data } };
}

/** Parameters of `transferAuthorizationDigest`. */
export interface TransferAuthorizationDigestParams {
  readonly request: Eip3009VerifyRequest;
  /** The chain id of the requirements' network (the EIP-712 domain's `chainId`). */
  readonly chainId: number;
}

/**
 * The EIP-712 digest of the authorization under the requirements' domain
 * `{ extra.name, extra.version, chainId, verifyingContract: asset }`, or null when it cannot be
 * hashed (no domain naming, or an address viem refuses, such as one with a wrong mixed-case
 * checksum): the reference counts that as an invalid signature. All-lowercase addresses hash fine.
 */
export function transferAuthorizationDigest({
  request,
  chainId,
}: TransferAuthorizationDigestParams): Hex | null {
  const { extra, asset } = request.requirements;
  const name = extra?.['name'];
  const version = extra?.['version'];
  if (typeof name !== 'string' || typeof version !== 'string') return null;
  const { authorization } = request.payment;
  try {
    return hashTypedData({
      domain: { name, version, chainId, verifyingContract: asset },
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: TRANSFER_WITH_AUTHORIZATION_PRIMARY_TYPE,
      message: {
        from: authorization.from,
        to: authorization.to,
        value: BigInt(authorization.value),
        validAfter: BigInt(authorization.validAfter),
        validBefore: BigInt(authorization.validBefore),
        nonce: authorization.nonce,
      },
    });
  } catch {
    return null;
  }
}

/**
 * Whether ecrecover of `digest` with the 65-byte `signature` gives `address`. viem reads `v` as 27,
 * 28, or the y-parity 0 or 1, accepts any `s`, and refuses everything else; the reference
 * facilitator uses the same routine, so this is its check 5 for an account without code.
 */
export async function recoversTo(params: {
  digest: Hex | null;
  signature: Hex;
  address: Address;
}): Promise<boolean> {
  const { digest, signature, address } = params;
  if (digest === null || size(signature) !== ECDSA_SIGNATURE_LENGTH_BYTES) return false;
  try {
    return isAddressEqual(await recoverAddress({ hash: digest, signature }), address);
  } catch {
    return false;
  }
}

/**
 * The ECDSA form rules of USDC's ECRecover (and OpenZeppelin's ECDSA), in the order the token
 * applies them: `s <= n/2` (`signature_high_s`), then `v` is 27 or 28 (`signature_invalid_v`).
 * A signature ecrecover accepts off chain but the token refuses would pass verify and revert at
 * settle, at the facilitator's expense. Only for 65-byte signatures of accounts without code.
 */
export function ecdsaFormViolation(signature: Hex): VerifyRefusal | null {
  if (size(signature) !== ECDSA_SIGNATURE_LENGTH_BYTES) return null;
  const s = hexToBigInt(slice(signature, 32, 64));
  if (s > SECP256K1_HALF_ORDER) {
    return { reason: 'signature_high_s', message: 'the signature has s > n/2, which the token refuses' };
  }
  const v = hexToNumber(slice(signature, 64, 65));
  if (v !== 27 && v !== 28) {
    return {
      reason: 'signature_invalid_v',
      message: `the signature has v = ${v}; the token accepts 27 or 28`,
    };
  }
  return null;
}
