// Startup and configuration check: does the token's EIP-712 domain match what we will sign with?
import type { Address, PublicClient } from 'viem';
import { AssetDomainMismatchError } from './evm.errors';
import { readTokenDomain, type TokenDomain } from './read-token-domain';
import { listTokenDomainDifferences } from './token-domain-differences.util';

export interface VerifyAssetDomainParams {
  readonly client: PublicClient;
  readonly address: Address;
  readonly expectedName: string;
  readonly expectedVersion: string;
  /** The chain the client talks to; compared when the token reports its domain chainId. */
  readonly chainId: number;
}

export interface VerifyAssetDomainResult {
  readonly domain: TokenDomain;
}

/**
 * Reads the token's EIP-712 domain and checks it against the expected name, version, chain id and
 * address. Returns the domain when everything matches.
 *
 * Throws `AssetDomainMismatchError` (`asset_domain_mismatch`, listing expected vs actual per field),
 * or what `readTokenDomain` throws: `asset_not_contract`, `asset_domain_unreadable`.
 */
export async function verifyAssetDomain({
  client,
  address,
  expectedName,
  expectedVersion,
  chainId,
}: VerifyAssetDomainParams): Promise<VerifyAssetDomainResult> {
  const domain = await readTokenDomain({ client, address });
  const differences = listTokenDomainDifferences({
    expected: { name: expectedName, version: expectedVersion, chainId, verifyingContract: address },
    actual: domain,
  });
  if (differences.length > 0) {
    throw new AssetDomainMismatchError({ address, differences });
  }
  return { domain };
}
