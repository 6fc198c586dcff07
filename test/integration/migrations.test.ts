// Goal: prove the offline migration tooling behaves like `prisma migrate deploy` / `migrate diff`
// on real PostgreSQL, and that the audit log's append-only triggers hold.
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../scripts/db/apply-migrations';
import { checkSchemaMatchesMigrations } from '../../scripts/db/check-schema';
import { databaseUrlFor, parseDatabaseUrl } from '../../scripts/db/connection-params';
import { DEFAULT_DATABASE_URL } from '../../scripts/db/db-limits';
import { MigrationError } from '../../scripts/db/migration.errors';
import { getMigrationStatus } from '../../scripts/db/migration-status';
import { dropDatabaseForce, maintenanceDatabase } from '../../scripts/db/pg-session';
import { createTestDatabase, TEST_DATABASE_PREFIX, type TestDatabase } from '../support/database';

const projectRoot = path.resolve(__dirname, '..', '..');
const migrationsDirectory = path.join(projectRoot, 'prisma', 'migrations');
const schemaPath = path.join(projectRoot, 'prisma', 'schema.prisma');
const serverUrl = process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
/** Server-level catalogue queries go to `postgres`, since DATABASE_URL's own database may not exist. */
const maintenanceUrl = databaseUrlFor(maintenanceDatabase(parseDatabaseUrl(serverUrl)));
const APPEND_ONLY_ERROR = /audit_events is append-only: (UPDATE|DELETE|TRUNCATE) is not allowed/;

type MigrationRow = {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  logs: string | null;
};

/** Migration directory names on disk, in Prisma's (lexical) order. */
function migrationNamesOnDisk(): string[] {
  return readdirSync(migrationsDirectory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function query<Row extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 30_000,
  });
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** A database name that does not exist yet, on the test server. */
function freshDatabaseUrl(): string {
  const name = `${TEST_DATABASE_PREFIX}${randomUUID().replaceAll('-', '')}`;
  return databaseUrlFor({ ...parseDatabaseUrl(serverUrl), database: name });
}

/** A scratch copy of prisma/migrations that a scenario may extend with extra migrations. */
function copyMigrations(): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'proco-migrations-'));
  cpSync(migrationsDirectory, directory, { recursive: true });
  return directory;
}

function addMigration(directory: string, name: string, script: string): void {
  mkdirSync(path.join(directory, name));
  writeFileSync(path.join(directory, name, 'migration.sql'), script);
}

