// `check`: the offline equivalent of
// `prisma migrate diff --from-migrations prisma/migrations --to-schema prisma/schema.prisma --exit-code`.
import { type DiffMigrationsToSchemaParams, diffMigrationsToSchema } from './diff-migrations';

/** Parameters of {@link checkSchemaMatchesMigrations}; `schemaPath` lets tests check a drifted copy. */
export type CheckSchemaMatchesMigrationsParams = DiffMigrationsToSchemaParams;

/**
 * Replays the migrations on a randomly named shadow database (always dropped) and returns the
 * SQL that would still be needed to reach the Prisma schema: '' when schema and migrations agree.
 * Objects Prisma does not model, such as the audit triggers, are ignored by design.
 */
export async function checkSchemaMatchesMigrations(
  params: CheckSchemaMatchesMigrationsParams = {},
): Promise<string> {
  return diffMigrationsToSchema(params);
}
