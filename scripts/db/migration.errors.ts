// Typed failures of the deploy runner. Codes are stable snake_case so the CLI and tests can
// branch on them; the Prisma error code each one mirrors is noted for people searching docs.

/** Reasons `applyMigrations` refuses or stops. */
export type MigrationErrorCode =
  'migration_lock_timeout' | 'failed_migration_recorded' | 'migration_script_failed';

/** Base class: every deploy failure carries a code and, where there is one, its cause. */
export class MigrationError extends Error {
  override readonly name: string = 'MigrationError';
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** Another deploy held the migration lock for too long (Prisma: P1002). */
export class MigrationLockTimeoutError extends MigrationError {
  override readonly name = 'MigrationLockTimeoutError';
  constructor(
    readonly timeoutMs: number,
    options: { cause: unknown },
  ) {
    super(
      'migration_lock_timeout',
      `Timed out after ${timeoutMs} ms waiting for the migration advisory lock.`,
      options,
    );
  }
}

/** `_prisma_migrations` records a migration that started and never finished (Prisma: P3009). */
export class FailedMigrationRecordedError extends MigrationError {
  override readonly name = 'FailedMigrationRecordedError';
  constructor(readonly migrationNames: readonly string[]) {
    super(
      'failed_migration_recorded',
      `Refusing to deploy: failed migration(s) recorded: ${migrationNames.join(', ')}. ` +
        'Fix the database, then mark them with `prisma migrate resolve --rolled-back|--applied <name>`.',
    );
  }
}

/** A migration script raised an error; it was rolled back and recorded as failed (Prisma: P3018). */
export class MigrationScriptFailedError extends MigrationError {
  override readonly name = 'MigrationScriptFailedError';
  constructor(
    readonly migrationName: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super('migration_script_failed', `Migration ${migrationName} failed: ${reason}`, options);
  }
}
