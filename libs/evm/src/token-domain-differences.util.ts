// Compares a configured EIP-712 domain with the one read from the token, field by field.
import { isAddressEqual, type Address } from 'viem';
import type { AssetDomainDifference } from './evm.errors';
import type { TokenDomain } from './read-token-domain';

/** The domain that configuration (and thus every signature we make) assumes. */
export interface ExpectedTokenDomain {
  readonly name: string;
  readonly version: string;
  readonly chainId: number;
  readonly verifyingContract: Address;
}

export interface ListTokenDomainDifferencesParams {
  readonly expected: ExpectedTokenDomain;
  readonly actual: TokenDomain;
}

/**
 * Lists every field where `actual` differs from `expected`, in domain order. `chainId` and
 * `verifyingContract` are compared only when the token reported them (EIP-5267).
 */
export function listTokenDomainDifferences({
  expected,
  actual,
}: ListTokenDomainDifferencesParams): AssetDomainDifference[] {
  const differences: AssetDomainDifference[] = [];
  // Names and versions are compared exactly: the token hashes the bytes, so case matters.
  if (actual.name !== expected.name) {
    differences.push({ field: 'name', expected: expected.name, actual: actual.name });
  }
  if (actual.version !== expected.version) {
    differences.push({ field: 'version', expected: expected.version, actual: actual.version });
  }
  if (actual.chainId !== undefined && actual.chainId !== expected.chainId) {
    differences.push({
      field: 'chainId',
      expected: String(expected.chainId),
      actual: String(actual.chainId),
    });
  }
  if (
    actual.verifyingContract !== undefined &&
    !isAddressEqual(actual.verifyingContract, expected.verifyingContract)
  ) {
    differences.push({
      field: 'verifyingContract',
      expected: expected.verifyingContract,
      actual: actual.verifyingContract,
    });
  }
  return differences;
}
