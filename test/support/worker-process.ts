// Runs the worker (apps/worker/src/main.ts, as production starts it) in its own Node process on an
// API harness's database, Redis prefix and master key, so a suite can kill it with SIGKILL (or let
// a failpoint do so) and start another one, as an operator's supervisor would.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';

/** How long a worker may take to boot: SWC compiles the sources on the fly in the child. */
export const WORKER_READY_TIMEOUT_MS = 30_000;
/** How long a worker gets to exit after SIGTERM before it is killed. */
export const WORKER_STOP_TIMEOUT_MS = 5_000;
/** Output kept per worker for failure messages; older output is dropped. */
const OUTPUT_KEPT_CHARS = 64 * 1024;
/** The message the worker logs once its processors run. */
const READY_MESSAGE = '"msg":"worker started"';

const projectRoot = path.resolve(__dirname, '..', '..');
const runTs = path.join(projectRoot, 'bench', 'support', 'run-ts.mjs');

/** How a worker process ended. */
export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  readonly pid: number;
  /** The last output of the child (stdout and stderr), for failure messages. */
  output(): string;
  /** Whether the child is still running. */
  alive(): boolean;
  /** Resolves once the child has exited, however it ended. */
  readonly exited: Promise<WorkerExit>;
  /** Waits at most `timeoutMs` for the child to exit on its own (a failpoint's crash). */
  waitForExit(timeoutMs: number): Promise<WorkerExit>;
  /** Kills the child with SIGKILL and waits until it is gone. */
  kill(): Promise<WorkerExit>;
  /** SIGTERM (a graceful shutdown), then SIGKILL after `WORKER_STOP_TIMEOUT_MS`. */
  stop(): Promise<WorkerExit>;
}

export interface StartWorkerProcessParams {
  readonly databaseUrl: string;
  readonly redisPrefix: string;
  readonly masterKeyBase64: string;
  /** The shared test Redis unless given (e.g. a private server a suite restarts). */
  readonly redisUrl?: string;
  /** Extra environment variables, e.g. `PROCO_FAILPOINTS`. */
  readonly environment?: Record<string, string>;
}

/** Every worker process started and not yet gone, killed if the test runner exits first. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts a worker process and resolves once it has logged that it started. */
export async function startWorkerProcess(params: StartWorkerProcessParams): Promise<WorkerProcess> {
  installExitHook();
  // A clean environment: nothing of the runner's own PROCO_* settings may leak into the worker.
  const environment: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    PROCO_ENV: 'test',
    DATABASE_URL: params.databaseUrl,
    REDIS_URL: params.redisUrl ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    PROCO_REDIS_PREFIX: params.redisPrefix,
    PROCO_MASTER_KEY: params.masterKeyBase64,
    PROCO_NETWORKS_FILE: inject('networksFile'),
    PROCO_LOG_LEVEL: 'info',
    PROCO_DATABASE_POOL_SIZE: '5',
    ...params.environment,
  };
  const child = spawn(process.execPath, [runTs, 'apps/worker/src/main.ts'], {
    cwd: projectRoot,
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  let output = '';
  let ready = false;
  const readiness = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not ready within ${WORKER_READY_TIMEOUT_MS} ms:\n${output}`)),
      WORKER_READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT_CHARS);
      if (!ready && output.includes(READY_MESSAGE)) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!ready)
        reject(new Error(`worker exited (code ${code}, signal ${signal}) before ready:\n${output}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  const kill = async (): Promise<WorkerExit> => {
    // A child that never started (spawn failed) has no pid and will never exit.
    if (child.pid === undefined) return { code: null, signal: null };
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  };
  const handle: WorkerProcess = {
    pid: child.pid ?? -1,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    exited,
    async waitForExit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`worker ${child.pid} still running after ${timeoutMs} ms:\n${output}`)),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_STOP_TIMEOUT_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  try {
    await readiness;
  } catch (error: unknown) {
    await kill();
    throw error;
  }
  return handle;
}

// A runner that dies (or is interrupted) must not leave workers consuming a Redis prefix.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}
