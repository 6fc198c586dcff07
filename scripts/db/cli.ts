// Offline migration commands: `tsx scripts/db/cli.ts deploy|check|create <name> [--empty]|status`.
// They read and write the standard prisma/migrations folder, so the stock Prisma CLI keeps
// working on the same files wherever its native engine can be downloaded.
import path from 'node:path';
import { applyMigrations } from './apply-migrations';
import { checkSchemaMatchesMigrations } from './check-schema';
import { createMigration } from './create-migration';
import { DEFAULT_DATABASE_URL } from './db-limits';
import { MigrationError } from './migration.errors';
import { getMigrationStatus, type MigrationStatus } from './migration-status';
import { SchemaEngineError } from './schema-engine';

const USAGE = 'usage: tsx scripts/db/cli.ts deploy | check | create <name> [--empty] | status';
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** The CLI lives in scripts/db, two levels below the project root, whatever the working directory. */
const projectRoot = path.resolve(__dirname, '..', '..');

function databaseUrl(): string {
  return process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
}

/** Prints the database name only, so passwords in DATABASE_URL never reach CI logs. */
function databaseLabel(url: string): string {
  return new URL(url).pathname.replace(/^\//, '');
}

async function runDeploy(): Promise<number> {
  const url = databaseUrl();
  const result = await applyMigrations({ databaseUrl: url, projectRoot });
  if (result.createdDatabase) console.log(`created database ${databaseLabel(url)}`);
  for (const name of result.editedMigrationNames)
    console.warn(`warning: ${name} was edited after it was applied`);
  if (result.appliedMigrationNames.length === 0) {
    console.log('no pending migrations');
  } else {
    for (const name of result.appliedMigrationNames) console.log(`applied ${name}`);
  }
  return EXIT_OK;
}

async function runCheck(): Promise<number> {
  const difference = await checkSchemaMatchesMigrations({ databaseUrl: databaseUrl(), projectRoot });
  if (difference === '') {
    console.log('schema and migrations agree');
    return EXIT_OK;
  }
  console.log('schema.prisma differs from prisma/migrations; missing SQL:\n');
  console.log(difference);
  return EXIT_FAILURE;
}

async function runCreate(args: readonly string[]): Promise<number> {
  const name = args.find((arg) => !arg.startsWith('--'));
  if (name === undefined) {
    console.error(USAGE);
    return EXIT_USAGE;
  }
  const result = await createMigration({
    name,
    databaseUrl: databaseUrl(),
    projectRoot,
    allowEmpty: args.includes('--empty'),
  });
  if (result === null) {
    console.log('schema and migrations agree; nothing to create (pass --empty for a hand-written migration)');
    return EXIT_OK;
  }
  console.log(`created ${path.relative(projectRoot, result.scriptPath)}`);
  return EXIT_OK;
}

function describeHistory(status: Extract<MigrationStatus, { databaseExists: true }>): string[] {
  const history = status.history;
  if (history === null) return [];
  switch (history.diagnostic) {
    case 'databaseIsBehind':
      return [`pending: ${history.unappliedMigrationNames.join(', ')}`];
    case 'migrationsDirectoryIsBehind':
      return [`applied but not on disk: ${history.unpersistedMigrationNames.join(', ')}`];
    case 'historiesDiverge':
      return [
        `histories diverge after ${history.lastCommonMigrationName ?? '(none)'}`,
        `pending: ${history.unappliedMigrationNames.join(', ') || '(none)'}`,
        `applied but not on disk: ${history.unpersistedMigrationNames.join(', ') || '(none)'}`,
      ];
  }
}

async function runStatus(): Promise<number> {
  const url = databaseUrl();
  const status = await getMigrationStatus({ databaseUrl: url, projectRoot });
  if (!status.databaseExists) {
    console.log(`database ${databaseLabel(url)} does not exist; run deploy`);
    return EXIT_FAILURE;
  }
  const problems = [
    ...(status.hasMigrationsTable ? [] : ['no _prisma_migrations table']),
    ...status.failedMigrationNames.map((name) => `failed: ${name}`),
    ...status.editedMigrationNames.map((name) => `edited after apply: ${name}`),
    ...describeHistory(status),
  ];
  if (problems.length === 0) {
    console.log(`database ${databaseLabel(url)} is up to date`);
    return EXIT_OK;
  }
  for (const problem of problems) console.log(problem);
  return EXIT_FAILURE;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'deploy':
      return runDeploy();
    case 'check':
      return runCheck();
    case 'create':
      return runCreate(args);
    case 'status':
      return runStatus();
    default:
      console.error(USAGE);
      return EXIT_USAGE;
  }
}

function reportFailure(error: unknown): void {
  if (error instanceof MigrationError) {
    console.error(`error (${error.code}): ${error.message}`);
  } else if (error instanceof SchemaEngineError) {
    console.error(`error: ${error.message}`);
  } else if (error instanceof Error) {
    console.error(`error: ${error.message}`);
  } else {
    console.error('error:', error);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    reportFailure(error);
    process.exitCode = EXIT_FAILURE;
  },
);
