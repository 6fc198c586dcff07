// Faucet: sets an account's ETH balance on a local anvil chain (gas money for test wallets).
import type { Address } from 'viem';
import { createLocalChainClients } from './local-chain-clients';

export interface SetNativeBalanceParams {
  readonly rpcUrl: string;
  readonly address: Address;
  /** The new balance (not an increment), in wei. */
  readonly amountWei: bigint;
}

/**
 * Overwrites `address`'s native balance with `amountWei` via `anvil_setBalance`. This is a state
 * edit, not a transaction, so there is no hash: it takes effect immediately.
 */
export async function setNativeBalance({
  rpcUrl,
  address,
  amountWei,
}: SetNativeBalanceParams): Promise<void> {
  if (amountWei < 0n) {
    throw new RangeError('amountWei must not be negative');
  }
  const { testClient } = createLocalChainClients({ rpcUrl });
  await testClient.setBalance({ address, value: amountWei });
}
