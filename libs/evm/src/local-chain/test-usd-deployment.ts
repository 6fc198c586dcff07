// How the test USD token is deployed: init code with its minter, and the CREATE2 address it gets.
import { encodeDeployData, getContractAddress, type Address, type Hex } from 'viem';
import { testUsdAbi } from '../contracts/test-usd.abi';
import { testUsdBytecode } from '../contracts/test-usd.bytecode';
import { faucetMinterAddress } from './anvil-dev-accounts';
import { DETERMINISTIC_DEPLOYER_ADDRESS, TEST_USD_CREATE2_SALT } from './local-contracts.constants';

/** Creation code plus the ABI-encoded minter argument. */
export function testUsdInitCode(): Hex {
  return encodeDeployData({ abi: testUsdAbi, bytecode: testUsdBytecode, args: [faucetMinterAddress()] });
}

/** The address the deterministic deployer gives the token on any chain. */
export function predictTestUsdAddress(): Address {
  return getContractAddress({
    opcode: 'CREATE2',
    from: DETERMINISTIC_DEPLOYER_ADDRESS,
    salt: TEST_USD_CREATE2_SALT,
    bytecode: testUsdInitCode(),
  });
}
