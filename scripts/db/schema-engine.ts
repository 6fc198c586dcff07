// Loads Prisma's schema engine from @prisma/schema-engine-wasm and runs it against PostgreSQL
// through our adapter factory. The package's own entry point imports the .wasm file as an ES
// module, which Node 20 cannot do, so the module is compiled and instantiated by hand here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bindMigrationAwareSqlAdapterFactory, type ErrorRegistry } from '@prisma/driver-adapter-utils';
import { type SchemaEngine, type SchemaFilter } from '@prisma/schema-engine-wasm';
import type * as EngineRuntimeModule from '@prisma/schema-engine-wasm/schema_engine_bg';
import { type ConnectionParams } from './connection-params';
import { ENGINE_CALL_TIMEOUT_MS } from './db-limits';
import { createMigrationAdapterFactory } from './migration-adapter';
import { withTimeout } from './with-timeout';

type EngineRuntime = typeof EngineRuntimeModule;

/**
 * The slice of the WebAssembly JS API used here. Node has it globally, but the project's lib
 * setting (es2023, no DOM) and @types/node 20 do not declare it.
 */
type WebAssemblyApi = {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: Record<string, object>): Promise<{ exports: Record<string, unknown> }>;
};
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** The JS glue module name the .wasm file imports its host functions from. */
const WASM_GLUE_MODULE = './schema_engine_bg.js';
/** Engine log lines kept for error messages; older lines are dropped. */
const ENGINE_LOG_LINES_MAX = 50;

/** No externally managed tables or enums: Prisma owns the whole `public` schema. */
export const NO_SCHEMA_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

let runtimeLoading: Promise<EngineRuntime> | undefined;

function resolveWasmPath(projectRoot: string): string {
  const requireFromProject = createRequire(path.join(projectRoot, 'package.json'));
  const gluePath = requireFromProject.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  return path.join(path.dirname(gluePath), 'schema_engine_bg.wasm');
}

async function instantiateRuntime(projectRoot: string): Promise<EngineRuntime> {
  const runtime = await import('@prisma/schema-engine-wasm/schema_engine_bg');
  const module = await webAssembly.compile(readFileSync(resolveWasmPath(projectRoot)));
  // The glue module's namespace is exactly the import object wasm-bindgen generated it for.
  const instance = await webAssembly.instantiate(module, { [WASM_GLUE_MODULE]: runtime });
  runtime.__wbg_set_wasm(instance.exports);
  const start = instance.exports['__wbindgen_start'];
  if (typeof start !== 'function') throw new Error('schema-engine-wasm has no __wbindgen_start export.');
  (start as () => void)();
  return runtime;
}

/**
 * Loads the engine once per process. The glue module keeps the instance in a module-level
 * variable, so a second instantiation would silently replace the first one under live engines.
 */
function loadRuntime(projectRoot: string): Promise<EngineRuntime> {
  runtimeLoading ??= instantiateRuntime(projectRoot).catch((error: unknown) => {
    runtimeLoading = undefined;
    throw error;
  });
  return runtimeLoading;
}

/** A Prisma schema file as the engine takes it. */
export type SchemaFile = { readonly path: string; readonly content: string };

/** Parameters of {@link withSchemaEngine}. */
export type WithSchemaEngineParams = {
  readonly projectRoot: string;
  /** The engine's main database (see CreateMigrationAdapterFactoryParams for why diffs need one). */
  readonly main: ConnectionParams;
  readonly schema: SchemaFile;
  readonly timeoutMs?: number;
  readonly operation: string;
};

/** Raised when an engine call fails; carries the engine's last log lines for diagnosis. */
export class SchemaEngineError extends Error {
  override readonly name = 'SchemaEngineError';
  constructor(message: string, options: { cause: unknown; logs: readonly string[] }) {
    super(message, { cause: options.cause });
    this.logs = options.logs;
  }
  readonly logs: readonly string[];
}

const EXTERNAL_ERROR_PATTERN = /External error id#(\d+)/;

/**
 * Errors thrown inside our adapter reach the engine as registry ids ("External error id#3");
 * the registry holds the original, which is the part worth showing.
 */
function resolveEngineFailure(error: unknown, registry: ErrorRegistry): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const match = EXTERNAL_ERROR_PATTERN.exec(message);
  if (match?.[1] === undefined) return error;
  return registry.consumeError(Number(match[1]))?.error ?? error;
}

function describeEngineFailure(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return JSON.stringify(error);
}

/**
 * Starts a schema engine connected to `main`, runs `work` with it, and always frees the engine and
 * closes every connection and shadow database it opened, even after a timeout.
 */
export async function withSchemaEngine<Result>(
  params: WithSchemaEngineParams,
  work: (engine: SchemaEngine) => Promise<Result>,
): Promise<Result> {
  const runtime = await loadRuntime(params.projectRoot);
  const factory = createMigrationAdapterFactory({ main: params.main });
  const logs: string[] = [];
  const collectLog = (line: unknown): void => {
    logs.push(String(line));
    if (logs.length > ENGINE_LOG_LINES_MAX) logs.shift();
  };
  const boundFactory = bindMigrationAwareSqlAdapterFactory(factory);
  let engine: SchemaEngine | undefined;
  let settled = false;
  try {
    const run = async (): Promise<Result> => {
      engine = await runtime.SchemaEngine.new(
        { datamodels: [[params.schema.path, params.schema.content]] },
        collectLog,
        boundFactory,
      );
      return await work(engine);
    };
    const running = run().finally(() => {
      settled = true;
    });
    return await withTimeout(running, params.timeoutMs ?? ENGINE_CALL_TIMEOUT_MS, params.operation);
  } catch (error: unknown) {
    const cause = resolveEngineFailure(error, boundFactory.errorRegistry);
    throw new SchemaEngineError(`${params.operation} failed: ${describeEngineFailure(cause)}`, {
      cause,
      logs,
    });
  } finally {
    // Freeing an engine with a call still in flight would pull memory from under the WASM code;
    // after a timeout it is left to the garbage collector, and closing its pools below makes the
    // stuck call fail instead of hanging.
    if (settled) engine?.free();
    await factory.disposeAll();
  }
}
