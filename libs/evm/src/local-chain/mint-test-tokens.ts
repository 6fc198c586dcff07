// Faucet: mints test USD on a local anvil chain by impersonating the token's minter.
import type { Address, Hash } from 'viem';
import { testUsdAbi } from '../contracts/test-usd.abi';
import { faucetMinterAddress } from './anvil-dev-accounts';
import { impersonateFundedAccount } from './impersonate-funded-account';
import { createLocalChainClients } from './local-chain-clients';
import { waitForSuccessfulReceipt } from './wait-for-successful-receipt';

export interface MintTestTokensParams {
  /** An anvil node; impersonation makes this fail anywhere else, which is intended. */
  readonly rpcUrl: string;
  readonly tokenAddress: Address;
  readonly to: Address;
  readonly amountAtomic: bigint;
}

/**
 * Mints `amountAtomic` (6-decimal units) of test USD to `to`, waits for the receipt and returns the
 * transaction hash.
 * No private key is involved: anvil sends as the impersonated minter.
 *
 * Throws `LocalChainError` (`local_transaction_failed`) on revert or receipt timeout.
 */
export async function mintTestTokens({
  rpcUrl,
  tokenAddress,
  to,
  amountAtomic,
}: MintTestTokensParams): Promise<Hash> {
  if (amountAtomic <= 0n) {
    throw new RangeError('amountAtomic must be positive');
  }
  const clients = createLocalChainClients({ rpcUrl });
  const minter = faucetMinterAddress();
  await impersonateFundedAccount({ clients, address: minter });
  const transactionHash = await clients.walletClient.writeContract({
    account: minter,
    chain: null,
    address: tokenAddress,
    abi: testUsdAbi,
    functionName: 'mint',
    args: [to, amountAtomic],
  });
  await waitForSuccessfulReceipt({
    publicClient: clients.publicClient,
    hash: transactionHash,
    purpose: 'mint test USD',
  });
  return transactionHash;
}
