// `create`: writes the next migration from the difference between the migrations folder and the
// Prisma schema, in the layout `prisma migrate dev --create-only` produces.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MIGRATION_NAME_LENGTH_MAX } from './db-limits';
import { diffMigrationsToSchema } from './diff-migrations';
import {
  MIGRATION_LOCK_CONTENT,
  MIGRATION_LOCK_FILE,
  MIGRATION_SCRIPT_FILE,
  readMigrations,
} from './migrations-directory';
import { type ProjectPathOverrides, resolveProjectPaths } from './project-paths';

/** Parameters of {@link createMigration}. */
export type CreateMigrationParams = ProjectPathOverrides & {
  /** Human name; lowercased and reduced to `[a-z0-9_]`, as Prisma does. */
  readonly name: string;
  /** Server on which the shadow database is created. */
  readonly databaseUrl?: string;
  /** Write the migration even when the schema adds nothing, for hand-written SQL (triggers, data). */
  readonly allowEmpty?: boolean;
  /** Clock for the directory timestamp; tests pass a fixed one. */
  readonly now?: Date;
};

/** Result of {@link createMigration}: null when there was nothing to write. */
export type CreateMigrationResult = { readonly migrationName: string; readonly scriptPath: string } | null;

/** Reduces a free-form name to Prisma's `[a-z0-9_]` migration-name alphabet. */
export function toMigrationSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (slug === '') throw new Error(`Migration name ${JSON.stringify(name)} has no letters or digits.`);
  if (slug.length > MIGRATION_NAME_LENGTH_MAX) {
    throw new Error(`Migration name is longer than ${MIGRATION_NAME_LENGTH_MAX} characters.`);
  }
  return slug;
}

/** Formats `now` as Prisma's directory prefix, YYYYMMDDHHMMSS in UTC. */
export function migrationTimestamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * Writes `<migrationsDirectory>/<UTC timestamp>_<name>/migration.sql` holding the SQL that brings
 * the migrations up to the schema, plus migration_lock.toml before the first migration. Returns
 * null, writing nothing, when the schema and migrations already agree and `allowEmpty` is unset.
 * Throws when the new directory would not sort after every existing migration (clock skew).
 */
export async function createMigration(params: CreateMigrationParams): Promise<CreateMigrationResult> {
  const paths = resolveProjectPaths(params);
  const migrationName = `${migrationTimestamp(params.now ?? new Date())}_${toMigrationSlug(params.name)}`;
  const latest = readMigrations(paths.migrationsDirectory).at(-1);
  if (latest !== undefined && latest.name >= migrationName) {
    throw new Error(`New migration ${migrationName} would not sort after the latest one, ${latest.name}.`);
  }
  const sql = await diffMigrationsToSchema(params);
  if (sql === '' && params.allowEmpty !== true) return null;

  const directory = path.join(paths.migrationsDirectory, migrationName);
  mkdirSync(directory, { recursive: true });
  const lockPath = path.join(paths.migrationsDirectory, MIGRATION_LOCK_FILE);
  if (!existsSync(lockPath)) writeFileSync(lockPath, MIGRATION_LOCK_CONTENT);
  const scriptPath = path.join(directory, MIGRATION_SCRIPT_FILE);
  // An empty draft still gets a comment so nobody mistakes it for a failed write.
  writeFileSync(scriptPath, sql === '' ? '-- This is an empty migration.\n' : `${sql}\n`);
  return { migrationName, scriptPath };
}
