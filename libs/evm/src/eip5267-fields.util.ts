// Decodes the EIP-5267 `fields` bitmap, which says which EIP-712 domain members a contract uses.
import { hexToNumber, type Hex } from 'viem';

/** Which EIP-712 domain members are present, per the EIP-5267 `fields` byte. */
export interface Eip5267Fields {
  readonly name: boolean;
  readonly version: boolean;
  readonly chainId: boolean;
  readonly verifyingContract: boolean;
  readonly salt: boolean;
}

// Bit positions fixed by EIP-5267.
const NAME_BIT = 0x01;
const VERSION_BIT = 0x02;
const CHAIN_ID_BIT = 0x04;
const VERIFYING_CONTRACT_BIT = 0x08;
const SALT_BIT = 0x10;

/** Decodes a `bytes1` bitmap such as `0x0f` (name, version, chainId, verifyingContract). */
export function decodeEip5267Fields(fields: Hex): Eip5267Fields {
  const bits = hexToNumber(fields, { size: 1 });
  return {
    name: (bits & NAME_BIT) !== 0,
    version: (bits & VERSION_BIT) !== 0,
    chainId: (bits & CHAIN_ID_BIT) !== 0,
    verifyingContract: (bits & VERIFYING_CONTRACT_BIT) !== 0,
    salt: (bits & SALT_BIT) !== 0,
  };
}
