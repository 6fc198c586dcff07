// Short-lived `pg` sessions with the tooling's timeouts, plus the server-level database commands
// (create, drop) that must run while connected to a different database.
import pg from 'pg';
import { assertDatabaseName, type ConnectionParams, pgClientConfig } from './connection-params';
import { STATEMENT_TIMEOUT_MS } from './db-limits';

/** The database every PostgreSQL server has, used to create and drop the others. */
const MAINTENANCE_DATABASE = 'postgres';
const DUPLICATE_DATABASE_SQLSTATE = '42P04';
/** Two concurrent CREATE DATABASE calls can also collide on pg_database's unique index. */
const UNIQUE_VIOLATION_SQLSTATE = '23505';

/** Parameters of {@link withPgClient}. */
export type WithPgClientParams = {
  readonly connection: ConnectionParams;
  readonly statementTimeoutMs?: number;
};

/** Opens one connection, runs `work` on it and always closes it. */
export async function withPgClient<Result>(
  params: WithPgClientParams,
  work: (client: pg.Client) => Promise<Result>,
): Promise<Result> {
  const client = new pg.Client(
    pgClientConfig(params.connection, params.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS),
  );
  // A connection dropped by the server emits 'error'; without a listener Node would crash the process
  // instead of letting the pending query reject.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The same server's `postgres` database, from which other databases are created and dropped. */
export function maintenanceDatabase(connection: ConnectionParams): ConnectionParams {
  return { ...connection, database: MAINTENANCE_DATABASE };
}

/**
 * Creates `connection.database` unless it exists. Returns whether it was created. A concurrent
 * creator winning the race counts as "exists".
 */
export async function createDatabaseIfMissing(connection: ConnectionParams): Promise<boolean> {
  assertDatabaseName(connection.database);
  return withPgClient({ connection: maintenanceDatabase(connection) }, async (client) => {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      connection.database,
    ]);
    if (existing.rowCount !== 0) return false;
    try {
      await client.query(`CREATE DATABASE "${connection.database}"`);
      return true;
    } catch (error: unknown) {
      const lostRace =
        isPgError(error) &&
        (error.code === DUPLICATE_DATABASE_SQLSTATE || error.code === UNIQUE_VIOLATION_SQLSTATE);
      if (lostRace) return false;
      throw error;
    }
  });
}

/** Drops `connection.database` if it exists, terminating its sessions first (WITH (FORCE), PG >= 13). */
export async function dropDatabaseForce(connection: ConnectionParams): Promise<void> {
  assertDatabaseName(connection.database);
  await withPgClient({ connection: maintenanceDatabase(connection) }, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${connection.database}" WITH (FORCE)`);
  });
}

/** Narrows an unknown error to pg's DatabaseError, which carries the SQLSTATE in `code`. */
export function isPgError(error: unknown): error is pg.DatabaseError {
  return error instanceof pg.DatabaseError;
}
