// Bounds and fixed identifiers shared by the migration tooling. Every database round trip and
// every engine call below is bounded by one of these, so a stuck server fails a command instead
// of hanging a CI job.

/** Database the tooling targets when DATABASE_URL is not set. */
export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/proco';

/** How long opening one PostgreSQL connection may take. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** How long one ordinary statement (bookkeeping, catalogue reads, CREATE/DROP DATABASE) may run. */
export const STATEMENT_TIMEOUT_MS = 30_000;

/** How long one migration script may run; migrations can rewrite large tables. */
export const MIGRATION_STATEMENT_TIMEOUT_MS = 600_000;

/** How long `deploy` waits for another deploy to release the migration lock (Prisma uses 10 s). */
export const ADVISORY_LOCK_TIMEOUT_MS = 10_000;

/** How long one schema-engine call (diff, diagnose) may take, including its shadow database. */
export const ENGINE_CALL_TIMEOUT_MS = 120_000;

/**
 * The advisory lock key Prisma Migrate takes before touching `_prisma_migrations`. Using the same
 * key serialises our runner against the stock `prisma migrate deploy` as well as against itself.
 */
export const PRISMA_MIGRATE_ADVISORY_LOCK_KEY = 72_707_369;

/** Connections one engine-side pool may open; the engine works on one connection at a time. */
export const ENGINE_POOL_CONNECTIONS_MAX = 2;

/** Longest migration name `create` accepts; Prisma stores names in VARCHAR(255) with a timestamp. */
export const MIGRATION_NAME_LENGTH_MAX = 200;

/** Most migration directories the tooling will read; far above any real history, it bounds the scan. */
export const MIGRATION_DIRECTORIES_MAX = 10_000;
