// The driver-adapter factory handed to the WASM schema engine. It reuses @prisma/adapter-pg for
// query execution and value decoding, and fixes the four places where that adapter misbehaves
// under the migration engine (pitfalls a-d of the team's toolchain notes, named where fixed).
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  ColumnTypeEnum,
  type ConnectionInfo,
  DriverAdapterError,
  type IsolationLevel,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
  type Transaction,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { type ConnectionParams, pgClientConfig } from './connection-params';
import { ENGINE_POOL_CONNECTIONS_MAX, MIGRATION_STATEMENT_TIMEOUT_MS } from './db-limits';
import { createDatabaseIfMissing, dropDatabaseForce, isPgError } from './pg-session';

/** PostgreSQL's internal single-byte `"char"` type, used by pg_catalog columns such as relkind. */
const PG_CHAR_TYPE_OID = 18;
const PG_TEXT_TYPE_OID = 25;
/** Prefix of shadow databases, so a leaked one is recognisable and safe to drop by hand. */
export const SHADOW_DATABASE_PREFIX = 'proco_shadow_';

type QueryFunction = (config: string | pg.QueryConfig) => Promise<pg.QueryResult>;

/** Indexes of the `"char"` columns of the query running in this async context, if it is tracked. */
const charColumnsOfQuery = new AsyncLocalStorage<{ indexes: number[] }>();

/**
 * Pitfall (a): adapter-pg has no column-type mapping for `"char"` and fails the engine's catalogue
 * queries. The value already decodes as a one-character string, so the pool reports the column as
 * text, and records which columns it changed for `MigrationAdapter.queryRaw`, which reports them to
 * the engine as `Character`: the engine reads some of them as a char (e.g. `pg_constraint.contype`
 * once a table has CHECK constraints) and panics on text. Only the pool's promise-style `query` is
 * patched, which is the path adapter-pg uses outside transactions; the engine reads the catalogue
 * outside transactions.
 */
function reportCharColumnsAsText(pool: pg.Pool): void {
  const query = pool.query.bind(pool) as QueryFunction;
  const patched: QueryFunction = async (config) => {
    const tracked = charColumnsOfQuery.getStore();
    const result = await query(config);
    (result.fields ?? []).forEach((field, index) => {
      if (field.dataTypeID !== PG_CHAR_TYPE_OID) return;
      field.dataTypeID = PG_TEXT_TYPE_OID;
      tracked?.indexes.push(index);
    });
    return result;
  };
  Object.defineProperty(pool, 'query', { value: patched, configurable: true, writable: true });
}

/** Converts a pg error into the driver-adapter error shape the engine renders as a database error. */
function toDriverAdapterError(error: unknown): unknown {
  if (!isPgError(error)) return error;
  return new DriverAdapterError({
    kind: 'postgres',
    code: error.code ?? 'UNKNOWN',
    severity: error.severity ?? 'ERROR',
    message: error.message,
    detail: error.detail,
    column: error.column,
    hint: error.hint,
  });
}

/**
 * One engine connection: adapter-pg for queries, our own script execution, and disposal that
 * ends the pool before anything else is done with its database.
 */
class MigrationAdapter implements SqlDriverAdapter {
  readonly provider = 'postgres';
  readonly adapterName = '@prisma/adapter-pg';
  private disposed = false;

  constructor(
    private readonly inner: SqlDriverAdapter,
    private readonly pool: pg.Pool,
    private readonly afterPoolEnded: () => Promise<void>,
  ) {}

  /** Reports the `"char"` columns the pool turned into text as `Character` (pitfall a). */
  async queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    const tracked = { indexes: [] as number[] };
    const result = await charColumnsOfQuery.run(tracked, () => this.inner.queryRaw(query));
    if (tracked.indexes.length === 0) return result;
    const columnTypes = [...result.columnTypes];
    for (const index of tracked.indexes) columnTypes[index] = ColumnTypeEnum.Character;
    return { ...result, columnTypes };
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return this.inner.executeRaw(query);
  }

  /**
   * Pitfall (d): adapter-pg splits scripts on `;`, which breaks `$$` function bodies and leaves
   * partial DDL behind on failure. One simple-protocol query runs the whole script in one implicit
   * transaction, as the native engine does.
   */
  async executeScript(script: string): Promise<void> {
    try {
      await this.pool.query(script);
    } catch (error: unknown) {
      throw toDriverAdapterError(error);
    }
  }

  startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    return isolationLevel === undefined
      ? this.inner.startTransaction()
      : this.inner.startTransaction(isolationLevel);
  }

  getConnectionInfo(): ConnectionInfo {
    return this.inner.getConnectionInfo?.() ?? { supportsRelationJoins: true };
  }

  /** Idempotent, because both the engine and our own cleanup may dispose the same adapter. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    // adapter-pg ends the pool it was given (disposeExternalPool), and only then may the
    // database be dropped: pitfall (c).
    await this.inner.dispose();
    await this.afterPoolEnded();
  }
}

async function connectMigrationAdapter(
  connection: ConnectionParams,
  afterPoolEnded: () => Promise<void>,
): Promise<MigrationAdapter> {
  const pool = new pg.Pool({
    ...pgClientConfig(connection, MIGRATION_STATEMENT_TIMEOUT_MS),
    max: ENGINE_POOL_CONNECTIONS_MAX,
  });
  // Idle clients that lose their connection emit 'error' on the pool; the next query reports it.
  pool.on('error', () => undefined);
  reportCharColumnsAsText(pool);
  const inner = await new PrismaPg(pool, { disposeExternalPool: true }).connect();
  return new MigrationAdapter(inner, pool, afterPoolEnded);
}

/** Parameters of {@link createMigrationAdapterFactory}. */
export type CreateMigrationAdapterFactoryParams = {
  /**
   * The engine's main database. The engine connects to it as soon as it starts, even for a diff
   * that only needs a shadow database, so diff-only callers pass the server's maintenance database.
   * Shadow databases are created on the same server.
   */
  readonly main: ConnectionParams;
};

/** A migration-aware adapter factory that also disposes whatever the engine leaves open. */
export type MigrationAdapterFactory = SqlMigrationAwareDriverAdapterFactory & {
  disposeAll(): Promise<void>;
};

/**
 * Builds the adapter factory for the WASM schema engine. Shadow databases get a random name
 * (`proco_shadow_<uuid>`) created from explicit connection fields (pitfall b) and are dropped
 * WITH (FORCE) after their pool has ended (pitfall c); `disposeAll` drops any the engine forgot.
 */
export function createMigrationAdapterFactory(
  params: CreateMigrationAdapterFactoryParams,
): MigrationAdapterFactory {
  const open = new Set<MigrationAdapter>();
  const track = (adapter: MigrationAdapter): MigrationAdapter => {
    open.add(adapter);
    return adapter;
  };

  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    async connect() {
      return track(await connectMigrationAdapter(params.main, async () => undefined));
    },
    async connectToShadowDb() {
      const shadow: ConnectionParams = {
        ...params.main,
        database: `${SHADOW_DATABASE_PREFIX}${randomUUID().replaceAll('-', '')}`,
      };
      await createDatabaseIfMissing(shadow);
      try {
        return track(await connectMigrationAdapter(shadow, () => dropDatabaseForce(shadow)));
      } catch (error: unknown) {
        await dropDatabaseForce(shadow);
        throw error;
      }
    },
    async disposeAll() {
      const adapters = [...open];
      open.clear();
      const results = await Promise.allSettled(adapters.map((adapter) => adapter.dispose()));
      const failure = results.find((result) => result.status === 'rejected');
      if (failure !== undefined) throw failure.reason;
    },
  };
}
