// The reference x402 facilitator for the benchmark: test/support/reference-x402/facilitator.ts (the
// reference @x402/core + @x402/evm facilitator in a bare express app) in a child process, started
// like the interop tests start it (node --import tsx), plus optional Node flags (a CPU profile), and
// with its pid, so the bench can read its CPU time.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { READY_LINE } from '../../test/support/reference-x402/child-process';

const projectRoot = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(projectRoot, 'test', 'support', 'reference-x402', 'facilitator.ts');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

export interface ReferenceFacilitator {
  readonly pid: number;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startReferenceFacilitator(params: {
  port: number;
  rpcUrl: string;
  chainId: number;
  /** The anvil dev account its wallet client uses (it sends nothing while verifying). */
  accountIndex: number;
  /** Flags for node itself, e.g. `--cpu-prof`. */
  nodeFlags?: readonly string[];
}): Promise<ReferenceFacilitator> {
  const child = spawn(process.execPath, [...(params.nodeFlags ?? []), '--import', 'tsx', SCRIPT], {
    cwd: projectRoot,
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      PORT: String(params.port),
      RPC_URL: params.rpcUrl,
      CHAIN_ID: String(params.chainId),
      FACILITATOR_ACCOUNT_INDEX: String(params.accountIndex),
      V1_NETWORK: 'base-sepolia',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
  };
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`The reference facilitator was not ready within ${READY_TIMEOUT_MS} ms: ${output}`),
          ),
        READY_TIMEOUT_MS,
      );
      let ready = false;
      const onData = (chunk: Buffer): void => {
        output = (output + chunk.toString('utf8')).slice(-16_384);
        if (!ready && output.split('\n').some((line) => line.trim() === READY_LINE)) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`The reference facilitator exited (${code ?? signal}): ${output}`));
      });
    });
    if (child.pid === undefined) throw new Error('The reference facilitator has no pid.');
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return { pid: child.pid, url: `http://127.0.0.1:${params.port}`, stop };
}

/** SIGTERM (it closes its server and exits, writing a CPU profile if asked), then SIGKILL. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
