// `npm run chain`: a local anvil chain with the test USD token and Multicall3, in the foreground until
// Ctrl-C. Prints addresses only; dev account keys stay derivable from anvil's public mnemonic.
import { anvilDevAccountAddresses, startLocalChain } from '@proco/evm';

const CHAIN_PORT_DEFAULT = 8545;

function readPort(): number {
  const raw = process.env.PROCO_CHAIN_PORT;
  if (raw === undefined || raw === '') {
    return CHAIN_PORT_DEFAULT;
  }
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`PROCO_CHAIN_PORT must be a port number (1-65535), got "${raw}"`);
  }
  return port;
}

async function main(): Promise<void> {
  const host = process.env.PROCO_CHAIN_HOST;
  const chain = await startLocalChain({
    port: readPort(),
    ...(host === undefined || host === '' ? {} : { host }),
  });
  const lines = [
    `RPC URL           ${chain.rpcUrl}`,
    `chain id          ${chain.chainId} (eip155:${chain.chainId})`,
    `test USD (USDC)   ${chain.tokenAddress}`,
    `Multicall3        ${chain.multicallAddress}`,
    "dev accounts (10,000 ETH each; keys derive from anvil's test mnemonic):",
    ...anvilDevAccountAddresses().map((address, index) => `  [${index}] ${address}`),
    '',
    'Fund an address: npm run faucet -- <address> [amount]. Ctrl-C stops the chain.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    // A second Ctrl-C while anvil is stopping must not start a second stop.
    if (stopping) {
      return;
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping anvil (pid ${chain.pid})\n`);
    chain.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
