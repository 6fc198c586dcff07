// The one engine operation `check` and `create` share: replay the migrations folder on a fresh
// shadow database and diff the result against the Prisma schema's datamodel.
import { parseDatabaseUrl } from './connection-params';
import { maintenanceDatabase } from './pg-session';
import { DEFAULT_DATABASE_URL } from './db-limits';
import { toEngineMigrationList } from './migrations-directory';
import { type ProjectPathOverrides, readSchemaFile, resolveProjectPaths } from './project-paths';
import { NO_SCHEMA_FILTER, withSchemaEngine } from './schema-engine';

/** What the engine prints in script mode when the two sides agree. */
const EMPTY_MIGRATION_MARKER = '-- This is an empty migration.';

/** Parameters of {@link diffMigrationsToSchema}. */
export type DiffMigrationsToSchemaParams = ProjectPathOverrides & {
  /** Server on which the shadow database is created; its own database is never touched. */
  readonly databaseUrl?: string;
};

/** Removes the engine's empty-migration marker and surrounding blank lines. */
function normaliseDiffScript(script: string | null): string {
  const trimmed = (script ?? '').trim();
  return trimmed === EMPTY_MIGRATION_MARKER ? '' : trimmed;
}

/**
 * Returns the SQL that would take a database built from the migrations folder to the schema's
 * datamodel, or '' when they agree. Triggers, functions and other objects Prisma does not model
 * are invisible to the diff, so hand-written SQL for them never shows up as drift.
 */
export async function diffMigrationsToSchema(params: DiffMigrationsToSchemaParams = {}): Promise<string> {
  const paths = resolveProjectPaths(params);
  const schema = readSchemaFile(paths.schemaPath);
  const migrationsList = toEngineMigrationList(paths.migrationsDirectory);
  const script = await withSchemaEngine(
    {
      projectRoot: paths.projectRoot,
      // The diff reads nothing from the target database, which may not even exist yet.
      main: maintenanceDatabase(parseDatabaseUrl(params.databaseUrl ?? DEFAULT_DATABASE_URL)),
      schema,
      operation: 'diff migrations -> schema',
    },
    async (engine) => {
      // Pitfall (g): Prisma 7's engine cannot diff a URL, and pitfall (e): createMigration gets no
      // adapter. A diff from the `migrations` source (built on a shadow database) to the
      // `schemaDatamodel` source is what `prisma migrate diff --from-migrations --to-schema` runs.
      const result = await engine.diff({
        from: { tag: 'migrations', ...migrationsList },
        to: { tag: 'schemaDatamodel', files: [schema] },
        script: true,
        exitCode: null,
        filters: NO_SCHEMA_FILTER,
      });
      return result.stdout;
    },
  );
  return normaliseDiffScript(script);
}
