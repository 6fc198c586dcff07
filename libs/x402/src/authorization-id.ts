// The identity of one EIP-3009 authorization: what the token's `authorizationState(from, nonce)`
// tracks, on one chain and one token. At most one settlement and one delivery per identity.
import type { Address, Hex } from 'viem';

/** Parameters of `authorizationIdOf`. */
export interface AuthorizationIdParams {
  readonly chainId: number;
  readonly asset: Address;
  readonly from: Address;
  readonly nonce: Hex;
}

/**
 * `<chainId>:<asset>:<from>:<nonce>`, hex in lowercase, so every spelling of the same
 * authorization (checksummed or not) names the same key.
 */
export function authorizationIdOf({ chainId, asset, from, nonce }: AuthorizationIdParams): string {
  return [String(chainId), asset, from, nonce].map((part) => part.toLowerCase()).join(':');
}
