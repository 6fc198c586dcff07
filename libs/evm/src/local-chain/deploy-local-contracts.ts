// Puts the test USD token and Multicall3 on a local anvil chain, at fixed addresses, once.
import { concat, type Address } from 'viem';
import { multicall3DeployedBytecode } from '../contracts/multicall3.bytecode';
import { faucetMinterAddress } from './anvil-dev-accounts';
import { createLocalChainClients, type LocalChainClients } from './local-chain-clients';
import { LocalChainError } from './local-chain.errors';
import {
  DETERMINISTIC_DEPLOYER_ADDRESS,
  MULTICALL3_ADDRESS,
  TEST_USD_CREATE2_SALT,
} from './local-contracts.constants';
import { impersonateFundedAccount } from './impersonate-funded-account';
import { predictTestUsdAddress, testUsdInitCode } from './test-usd-deployment';
import { waitForSuccessfulReceipt } from './wait-for-successful-receipt';

export interface DeployLocalContractsParams {
  /** An anvil node (the kit relies on anvil_* methods). */
  readonly rpcUrl: string;
}

export interface DeployLocalContractsResult {
  readonly tokenAddress: Address;
  readonly multicallAddress: Address;
  /** False when the token was already there (the call is idempotent). */
  readonly tokenDeployed: boolean;
  /** False when some contract already sat at the Multicall3 address. */
  readonly multicallInstalled: boolean;
}

/**
 * Deploys the test USD token through the deterministic CREATE2 deployer and installs Multicall3's
 * runtime code at its canonical address, skipping whatever is already present. Works on a fresh or
 * an already-running anvil, without any private key (the minter is impersonated).
 *
 * Throws `LocalChainError`: `deterministic_deployer_missing`, `local_transaction_failed`.
 */
export async function deployLocalContracts({
  rpcUrl,
}: DeployLocalContractsParams): Promise<DeployLocalContractsResult> {
  const clients = createLocalChainClients({ rpcUrl });
  const tokenDeployed = await deployTestUsd({ clients });
  const multicallInstalled = await installMulticall3({ clients });
  return {
    tokenAddress: predictTestUsdAddress(),
    multicallAddress: MULTICALL3_ADDRESS,
    tokenDeployed,
    multicallInstalled,
  };
}

async function hasCode({
  clients,
  address,
}: {
  clients: LocalChainClients;
  address: Address;
}): Promise<boolean> {
  const code = await clients.publicClient.getCode({ address });
  return code !== undefined && code !== '0x';
}

async function deployTestUsd({ clients }: { clients: LocalChainClients }): Promise<boolean> {
  const tokenAddress = predictTestUsdAddress();
  if (await hasCode({ clients, address: tokenAddress })) {
    return false;
  }
  if (!(await hasCode({ clients, address: DETERMINISTIC_DEPLOYER_ADDRESS }))) {
    throw new LocalChainError({
      code: 'deterministic_deployer_missing',
      message: `no CREATE2 deployer at ${DETERMINISTIC_DEPLOYER_ADDRESS} (was anvil started with --disable-default-create2-deployer?)`,
    });
  }

  // The minter account pays for the deployment too, so the kit needs exactly one impersonated sender.
  const sender = faucetMinterAddress();
  await impersonateFundedAccount({ clients, address: sender });
  const hash = await clients.walletClient.sendTransaction({
    account: sender,
    chain: null,
    to: DETERMINISTIC_DEPLOYER_ADDRESS,
    data: concat([TEST_USD_CREATE2_SALT, testUsdInitCode()]),
  });
  await waitForSuccessfulReceipt({ publicClient: clients.publicClient, hash, purpose: 'deploy test USD' });

  // The deployer reverts when CREATE2 fails, but a constructor that returned empty runtime code would
  // still succeed: check that the token really has code.
  if (!(await hasCode({ clients, address: tokenAddress }))) {
    throw new LocalChainError({
      code: 'local_transaction_failed',
      message: `test USD deployment ${hash} left no code at ${tokenAddress}`,
    });
  }
  return true;
}

async function installMulticall3({ clients }: { clients: LocalChainClients }): Promise<boolean> {
  // Any code already there is left alone: on a fork it is the real Multicall3, which has the same ABI.
  if (await hasCode({ clients, address: MULTICALL3_ADDRESS })) {
    return false;
  }
  await clients.testClient.setCode({ address: MULTICALL3_ADDRESS, bytecode: multicall3DeployedBytecode });
  return true;
}