describe('applyMigrations (deploy)', () => {
  it('applies every migration to a new database, and a second deploy applies nothing', async () => {
    const url = freshDatabaseUrl();
    try {
      const first = await applyMigrations({ databaseUrl: url, projectRoot });
      expect(first.createdDatabase).toBe(true);
      expect(first.appliedMigrationNames).toEqual(migrationNamesOnDisk());

      const second = await applyMigrations({ databaseUrl: url, projectRoot });
      expect(second).toEqual({ createdDatabase: false, appliedMigrationNames: [], editedMigrationNames: [] });
    } finally {
      await dropDatabaseForce(parseDatabaseUrl(url));
    }
  });

  it('serialises concurrent deploys so each migration is applied once', async () => {
    const url = freshDatabaseUrl();
    try {
      const results = await Promise.all([
        applyMigrations({ databaseUrl: url, projectRoot }),
        applyMigrations({ databaseUrl: url, projectRoot }),
      ]);
      const applied = results.flatMap((result) => result.appliedMigrationNames).sort();
      expect(applied).toEqual(migrationNamesOnDisk());
      const rows = await query<MigrationRow>(url, 'SELECT migration_name FROM _prisma_migrations');
      expect(rows).toHaveLength(migrationNamesOnDisk().length);
    } finally {
      await dropDatabaseForce(parseDatabaseUrl(url));
    }
  });

  it('rolls a failing script back, records it as failed, and then refuses to deploy', async () => {
    const directory = copyMigrations();
    const broken = '99990101000000_broken';
    addMigration(directory, broken, 'CREATE TABLE "half_done" ("id" INTEGER);\nSELEC 1;\n');
    const database = await createTestDatabase({ serverUrl });
    try {
      const failure = await applyMigrations({
        databaseUrl: database.url,
        projectRoot,
        migrationsDirectory: directory,
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MigrationError);
      expect((failure as MigrationError).code).toBe('migration_script_failed');

      const tables = await query(database.url, "SELECT 1 FROM pg_tables WHERE tablename = 'half_done'");
      expect(tables).toHaveLength(0);
      const [row] = await query<MigrationRow>(
        database.url,
        'SELECT migration_name, checksum, finished_at, logs FROM _prisma_migrations WHERE migration_name = $1',
        [broken],
      );
      expect(row?.finished_at).toBeNull();
      expect(row?.logs).toContain('SELEC');

      const refusal = await applyMigrations({
        databaseUrl: database.url,
        projectRoot,
        migrationsDirectory: directory,
      }).catch((error: unknown) => error);
      expect((refusal as MigrationError).code).toBe('failed_migration_recorded');
      const status = await getMigrationStatus({
        databaseUrl: database.url,
        projectRoot,
        migrationsDirectory: directory,
      });
      expect(status.databaseExists && status.failedMigrationNames).toEqual([broken]);
    } finally {
      await database.drop();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('a migrated database', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase({ serverUrl });
  });

  afterAll(async () => {
    await database.drop();
    const left = await query(maintenanceUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [database.name]);
    expect(left).toHaveLength(0);
  });

  it('records the sha256 of each migration.sql as its checksum', async () => {
    const rows = await query<MigrationRow>(
      database.url,
      'SELECT migration_name, checksum, finished_at, logs FROM _prisma_migrations ORDER BY migration_name',
    );
    const expected = migrationNamesOnDisk().map((name) => ({
      migration_name: name,
      checksum: createHash('sha256')
        .update(readFileSync(path.join(migrationsDirectory, name, 'migration.sql')))
        .digest('hex'),
    }));
    expect(rows.map(({ migration_name, checksum }) => ({ migration_name, checksum }))).toEqual(expected);
    expect(rows.every((row) => row.finished_at !== null && row.logs === null)).toBe(true);
  });

  it("is reported up to date by Prisma's own engine (diagnoseMigrationHistory)", async () => {
    const status = await getMigrationStatus({ databaseUrl: database.url, projectRoot });
    expect(status).toEqual({
      databaseExists: true,
      hasMigrationsTable: true,
      failedMigrationNames: [],
      editedMigrationNames: [],
      history: null,
    });
  });

  it('accepts INSERT into audit_events', async () => {
    await insertAuditEvent(database.url, 1n);
    const rows = await query(database.url, 'SELECT sequence FROM audit_events');
    expect(rows).toHaveLength(1);
  });

  it.each([
    ['UPDATE', `UPDATE audit_events SET action = 'tampered'`],
    ['DELETE', 'DELETE FROM audit_events'],
    ['TRUNCATE', 'TRUNCATE audit_events'],
  ])('rejects %s on audit_events with the append-only error', async (operation, sql) => {
    await expect(query(database.url, sql)).rejects.toThrow(
      `audit_events is append-only: ${operation} is not allowed`,
    );
    await expect(query(database.url, sql)).rejects.toThrow(APPEND_ONLY_ERROR);
    const rows = await query(database.url, 'SELECT sequence FROM audit_events');
    expect(rows.length).toBeGreaterThan(0);
  });
});

describe('checkSchemaMatchesMigrations', () => {
  it('reports agreement between prisma/schema.prisma and prisma/migrations (triggers are ignored)', async () => {
    await expect(checkSchemaMatchesMigrations({ databaseUrl: serverUrl, projectRoot })).resolves.toBe('');
  });

  it('reports a drifted schema as SQL, and leaves no shadow database behind', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'proco-schema-'));
    const driftedSchemaPath = path.join(directory, 'schema.prisma');
    const schema = readFileSync(schemaPath, 'utf8');
    const drifted = schema.replace(
      /(model Org \{\n\s+id\s+String\s+@id @db\.Uuid\n)/,
      '$1  driftProbe String? @map("drift_probe") @db.VarChar(10)\n',
    );
    expect(drifted).not.toBe(schema);
    writeFileSync(driftedSchemaPath, drifted);
    const shadowsNow = () =>
      query(
        maintenanceUrl,
        "SELECT datname FROM pg_database WHERE datname LIKE 'proco_shadow_%' ORDER BY datname",
      );
    // Compared with what was there before, so a leftover of some other crashed run is not ours.
    const shadowsBefore = await shadowsNow();
    try {
      const difference = await checkSchemaMatchesMigrations({
        databaseUrl: serverUrl,
        projectRoot,
        schemaPath: driftedSchemaPath,
      });
      expect(difference).toMatch(/ALTER TABLE "orgs" ADD COLUMN\s+"drift_probe" VARCHAR\(10\)/);
      expect(await shadowsNow()).toEqual(shadowsBefore);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

async function insertAuditEvent(url: string, sequence: bigint): Promise<void> {
  const hash = createHash('sha256').update(`event-${sequence}`).digest();
  await query(
    url,
    `INSERT INTO audit_events (chain, sequence, actor_type, action, subject_type, occurred_at, previous_hash, hash)
     VALUES ('system', $1, 'system', 'test.inserted', 'test', now(), $2, $3)`,
    [sequence.toString(), Buffer.alloc(32), hash],
  );
}
