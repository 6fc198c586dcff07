// Public API of @proco/evm: token domain checks for runtime code, and the local anvil chain kit for
// development, tests and the faucet. Explicit named re-exports only (no `export *`).
export { testUsdAbi } from './contracts/test-usd.abi';
export { testUsdBytecode, testUsdDeployedBytecode } from './contracts/test-usd.bytecode';
export { multicall3Abi } from './contracts/multicall3.abi';
export { eip3009Abi, ERC1271_MAGIC_VALUE, erc1271Abi } from './contracts/eip3009.abi';
export { multicall3Bytecode, multicall3DeployedBytecode } from './contracts/multicall3.bytecode';
export { testSmartWalletAbi } from './contracts/test-smart-wallet.abi';
export {
  testSmartWalletBytecode,
  testSmartWalletDeployedBytecode,
} from './contracts/test-smart-wallet.bytecode';
export { eip5267Abi, tokenNameVersionAbi } from './token-domain.abi';
export { decodeEip5267Fields } from './eip5267-fields.util';
export type { Eip5267Fields } from './eip5267-fields.util';
export {
  AssetDomainMismatchError,
  AssetDomainUnreadableError,
  AssetNotContractError,
  EvmError,
} from './evm.errors';
export type { AssetDomainDifference, AssetDomainField, EvmErrorCode } from './evm.errors';
export { readTokenDomain } from './read-token-domain';
export type { ReadTokenDomainParams, ReadTokenDomainResult, TokenDomain } from './read-token-domain';
export { verifyAssetDomain } from './verify-asset-domain';
export type { VerifyAssetDomainParams, VerifyAssetDomainResult } from './verify-asset-domain';
export { listTokenDomainDifferences } from './token-domain-differences.util';
export type { ExpectedTokenDomain, ListTokenDomainDifferencesParams } from './token-domain-differences.util';

export {
  ANVIL_DEV_ACCOUNT_COUNT,
  ANVIL_TEST_MNEMONIC,
  FAUCET_MINTER_ACCOUNT_INDEX,
  anvilDevAccount,
  anvilDevAccountAddresses,
  faucetMinterAddress,
} from './local-chain/anvil-dev-accounts';
export type { AnvilDevAccountParams } from './local-chain/anvil-dev-accounts';
export {
  DETERMINISTIC_DEPLOYER_ADDRESS,
  LOCAL_TEST_USD_ADDRESS,
  MULTICALL3_ADDRESS,
  TEST_USD_CREATE2_SALT,
} from './local-chain/local-contracts.constants';
export { predictTestUsdAddress, testUsdInitCode } from './local-chain/test-usd-deployment';
export { LocalChainError } from './local-chain/local-chain.errors';
export type { LocalChainErrorCode } from './local-chain/local-chain.errors';
export { ANVIL_READY_TIMEOUT_MS, ANVIL_STOP_TIMEOUT_MS } from './local-chain/anvil-process';
export { LOCAL_CHAIN_ID_DEFAULT, startLocalChain } from './local-chain/start-local-chain';
export type { LocalChain, StartLocalChainParams } from './local-chain/start-local-chain';
export { deployLocalContracts } from './local-chain/deploy-local-contracts';
export type {
  DeployLocalContractsParams,
  DeployLocalContractsResult,
} from './local-chain/deploy-local-contracts';
export { mintTestTokens } from './local-chain/mint-test-tokens';
export type { MintTestTokensParams } from './local-chain/mint-test-tokens';
export { setNativeBalance } from './local-chain/set-native-balance';
export type { SetNativeBalanceParams } from './local-chain/set-native-balance';
export { LOCAL_RECEIPT_TIMEOUT_MS } from './local-chain/wait-for-successful-receipt';
export { localChainDefinition } from './local-chain/local-chain-definition';
export type { LocalChainDefinitionParams } from './local-chain/local-chain-definition';
export { findFreePort, isPortFree } from './local-chain/tcp-port';
export type { FindFreePortParams, IsPortFreeParams } from './local-chain/tcp-port';
export { resolveAnvilBinaryPath } from './local-chain/resolve-anvil-binary';
