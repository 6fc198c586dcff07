// Runs one reference x402 component (facilitator or resource server) in its own Node process, so a
// `process.exit` inside the reference code can never take the test runner down. The child prints
// one line `{"ready":true}` once it listens; the parent waits for it with a deadline and stops it
// with SIGTERM, then SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

/** How long a child may take to boot (tsx compile, imports, facilitator sync). */
export const REFERENCE_READY_TIMEOUT_MS = 20_000;
/** How long a child gets to exit after SIGTERM before it is killed. */
export const REFERENCE_STOP_TIMEOUT_MS = 3_000;
/** The line a child prints on stdout once it accepts requests. */
export const READY_LINE = '{"ready":true}';

export interface ReferenceProcess {
  readonly name: string;
  /** Everything the child wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartReferenceProcessParams {
  /** A script in this folder, e.g. `facilitator.ts`. */
  readonly script: string;
  readonly environment: Record<string, string>;
  readonly readyTimeoutMs?: number;
}

export async function startReferenceProcess({
  script,
  environment,
  readyTimeoutMs = REFERENCE_READY_TIMEOUT_MS,
}: StartReferenceProcessParams): Promise<ReferenceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, script)], {
    cwd: join(__dirname, '..', '..', '..'),
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let ready = false;
  const readiness = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} not ready within ${readyTimeoutMs} ms:\n${output}`)),
      readyTimeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
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
      if (!ready)
        reject(new Error(`${script} exited (code ${code}, signal ${signal}) before ready:\n${output}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  const handle: ReferenceProcess = {
    name: script,
    output: () => output,
    stop: () => stopChild(child),
  };
  try {
    await readiness;
  } catch (error: unknown) {
    await handle.stop();
    throw error;
  }
  return handle;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), REFERENCE_STOP_TIMEOUT_MS).unref()),
  ]);
  if (timedOut && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Reads a required environment variable in a child script. */
export function requiredEnvironment(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

/** Reports readiness to the parent. */
export function signalReady(): void {
  process.stdout.write(`${READY_LINE}\n`);
}
