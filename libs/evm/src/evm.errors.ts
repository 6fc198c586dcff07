// Typed errors of the EVM library: a stable snake_case `code` per failure, structured fields, and the
// underlying RPC or decoding error kept as `cause`.
import type { Address } from 'viem';

/** Every code an `EvmError` can carry; mapped to HTTP problems at the edge, never here. */
export type EvmErrorCode = 'asset_not_contract' | 'asset_domain_unreadable' | 'asset_domain_mismatch';

/** Base class of the library's errors; `code` is the stable identifier to branch on. */
export abstract class EvmError extends Error {
  abstract readonly code: EvmErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The asset address holds no bytecode, so it cannot be a token (EIP-3009 calls would be no-ops). */
export class AssetNotContractError extends EvmError {
  readonly code = 'asset_not_contract' as const;
  readonly address: Address;

  constructor({ address, cause }: { address: Address; cause?: unknown }) {
    super(`asset ${address} has no contract code`, cause === undefined ? undefined : { cause });
    this.address = address;
  }
}

/** Neither EIP-5267 `eip712Domain()` nor `name()` + `version()` could be read from the asset. */
export class AssetDomainUnreadableError extends EvmError {
  readonly code = 'asset_domain_unreadable' as const;
  readonly address: Address;

  constructor({ address, cause }: { address: Address; cause: unknown }) {
    super(`cannot read the EIP-712 domain of asset ${address} (eip712Domain, name and version failed)`, {
      cause,
    });
    this.address = address;
  }
}

/** A field of the EIP-712 domain that is compared against configuration. */
export type AssetDomainField = 'name' | 'version' | 'chainId' | 'verifyingContract';

/** One difference between the configured and the on-chain EIP-712 domain. */
export interface AssetDomainDifference {
  readonly field: AssetDomainField;
  readonly expected: string;
  readonly actual: string;
}

/**
 * The token's on-chain EIP-712 domain differs from the configured one: signatures made with the
 * configured `extra.name`/`extra.version` would be rejected by the token.
 */
export class AssetDomainMismatchError extends EvmError {
  readonly code = 'asset_domain_mismatch' as const;
  readonly address: Address;
  readonly differences: readonly AssetDomainDifference[];

  constructor({ address, differences }: { address: Address; differences: readonly AssetDomainDifference[] }) {
    const detail = differences
      .map(
        (difference) =>
          `${difference.field} expected "${difference.expected}", actual "${difference.actual}"`,
      )
      .join('; ');
    super(`EIP-712 domain mismatch for asset ${address}: ${detail}`);
    this.address = address;
    this.differences = differences;
  }
}
