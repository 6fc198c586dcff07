// `deploy`: applies pending migrations the way `prisma migrate deploy` does, with plain `pg`.
//
// Why not the WASM engine's applyMigrations: the engine reaches PostgreSQL through a driver
// adapter backed by a pool, and Prisma's session-level advisory lock is only meaningful when the
// lock, the history writes and the scripts share one session. A single dedicated connection gives
// that guarantee, puts a timeout on each step, and avoids loading 5 MB of WASM on every deploy.
// The history it writes is checked against the engine's own reader in the integration tests.
import type pg from 'pg';
import { parseDatabaseUrl } from './connection-params';
import {
  ADVISORY_LOCK_TIMEOUT_MS,
  MIGRATION_STATEMENT_TIMEOUT_MS,
  PRISMA_MIGRATE_ADVISORY_LOCK_KEY,
} from './db-limits';
import {
  FailedMigrationRecordedError,
  MigrationLockTimeoutError,
  MigrationScriptFailedError,
} from './migration.errors';
import { type MigrationOnDisk, readMigrations } from './migrations-directory';
import {
  ensureMigrationsTable,
  isFailedRecord,
  type MigrationRecord,
  readMigrationRecords,
  recordMigrationFailed,
  recordMigrationFinished,
  recordMigrationStarted,
} from './migrations-table';
import { createDatabaseIfMissing, isPgError, withPgClient } from './pg-session';
import { type ProjectPathOverrides, resolveProjectPaths } from './project-paths';

const LOCK_NOT_AVAILABLE_SQLSTATE = '55P03';

/** Parameters of {@link applyMigrations}. */
export type ApplyMigrationsParams = Pick<ProjectPathOverrides, 'projectRoot' | 'migrationsDirectory'> & {
  readonly databaseUrl: string;
};

/** Result of {@link applyMigrations}. */
export type ApplyMigrationsResult = {
  readonly createdDatabase: boolean;
  /** Migrations applied by this call, in order; empty when the database was up to date. */
  readonly appliedMigrationNames: readonly string[];
  /** Applied migrations whose migration.sql changed since (Prisma warns about these too). */
  readonly editedMigrationNames: readonly string[];
};

/**
 * Waits for Prisma Migrate's advisory lock. `lock_timeout` bounds the wait server-side, so the
 * session never blocks forever behind a stuck deploy.
 */
async function acquireMigrationLock(client: pg.Client): Promise<void> {
  await client.query(`SET lock_timeout = ${ADVISORY_LOCK_TIMEOUT_MS}`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_ADVISORY_LOCK_KEY]);
  } catch (error: unknown) {
    if (isPgError(error) && error.code === LOCK_NOT_AVAILABLE_SQLSTATE) {
      throw new MigrationLockTimeoutError(ADVISORY_LOCK_TIMEOUT_MS, { cause: error });
    }
    throw error;
  } finally {
    await client.query('RESET lock_timeout');
  }
}

/**
 * Releases the lock. Best effort: if the session is already broken, closing it releases the lock
 * too, and the original error is the one worth reporting.
 */
async function releaseMigrationLock(client: pg.Client): Promise<void> {
  await client
    .query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_ADVISORY_LOCK_KEY])
    .catch(() => undefined);
}

function pendingMigrations(
  onDisk: readonly MigrationOnDisk[],
  records: readonly MigrationRecord[],
): MigrationOnDisk[] {
  const applied = new Set(
    records.filter((record) => record.rolledBackAt === null).map((r) => r.migrationName),
  );
  return onDisk.filter((migration) => !applied.has(migration.name));
}

function editedMigrations(onDisk: readonly MigrationOnDisk[], records: readonly MigrationRecord[]): string[] {
  const checksums = new Map(onDisk.map((migration) => [migration.name, migration.checksum]));
  return records
    .filter((record) => record.rolledBackAt === null && record.finishedAt !== null)
    .filter((record) => {
      const checksum = checksums.get(record.migrationName);
      return checksum !== undefined && checksum !== record.checksum;
    })
    .map((record) => record.migrationName);
}

/**
 * Runs one migration: record it as started, run the whole script as one simple-protocol query
 * (PostgreSQL wraps a multi-statement query in one implicit transaction, so a failure leaves no
 * partial DDL), then record it as finished, or leave it failed with the error in `logs`.
 */
async function applyOneMigration(client: pg.Client, migration: MigrationOnDisk): Promise<void> {
  const id = await recordMigrationStarted(client, migration);
  try {
    await client.query(migration.script);
  } catch (error: unknown) {
    const failure = new MigrationScriptFailedError(migration.name, { cause: error });
    // A script with its own BEGIN leaves the session in an aborted transaction; without a
    // transaction open, ROLLBACK only warns.
    await client.query('ROLLBACK');
    await recordMigrationFailed(client, id, failure.message);
    throw failure;
  }
  await recordMigrationFinished(client, id);
}

/**
 * Creates the database if it is missing, then applies every migration in the migrations folder
 * that `_prisma_migrations` does not record as applied, exactly as `prisma migrate deploy` would:
 * same history table, sha256 checksums, advisory lock 72707369.
 *
 * Errors: `migration_lock_timeout` (another deploy holds the lock), `failed_migration_recorded`
 * (a previous deploy failed and was not resolved; nothing is applied), `migration_script_failed`.
 */
export async function applyMigrations(params: ApplyMigrationsParams): Promise<ApplyMigrationsResult> {
  const connection = parseDatabaseUrl(params.databaseUrl);
  const onDisk = readMigrations(resolveProjectPaths(params).migrationsDirectory);
  const createdDatabase = await createDatabaseIfMissing(connection);
  return withPgClient({ connection, statementTimeoutMs: MIGRATION_STATEMENT_TIMEOUT_MS }, async (client) => {
    await acquireMigrationLock(client);
    try {
      await ensureMigrationsTable(client);
      const records = await readMigrationRecords(client);
      const failed = records.filter(isFailedRecord).map((record) => record.migrationName);
      if (failed.length > 0) throw new FailedMigrationRecordedError(failed);

      const pending = pendingMigrations(onDisk, records);
      // Sequential on purpose: each migration may depend on the previous one.
      for (const migration of pending) await applyOneMigration(client, migration);
      return {
        createdDatabase,
        appliedMigrationNames: pending.map((migration) => migration.name),
        editedMigrationNames: editedMigrations(onDisk, records),
      };
    } finally {
      await releaseMigrationLock(client);
    }
  });
}
