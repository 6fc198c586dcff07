// One anvil child process: spawn, wait until its RPC answers, and stop it by PID within a bound.
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicClient, http } from 'viem';
import { LocalChainError } from './local-chain.errors';

/** How long anvil may take to answer its first RPC call (it usually takes < 100 ms). */
export const ANVIL_READY_TIMEOUT_MS = 10_000;
const ANVIL_READY_POLL_INTERVAL_MS = 50;
const ANVIL_READY_PROBE_TIMEOUT_MS = 1_000;
/** How long anvil gets to exit after SIGTERM before it is killed. */
export const ANVIL_STOP_TIMEOUT_MS = 5_000;
const ANVIL_KILL_TIMEOUT_MS = 2_000;
// Enough of anvil's output to explain a failed start, without growing for the life of the chain.
const OUTPUT_TAIL_CHARACTERS_MAX = 8_192;

/** A running anvil node owned by this process. */
export interface AnvilProcess {
  readonly pid: number;
  readonly rpcUrl: string;
  /** The last few KiB of anvil's stdout and stderr. */
  outputTail(): string;
  /** Stops anvil (SIGTERM, then SIGKILL) and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export interface SpawnAnvilParams {
  readonly binaryPath: string;
  readonly host: string;
  readonly port: number;
  readonly chainId: number;
  readonly blockTimeSeconds?: number;
}

/** Spawns anvil and resolves once it answers `eth_chainId` with `chainId`; throws `local_chain_start_failed`. */
export async function spawnAnvil(params: SpawnAnvilParams): Promise<AnvilProcess> {
  const { binaryPath, host, port, chainId, blockTimeSeconds } = params;
  const args = ['--host', host, '--port', String(port), '--chain-id', String(chainId), '--quiet'];
  if (blockTimeSeconds !== undefined) {
    args.push('--block-time', String(blockTimeSeconds));
  }

  const child = spawn(binaryPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const appendOutput = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARACTERS_MAX);
  };
  // Both pipes must be drained or anvil blocks once a pipe buffer fills.
  child.stdout?.on('data', appendOutput);
  child.stderr?.on('data', appendOutput);

  const spawnFailure = new Promise<Error>((resolve) => child.once('error', resolve));
  const rpcUrl = `http://${host}:${port}`;
  const stop = createStopper(child);
  // A test runner that dies without calling stop() must not leave anvil holding the port.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const anvil: AnvilProcess = {
    pid: child.pid ?? -1,
    rpcUrl,
    outputTail: () => output,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stop();
    },
  };

  try {
    await waitUntilReady({ child, rpcUrl, chainId, spawnFailure });
  } catch (error: unknown) {
    await anvil.stop();
    throw new LocalChainError({
      code: 'local_chain_start_failed',
      message: `anvil did not start on ${rpcUrl}: ${error instanceof Error ? error.message : String(error)}\n--- anvil output ---\n${output}`,
      cause: error,
    });
  }
  return anvil;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitUntilReady({
  child,
  rpcUrl,
  chainId,
  spawnFailure,
}: {
  child: ChildProcess;
  rpcUrl: string;
  chainId: number;
  spawnFailure: Promise<Error>;
}): Promise<void> {
  const probe = createPublicClient({
    transport: http(rpcUrl, { timeout: ANVIL_READY_PROBE_TIMEOUT_MS, retryCount: 0 }),
  });
  let failure: Error | undefined;
  void spawnFailure.then((error) => {
    failure = error;
  });

  const deadline = Date.now() + ANVIL_READY_TIMEOUT_MS;
  const attemptsMax = Math.ceil(ANVIL_READY_TIMEOUT_MS / ANVIL_READY_POLL_INTERVAL_MS);
  for (let attempt = 0; attempt < attemptsMax && Date.now() < deadline; attempt++) {
    if (failure !== undefined) {
      throw failure;
    }
    if (hasExited(child)) {
      throw new Error(`anvil exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    const reportedChainId = await probe.getChainId().catch(() => undefined);
    if (reportedChainId !== undefined) {
      // Something answered, but if anvil has died meanwhile it was another process on the same port.
      if (hasExited(child)) {
        throw new Error('anvil exited while another process answered on its port');
      }
      if (reportedChainId !== chainId) {
        throw new Error(`the node reports chain id ${reportedChainId}, expected ${chainId}`);
      }
      return;
    }
    await sleep(ANVIL_READY_POLL_INTERVAL_MS);
  }
  throw new Error(`no RPC answer within ${ANVIL_READY_TIMEOUT_MS} ms`);
}

function createStopper(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (hasExited(child) || child.pid === undefined) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (hasExited(child) || child.pid === undefined) {
        return;
      }
      child.kill('SIGTERM');
      if (await settlesWithin({ promise: exited, timeoutMs: ANVIL_STOP_TIMEOUT_MS })) {
        return;
      }
      child.kill('SIGKILL');
      if (!(await settlesWithin({ promise: exited, timeoutMs: ANVIL_KILL_TIMEOUT_MS }))) {
        throw new Error(`anvil (pid ${child.pid}) did not exit after SIGKILL`);
      }
    })();
    return stopping;
  };
}

async function settlesWithin({
  promise,
  timeoutMs,
}: {
  promise: Promise<void>;
  timeoutMs: number;
}): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function sleep(durationMs: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, durationMs));
}
