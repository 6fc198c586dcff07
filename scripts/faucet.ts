// `npm run faucet -- <address> [amount]`: gives an address test USD (default 1,000) and gas ETH on a
// local anvil chain. Needs no key: the token's minter is impersonated, which only anvil allows.
import { LOCAL_TEST_USD_ADDRESS, deployLocalContracts, mintTestTokens, setNativeBalance } from '@proco/evm';
import { createPublicClient, formatEther, http, isAddress, parseEther, parseUnits, type Address } from 'viem';

const RPC_URL_DEFAULT = 'http://127.0.0.1:8545';
const AMOUNT_DEFAULT = '1000';
const TOKEN_DECIMALS = 6;
// A faucet typo should not mint quadrillions, even of play money.
const AMOUNT_MAX_ATOMIC = parseUnits('1000000000', TOKEN_DECIMALS);
const NATIVE_BALANCE_TARGET_WEI = parseEther('10');
const RPC_TIMEOUT_MS = 10_000;

interface FaucetArguments {
  readonly to: Address;
  readonly amountAtomic: bigint;
}

function parseArguments(argv: readonly string[]): FaucetArguments {
  const [to, amount = AMOUNT_DEFAULT] = argv;
  if (to === undefined || !isAddress(to)) {
    throw new Error('usage: npm run faucet -- <address> [amount in USDC, default 1000]');
  }
  if (!/^\d+(\.\d{1,6})?$/.test(amount)) {
    throw new Error(`amount must be a decimal with at most ${TOKEN_DECIMALS} places, got "${amount}"`);
  }
  const amountAtomic = parseUnits(amount, TOKEN_DECIMALS);
  if (amountAtomic <= 0n || amountAtomic > AMOUNT_MAX_ATOMIC) {
    throw new Error(
      `amount must be above 0 and at most ${AMOUNT_MAX_ATOMIC / 10n ** BigInt(TOKEN_DECIMALS)}`,
    );
  }
  return { to, amountAtomic };
}

async function main(): Promise<void> {
  const { to, amountAtomic } = parseArguments(process.argv.slice(2));
  const rpcUrl = process.env.PROCO_RPC_URL ?? RPC_URL_DEFAULT;
  const client = createPublicClient({ transport: http(rpcUrl, { timeout: RPC_TIMEOUT_MS, retryCount: 0 }) });

  const clientVersion = await client.request({ method: 'web3_clientVersion' });
  if (!clientVersion.toLowerCase().startsWith('anvil')) {
    throw new Error(`${rpcUrl} is "${clientVersion}", not anvil: the faucet only runs on a local chain`);
  }

  // Idempotent: on a chain started with `npm run chain` this finds the token already there.
  const { tokenAddress } = await deployLocalContracts({ rpcUrl });
  if (tokenAddress !== LOCAL_TEST_USD_ADDRESS) {
    throw new Error(`token deployed at ${tokenAddress}, expected ${LOCAL_TEST_USD_ADDRESS}`);
  }
  const transactionHash = await mintTestTokens({ rpcUrl, tokenAddress, to, amountAtomic });

  // Only ever raise the balance, so the faucet never takes ETH away from a well-funded account.
  const balanceWei = await client.getBalance({ address: to });
  if (balanceWei < NATIVE_BALANCE_TARGET_WEI) {
    await setNativeBalance({ rpcUrl, address: to, amountWei: NATIVE_BALANCE_TARGET_WEI });
  }

  process.stdout.write(
    [
      `minted ${amountAtomic} atomic test USD to ${to} (tx ${transactionHash})`,
      `token ${tokenAddress}, ETH balance ${formatEther(await client.getBalance({ address: to }))}`,
    ].join('\n') + '\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
