// EVM addresses as sellers write them: 20 bytes of hex, checksummed (EIP-55) or not.
import { getAddress, type Address } from 'viem';

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The EIP-55 checksummed form of `text` when it is a 20-byte hex address, else null. All-lowercase
 * and all-uppercase hex carry no checksum and are accepted (EIP-55); mixed case must be the correct
 * checksum, because a mixed-case address with a wrong checksum is a corrupted address. (viem's
 * `getAddress` alone would silently re-checksum it, and money would go to the typo.)
 */
export function checksummedAddressOrNull(text: string): Address | null {
  if (!HEX_ADDRESS.test(text)) return null;
  const body = text.slice(2);
  const checksummed = getAddress(text);
  if (body === body.toLowerCase() || body === body.toUpperCase()) return checksummed;
  return checksummed === text ? checksummed : null;
}
