// The contracts this repository compiles, and where each one's generated TypeScript lives.

/** One Solidity contract we compile, and the names of its generated TypeScript exports. */
export interface ContractEntry {
  /** Contract name inside the source file; also the artifact file name. */
  readonly contractName: string;
  /** Source unit name, relative to the repository root. */
  readonly sourcePath: string;
  /** Kebab-case stem of the generated modules in libs/evm/src/contracts/. */
  readonly moduleStem: string;
  /** camelCase prefix of the generated exports (`<prefix>Abi`, `<prefix>Bytecode`, ...). */
  readonly exportPrefix: string;
  /**
   * True when the contract is installed with `anvil_setCode`: its runtime code must then stand on
   * its own, without constructor-written immutables.
   */
  readonly runtimeCodeOnly: boolean;
}

/** Every contract in contracts/, in a fixed order so generated output is stable. */
export const CONTRACT_CATALOG: readonly ContractEntry[] = [
  {
    contractName: 'ProcoTestUSD',
    sourcePath: 'contracts/ProcoTestUSD.sol',
    moduleStem: 'test-usd',
    exportPrefix: 'testUsd',
    runtimeCodeOnly: false,
  },
  {
    contractName: 'Multicall3',
    sourcePath: 'contracts/Multicall3.sol',
    moduleStem: 'multicall3',
    exportPrefix: 'multicall3',
    runtimeCodeOnly: true,
  },
  {
    contractName: 'ProcoTestSmartWallet',
    sourcePath: 'contracts/ProcoTestSmartWallet.sol',
    moduleStem: 'test-smart-wallet',
    exportPrefix: 'testSmartWallet',
    runtimeCodeOnly: false,
  },
];

/** Folder (relative to the repository root) of the checked-in JSON artifacts. */
export const ARTIFACTS_DIRECTORY = 'contracts/artifacts';

/** Folder (relative to the repository root) of the generated `as const` TypeScript modules. */
export const GENERATED_MODULES_DIRECTORY = 'libs/evm/src/contracts';
