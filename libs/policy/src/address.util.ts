const EVM_ADDRESS_PATTERN = /^0x[0-9a-fA-F]{40}$/;

/** Parameters of `addressesEqual`. */
export interface AddressesEqualParams {
  readonly left: string;
  readonly right: string;
}

/**
 * Whether two payee or asset addresses name the same account. EVM hex addresses compare
 * case-insensitively (EIP-55 case is only a checksum); any other address format is compared
 * exactly, because base58 and similar encodings are case-sensitive.
 */
export function addressesEqual({ left, right }: AddressesEqualParams): boolean {
  if (EVM_ADDRESS_PATTERN.test(left) && EVM_ADDRESS_PATTERN.test(right)) {
    return left.toLowerCase() === right.toLowerCase();
  }
  return left === right;
}
