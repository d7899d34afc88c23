import { sql, type Kysely } from 'kysely';

/** The dead-letter queue of DESIGN.md, with an index for each filter the API offers. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('publishing_dlq')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('job_id', 'text', (col) => col.notNull().unique())
    .addColumn('fingerprint', 'text', (col) => col.notNull())
    .addColumn('target_name', 'text', (col) => col.notNull())
    .addColumn('target_type', 'text', (col) => col.notNull())
    .addColumn('priority', 'text', (col) => col.notNull().check(sql`priority in ('high', 'medium', 'low')`))
    .addColumn('alert', 'jsonb', (col) => col.notNull())
    .addColumn('target_config', 'jsonb', (col) => col.notNull())
    .addColumn('error_message', 'text', (col) => col.notNull())
    .addColumn('error_type', 'text', (col) => col.notNull().check(sql`error_type in ('transient', 'permanent', 'unknown')`))
    .addColumn('http_status', 'integer')
    .addColumn('attempts', 'integer', (col) => col.notNull())
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('failed_at', 'timestamptz', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('replayed', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('replayed_at', 'timestamptz')
    .addColumn('replay_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('replay_result', 'text', (col) => col.check(sql`replay_result in ('queued', 'succeeded', 'failed')`))
    .execute();

  // Listing is newest first with (failed_at, id) as the keyset cursor.
  await sql`create index publishing_dlq_failed_at_idx on publishing_dlq (failed_at desc, id desc)`.execute(db);
  await sql`create index publishing_dlq_target_idx on publishing_dlq (target_name, failed_at desc)`.execute(db);
  await sql`create index publishing_dlq_error_type_idx on publishing_dlq (error_type, failed_at desc)`.execute(db);
  await sql`create index publishing_dlq_priority_idx on publishing_dlq (priority, failed_at desc)`.execute(db);
  await sql`create index publishing_dlq_unreplayed_idx on publishing_dlq (failed_at desc, id desc) where not replayed`.execute(db);
  await sql`create index publishing_dlq_fingerprint_idx on publishing_dlq (fingerprint)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('publishing_dlq').execute();
}
