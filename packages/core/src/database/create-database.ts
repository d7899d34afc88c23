import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { HeraldDatabase } from './database-schema';

/**
 * A Kysely handle on the DLQ database. The pool fails a connection attempt after 5 s,
 * so an unreachable PostgreSQL surfaces as an error (and a 503) instead of a hang.
 */
export function createDatabase(url: string, options: { maxConnections?: number } = {}): Kysely<HeraldDatabase> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process;
  // the pool replaces it on next use.
  pool.on('error', () => undefined);
  return new Kysely<HeraldDatabase>({ dialect: new PostgresDialect({ pool }) });
}
