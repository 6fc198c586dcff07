// Database URLs are turned into explicit connection fields here. Passing fields instead of a
// `connectionString` matters: pg lets a connection string override a separate `database` option,
// which once pointed a "shadow" database at the main one.
import { type ClientConfig } from 'pg';
import { CONNECT_TIMEOUT_MS } from './db-limits';

const POSTGRES_DEFAULT_PORT = 5432;
const DATABASE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Explicit PostgreSQL connection fields parsed from a `postgresql://` URL. */
export type ConnectionParams = {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
};

/**
 * Parses a `postgresql://user:password@host:port/database` URL. Query parameters (sslmode,
 * schema) are not supported; the tooling targets the `public` schema of a local or CI server.
 */
export function parseDatabaseUrl(databaseUrl: string): ConnectionParams {
  const url = new URL(databaseUrl);
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new Error(`DATABASE_URL must start with postgresql:// (got ${url.protocol}//).`);
  }
  if (url.search !== '') {
    throw new Error('DATABASE_URL query parameters are not supported by scripts/db.');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  assertDatabaseName(database);
  const user = decodeURIComponent(url.username) || 'postgres';
  const password = decodeURIComponent(url.password);
  const base = {
    host: url.hostname,
    port: url.port === '' ? POSTGRES_DEFAULT_PORT : Number(url.port),
    user,
    database,
  };
  return password === '' ? base : { ...base, password };
}

/** Builds the URL of another database on the same server, for test and shadow databases. */
export function databaseUrlFor(params: ConnectionParams): string {
  const url = new URL('postgresql://localhost');
  url.hostname = params.host;
  url.port = String(params.port);
  url.username = encodeURIComponent(params.user);
  if (params.password !== undefined) url.password = encodeURIComponent(params.password);
  url.pathname = `/${params.database}`;
  return url.toString();
}

/**
 * Rejects database names that would need quoting tricks. Names are interpolated into
 * CREATE/DROP DATABASE (which take no bind parameters), so only plain identifiers pass.
 */
export function assertDatabaseName(database: string): void {
  if (!DATABASE_NAME_PATTERN.test(database)) {
    throw new Error(`Database name ${JSON.stringify(database)} must match ${String(DATABASE_NAME_PATTERN)}.`);
  }
}

/** Options for a `pg` client or pool with the tooling's connect and statement timeouts applied. */
export function pgClientConfig(params: ConnectionParams, statementTimeoutMs: number): ClientConfig {
  return {
    host: params.host,
    port: params.port,
    user: params.user,
    ...(params.password === undefined ? {} : { password: params.password }),
    database: params.database,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // The server aborts long statements; the client-side limit covers a server that stops answering.
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + CONNECT_TIMEOUT_MS,
    application_name: 'proco-scripts-db',
  };
}
