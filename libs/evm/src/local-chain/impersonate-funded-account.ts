// Lets the kit send transactions from a fixed address without holding its key: anvil impersonation.
import { parseEther, type Address } from 'viem';
import type { LocalChainClients } from './local-chain-clients';

// Below this the account might not cover a deployment's gas; topping up is free on anvil.
const GAS_BALANCE_MIN_WEI = parseEther('1');
const GAS_BALANCE_TOP_UP_WEI = parseEther('100');

export interface ImpersonateFundedAccountParams {
  readonly clients: LocalChainClients;
  readonly address: Address;
}

/**
 * Makes anvil accept `eth_sendTransaction` from `address` and gives it gas money if it is short.
 * Works only on anvil, on purpose: nothing here can move funds on a real network.
 */
export async function impersonateFundedAccount({
  clients,
  address,
}: ImpersonateFundedAccountParams): Promise<void> {
  // Impersonation is left on afterwards: concurrent faucet calls would otherwise race to switch it off
  // under each other, and on a dev chain an extra unlocked dev account changes nothing.
  await clients.testClient.impersonateAccount({ address });
  const balanceWei = await clients.publicClient.getBalance({ address });
  if (balanceWei < GAS_BALANCE_MIN_WEI) {
    await clients.testClient.setBalance({ address, value: GAS_BALANCE_TOP_UP_WEI });
  }
}
