// `_prisma_migrations`, written exactly the way Prisma Migrate writes it so the stock CLI (and
// the WASM engine's `diagnoseMigrationHistory`) read our history as their own.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type MigrationOnDisk } from './migrations-directory';

/** Prisma's DDL for the history table (schema-engine's postgres flavour), column for column. */
const CREATE_MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

/** One row of `_prisma_migrations`. */
export type MigrationRecord = {
  readonly id: string;
  readonly checksum: string;
  readonly migrationName: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly rolledBackAt: Date | null;
  readonly appliedStepsCount: number;
};

type MigrationRow = {
  id: string;
  checksum: string;
  migration_name: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
};

/** Creates the history table unless it exists. */
export async function ensureMigrationsTable(client: pg.Client): Promise<void> {
  await client.query(CREATE_MIGRATIONS_TABLE_SQL);
}

/** Reads the whole history in the order migrations were started. */
export async function readMigrationRecords(client: pg.Client): Promise<MigrationRecord[]> {
  const result = await client.query<MigrationRow>(
    `SELECT id, checksum, migration_name, started_at, finished_at, rolled_back_at, applied_steps_count
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );
  return result.rows.map((row) => ({
    id: row.id,
    checksum: row.checksum,
    migrationName: row.migration_name,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    rolledBackAt: row.rolled_back_at,
    appliedStepsCount: row.applied_steps_count,
  }));
}

/** A record that started, never finished and was not marked rolled back: Prisma's "failed" state. */
export function isFailedRecord(record: MigrationRecord): boolean {
  return record.finishedAt === null && record.rolledBackAt === null;
}

/** Inserts the "started" row Prisma writes before running a script, and returns its id. */
export async function recordMigrationStarted(client: pg.Client, migration: MigrationOnDisk): Promise<string> {
  const id = randomUUID();
  await client.query(
    `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
     VALUES ($1, $2, $3, NULL, NULL, now(), 0)`,
    [id, migration.checksum, migration.name],
  );
  return id;
}

/** Marks a migration finished: one applied step (the whole script) and `finished_at`. */
export async function recordMigrationFinished(client: pg.Client, id: string): Promise<void> {
  await client.query(
    `UPDATE _prisma_migrations
        SET applied_steps_count = applied_steps_count + 1, finished_at = now()
      WHERE id = $1`,
    [id],
  );
}

/** Leaves the row unfinished (so later deploys refuse) and stores the error in `logs`. */
export async function recordMigrationFailed(client: pg.Client, id: string, logs: string): Promise<void> {
  await client.query('UPDATE _prisma_migrations SET logs = $2 WHERE id = $1', [id, logs]);
}
