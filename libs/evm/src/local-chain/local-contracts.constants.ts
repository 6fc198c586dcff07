// Fixed addresses and salts of the contracts a local chain carries, so configuration can name them.
import { padHex, stringToHex } from 'viem';

/** Canonical Multicall3 address, the same on every chain that has it. */
export const MULTICALL3_ADDRESS = '0xcA11bde05977b3631167028862bE2a173976CA11' as const;

/**
 * Arachnid's deterministic CREATE2 deployer, preinstalled on anvil: calldata is salt (32 bytes)
 * followed by init code, and the new contract lands at CREATE2(deployer, salt, keccak(init code)).
 */
export const DETERMINISTIC_DEPLOYER_ADDRESS = '0x4e59b44847b379578588920cA78FbF26c0B4956C' as const;

/** CREATE2 salt of the test USD token: the ASCII text `proco:test-usd:v1`, right-padded to 32 bytes. */
export const TEST_USD_CREATE2_SALT = padHex(stringToHex('proco:test-usd:v1'), { dir: 'right', size: 32 });

/**
 * Where the test USD token lives on every fresh local chain. It follows from the salt, the token's
 * bytecode and its minter; test-usd-deployment.spec.ts fails when a contract change moves it.
 */
export const LOCAL_TEST_USD_ADDRESS = '0x8A5E73A9e2A8B9d0D60EE4E150E9FDf030C7Bdf8' as const;
