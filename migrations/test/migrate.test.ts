import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import { exitOf } from '../../test/support/herald';

/** A fresh database on the harness's PostgreSQL, dropped afterwards. */
async function withDatabase(name: string, use: (url: string) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  try {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${name}`;
    await use(url.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

function migrate(databaseUrl: string) {
  return exitOf(spawn(process.execPath, [resolve(__dirname, '../dist/migrate.js')], { env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl } }));
}

describe('npm run migrate', () => {
  it('When the database is new, then it creates publishing_dlq with its indexes, and a second run changes nothing', async () => {
    await withDatabase('herald_migrate_fresh', async (url) => {
      const first = await migrate(url);
      expect(first.code).toBe(0);
      expect(first.output).toContain('applied: 0001-create-publishing-dlq');

      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const columns = await client.query(`select column_name from information_schema.columns where table_name = 'publishing_dlq' order by ordinal_position`);
      const indexes = await client.query(`select indexname from pg_indexes where tablename = 'publishing_dlq' order by indexname`);
      await client.end();
      expect(columns.rows.map((r) => r.column_name)).toEqual([
        'id', 'job_id', 'fingerprint', 'target_name', 'target_type', 'priority', 'alert', 'target_config', 'error_message', 'error_type',
        'http_status', 'attempts', 'last_attempt_at', 'failed_at', 'created_at', 'updated_at', 'replayed', 'replayed_at', 'replay_count', 'replay_result',
      ]);
      expect(indexes.rows.map((r) => r.indexname)).toEqual([
        'publishing_dlq_error_type_idx',
        'publishing_dlq_failed_at_idx',
        'publishing_dlq_fingerprint_idx',
        'publishing_dlq_job_id_key',
        'publishing_dlq_pkey',
        'publishing_dlq_priority_idx',
        'publishing_dlq_target_idx',
        'publishing_dlq_unreplayed_idx',
      ]);

      const second = await migrate(url);
      expect(second.code).toBe(0);
      expect(second.output).toContain('database is up to date');
    });
  });

  it('When a migration fails, then the command exits non-zero naming the migration', async () => {
    await withDatabase('herald_migrate_conflict', async (url) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('create table publishing_dlq (something int)');
      await client.end();

      const { code, output } = await migrate(url);
      expect(code).toBe(1);
      expect(output).toContain('migration 0001-create-publishing-dlq failed');
    });
  });

  it('When DATABASE_URL is missing, then it says so and exits 2', async () => {
    const { code, output } = await exitOf(spawn(process.execPath, [resolve(__dirname, '../dist/migrate.js')], { env: { PATH: process.env.PATH } }));
    expect(code).toBe(2);
    expect(output).toContain('DATABASE_URL is not set');
  });
});
