// anvil's prefunded dev accounts, derived from its public test mnemonic so no key is ever written in
// the repository. They hold play money on local chains only.
import type { Address } from 'viem';
import { mnemonicToAccount, type HDAccount } from 'viem/accounts';

/** The mnemonic anvil derives its dev accounts from unless told otherwise (public, test-only). */
export const ANVIL_TEST_MNEMONIC = 'test test test test test test test test test test test junk';

/** How many dev accounts anvil creates and funds by default. */
export const ANVIL_DEV_ACCOUNT_COUNT = 10;

/**
 * The dev account that may mint test USD. The last one is used so tests and demos, which tend to
 * take the first accounts, do not race the faucet for nonces.
 */
export const FAUCET_MINTER_ACCOUNT_INDEX = ANVIL_DEV_ACCOUNT_COUNT - 1;

export interface AnvilDevAccountParams {
  /** 0-based index along m/44'/60'/0'/0/<index>, below `ANVIL_DEV_ACCOUNT_COUNT`. */
  readonly index: number;
}

/** A signing account for anvil dev account `index` (local chains and tests only). */
export function anvilDevAccount({ index }: AnvilDevAccountParams): HDAccount {
  if (!Number.isInteger(index) || index < 0 || index >= ANVIL_DEV_ACCOUNT_COUNT) {
    throw new RangeError(`anvil dev account index must be an integer in [0, ${ANVIL_DEV_ACCOUNT_COUNT})`);
  }
  return mnemonicToAccount(ANVIL_TEST_MNEMONIC, { addressIndex: index });
}

let devAccountAddressesCache: readonly Address[] | undefined;

/** The addresses of all anvil dev accounts, in index order. */
export function anvilDevAccountAddresses(): readonly Address[] {
  // Each derivation runs PBKDF2 over the mnemonic; derive once per process.
  devAccountAddressesCache ??= Array.from(
    { length: ANVIL_DEV_ACCOUNT_COUNT },
    (_, index) => anvilDevAccount({ index }).address,
  );
  return devAccountAddressesCache;
}

/** The address allowed to mint test USD (the `minter` constructor argument). */
export function faucetMinterAddress(): Address {
  const address = anvilDevAccountAddresses()[FAUCET_MINTER_ACCOUNT_INDEX];
  if (address === undefined) {
    throw new RangeError('faucet minter index is outside the dev accounts');
  }
  return address;
}
