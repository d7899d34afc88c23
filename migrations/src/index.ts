import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import * as createPublishingDlq from './0001-create-publishing-dlq';

/**
 * Every migration, in order. Listed here rather than read from a folder so the set is
 * the same in source, compiled output and container images.
 */
export const migrations: Record<string, Migration> = {
  '0001-create-publishing-dlq': createPublishingDlq,
};

/** A MigrationFailedError names the migration that failed and carries its cause. */
export class MigrationFailedError extends Error {
  override readonly name = 'MigrationFailedError';
  constructor(
    readonly migrationName: string | undefined,
    override readonly cause: unknown,
  ) {
    super(`migration ${migrationName ?? '(none: the migrator itself)'} failed: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** Applies every pending migration to the database at `url`; returns the names applied. */
export async function migrateToLatest(url: string): Promise<string[]> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  try {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((result) => result.status === 'Error');
      throw new MigrationFailedError(failed?.migrationName, error);
    }
    return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
  } finally {
    await db.destroy();
  }
}
