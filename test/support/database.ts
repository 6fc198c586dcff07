// Throwaway PostgreSQL databases for integration tests: one uniquely named database per caller,
// migrated with the same runner `npm run db:deploy` uses, dropped WITH (FORCE) afterwards.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { applyMigrations } from '../../scripts/db/apply-migrations';
import { databaseUrlFor, parseDatabaseUrl } from '../../scripts/db/connection-params';
import { DEFAULT_DATABASE_URL } from '../../scripts/db/db-limits';
import { dropDatabaseForce } from '../../scripts/db/pg-session';

/** Prefix of every test database, so leftovers from a killed run are easy to find and drop. */
export const TEST_DATABASE_PREFIX = 'proco_test_';

/** A migrated, uniquely named test database. */
export type TestDatabase = {
  readonly url: string;
  readonly name: string;
  /** Drops the database, disconnecting any session still open on it. Safe to call twice. */
  drop(): Promise<void>;
};

/** Parameters of {@link createTestDatabase}. */
export type CreateTestDatabaseParams = {
  /** Server to create the database on; defaults to DATABASE_URL's server, then the local default. */
  readonly serverUrl?: string;
  /** Migrations to apply; defaults to prisma/migrations. */
  readonly migrationsDirectory?: string;
};

/** Repository root: this file lives in test/support. */
const projectRoot = path.resolve(__dirname, '..', '..');

/**
 * Creates `proco_test_<random>` on the server, applies every migration and returns its URL.
 * If migrating fails the database is dropped before the error is rethrown.
 */
export async function createTestDatabase(params: CreateTestDatabaseParams = {}): Promise<TestDatabase> {
  const server = parseDatabaseUrl(params.serverUrl ?? process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL);
  const name = `${TEST_DATABASE_PREFIX}${randomUUID().replaceAll('-', '')}`;
  const connection = { ...server, database: name };
  const url = databaseUrlFor(connection);
  const drop = (): Promise<void> => dropDatabaseForce(connection);
  try {
    await applyMigrations({
      databaseUrl: url,
      projectRoot,
      ...(params.migrationsDirectory === undefined
        ? {}
        : { migrationsDirectory: params.migrationsDirectory }),
    });
  } catch (error: unknown) {
    await drop();
    throw error;
  }
  return { url, name, drop };
}
