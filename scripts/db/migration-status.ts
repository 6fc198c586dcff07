// `status`: asks Prisma's own engine (diagnoseMigrationHistory, the call behind
// `prisma migrate status`) how the database's history compares with the migrations folder. Using
// the engine here, rather than our runner's reading of the table, also proves that the history
// `deploy` writes is one Prisma accepts.
import { type HistoryDiagnostic } from '@prisma/schema-engine-wasm';
import { parseDatabaseUrl } from './connection-params';
import { toEngineMigrationList } from './migrations-directory';
import { maintenanceDatabase, withPgClient } from './pg-session';
import { type ProjectPathOverrides, readSchemaFile, resolveProjectPaths } from './project-paths';
import { NO_SCHEMA_FILTER, withSchemaEngine } from './schema-engine';

/** Parameters of {@link getMigrationStatus}. */
export type GetMigrationStatusParams = ProjectPathOverrides & { readonly databaseUrl: string };

/** Result of {@link getMigrationStatus}. */
export type MigrationStatus =
  | { readonly databaseExists: false }
  | {
      readonly databaseExists: true;
      readonly hasMigrationsTable: boolean;
      readonly failedMigrationNames: readonly string[];
      readonly editedMigrationNames: readonly string[];
      /** null when the database has applied exactly the migrations on disk. */
      readonly history: HistoryDiagnostic | null;
    };

async function databaseExists(databaseUrl: string): Promise<boolean> {
  const connection = parseDatabaseUrl(databaseUrl);
  return withPgClient({ connection: maintenanceDatabase(connection) }, async (client) => {
    const result = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [connection.database]);
    return result.rowCount !== 0;
  });
}

/** Reports pending, failed, edited and unknown migrations for the database. Read-only. */
export async function getMigrationStatus(params: GetMigrationStatusParams): Promise<MigrationStatus> {
  if (!(await databaseExists(params.databaseUrl))) return { databaseExists: false };
  const paths = resolveProjectPaths(params);
  const output = await withSchemaEngine(
    {
      projectRoot: paths.projectRoot,
      main: parseDatabaseUrl(params.databaseUrl),
      schema: readSchemaFile(paths.schemaPath),
      operation: 'diagnose migration history',
    },
    (engine) =>
      engine.diagnoseMigrationHistory({
        migrationsList: toEngineMigrationList(paths.migrationsDirectory),
        optInToShadowDatabase: false,
        filters: NO_SCHEMA_FILTER,
      }),
  );
  return {
    databaseExists: true,
    hasMigrationsTable: output.hasMigrationsTable,
    failedMigrationNames: output.failedMigrationNames,
    editedMigrationNames: output.editedMigrationNames,
    history: output.history,
  };
}
