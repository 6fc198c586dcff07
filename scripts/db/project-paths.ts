// Where the tooling finds the Prisma schema and migrations: the stock Prisma layout, matching
// prisma.config.ts, resolved against the project root.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type SchemaFile } from './schema-engine';

/** Schema and migrations locations, relative to the project root unless absolute. */
export type ProjectPaths = {
  /** Directory holding package.json and node_modules; used to resolve the engine package. */
  readonly projectRoot: string;
  readonly schemaPath: string;
  readonly migrationsDirectory: string;
};

/** Optional overrides accepted by the public functions; tests point `schemaPath` at a temp copy. */
export type ProjectPathOverrides = {
  readonly projectRoot?: string;
  readonly schemaPath?: string;
  readonly migrationsDirectory?: string;
};

/** Fills in the standard locations (prisma/schema.prisma, prisma/migrations) for missing overrides. */
export function resolveProjectPaths(overrides: ProjectPathOverrides = {}): ProjectPaths {
  const projectRoot = path.resolve(overrides.projectRoot ?? process.cwd());
  return {
    projectRoot,
    schemaPath: path.resolve(projectRoot, overrides.schemaPath ?? 'prisma/schema.prisma'),
    migrationsDirectory: path.resolve(projectRoot, overrides.migrationsDirectory ?? 'prisma/migrations'),
  };
}

/** Reads the Prisma schema the engine diffs against. */
export function readSchemaFile(schemaPath: string): SchemaFile {
  return { path: schemaPath, content: readFileSync(schemaPath, 'utf8') };
}
