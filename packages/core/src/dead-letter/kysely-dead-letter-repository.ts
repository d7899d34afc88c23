import { sql, type Kysely, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { HeraldDatabase, PublishingDlqTable } from '../database/database-schema';
import type { Priority } from '../priority';
import {
  InvalidCursorError,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterRepository,
  type DeadLetterStats,
  type NewDeadLetter,
  type ReplayOutcome,
} from './dead-letter-repository';

type Row = Selectable<PublishingDlqTable>;
type Query = SelectQueryBuilder<HeraldDatabase, 'publishing_dlq', Row>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The DeadLetterRepository on PostgreSQL through Kysely. */
export class KyselyDeadLetterRepository implements DeadLetterRepository {
  constructor(private readonly db: Kysely<HeraldDatabase>) {}

  async write(entry: NewDeadLetter): Promise<boolean> {
    const inserted = await this.db
      .insertInto('publishing_dlq')
      .values({
        job_id: entry.jobId,
        fingerprint: entry.fingerprint,
        target_name: entry.targetName,
        target_type: entry.targetType,
        priority: entry.priority,
        alert: JSON.stringify(entry.alert),
        target_config: JSON.stringify(entry.targetConfig),
        error_message: entry.errorMessage,
        error_type: entry.errorType,
        http_status: entry.httpStatus,
        attempts: entry.attempts,
        last_attempt_at: entry.lastAttemptAt,
        failed_at: entry.failedAt,
      })
      .onConflict((conflict) => conflict.column('job_id').doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async list(filter: DeadLetterFilter, page: { limit: number; cursor?: string }): Promise<{ entries: DeadLetter[]; nextCursor: string | null }> {
    let query = this.filtered(filter);
    if (page.cursor) {
      const { failedAt, id } = decodeCursor(page.cursor);
      query = query.where(sql<boolean>`(failed_at, id) < (${failedAt}::timestamptz, ${id}::uuid)`);
    }
    const rows = await query.orderBy('failed_at', 'desc').orderBy('id', 'desc').limit(page.limit + 1).execute();
    const entries = rows.slice(0, page.limit).map(toDeadLetter);
    const last = rows.length > page.limit ? rows[page.limit - 1]! : undefined;
    return { entries, nextCursor: last ? encodeCursor(last) : null };
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await this.db.selectFrom('publishing_dlq').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toDeadLetter(row);
  }

  async getByJobId(jobId: string): Promise<DeadLetter | undefined> {
    const row = await this.db.selectFrom('publishing_dlq').selectAll().where('job_id', '=', jobId).executeTakeFirst();
    return row && toDeadLetter(row);
  }

  async replay(
    selection: { id: string; force: boolean } | { filter: DeadLetterFilter; limit: number; force: boolean },
    enqueue: (entries: DeadLetter[]) => Promise<void>,
  ): Promise<ReplayOutcome> {
    return this.db.transaction().execute(async (trx): Promise<ReplayOutcome> => {
      let rows: Row[];
      if ('id' in selection) {
        if (!UUID.test(selection.id)) return { status: 'not_found' };
        const row = await trx.selectFrom('publishing_dlq').selectAll().where('id', '=', selection.id).forUpdate().executeTakeFirst();
        if (!row) return { status: 'not_found' };
        if (row.replayed && !selection.force) return { status: 'already_replayed', entry: toDeadLetter(row) };
        rows = [row];
      } else {
        const filter = selection.force ? selection.filter : { ...selection.filter, replayed: false };
        // SKIP LOCKED: two operators replaying overlapping filters never replay one entry twice.
        rows = await filtered(trx, filter).orderBy('failed_at', 'asc').limit(selection.limit).forUpdate().skipLocked().execute();
      }
      if (rows.length > 0) {
        await enqueue(rows.map(toDeadLetter));
        await trx
          .updateTable('publishing_dlq')
          .set({
            replayed: true,
            replayed_at: sql<Date>`now()`,
            replay_count: sql<number>`replay_count + 1`,
            replay_result: 'queued',
            updated_at: sql<Date>`now()`,
          })
          .where(
            'id',
            'in',
            rows.map((row) => row.id),
          )
          .execute();
      }
      const now = new Date().toISOString();
      return {
        status: 'replayed',
        entries: rows.map((row) => ({ ...toDeadLetter(row), replayed: true, replayedAt: now, replayCount: row.replay_count + 1, replayResult: 'queued' })),
      };
    });
  }

  async recordReplayResult(id: string, result: 'succeeded' | 'failed'): Promise<void> {
    await this.db.updateTable('publishing_dlq').set({ replay_result: result, updated_at: sql<Date>`now()` }).where('id', '=', id).execute();
  }

  async purge(failedBefore: Date): Promise<number> {
    const result = await this.db.deleteFrom('publishing_dlq').where('failed_at', '<', failedBefore).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async stats(): Promise<DeadLetterStats> {
    const [totals, byErrorType, byTarget, byPriority] = await Promise.all([
      this.db
        .selectFrom('publishing_dlq')
        .select(({ fn }) => [
          fn.countAll<string>().as('total'),
          fn.count<string>('id').filterWhere('replayed', '=', true).as('replayed'),
          fn.min('failed_at').as('oldest'),
          fn.max('failed_at').as('newest'),
        ])
        .executeTakeFirstOrThrow(),
      this.countBy('error_type'),
      this.countBy('target_name'),
      this.countBy('priority'),
    ]);
    return {
      total: Number(totals.total),
      replayed: Number(totals.replayed),
      byErrorType,
      byTarget,
      byPriority,
      oldestFailedAt: totals.oldest ? new Date(totals.oldest).toISOString() : null,
      newestFailedAt: totals.newest ? new Date(totals.newest).toISOString() : null,
    };
  }

  private filtered(filter: DeadLetterFilter): Query {
    return filtered(this.db, filter);
  }

  private async countBy(column: 'error_type' | 'target_name' | 'priority'): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('publishing_dlq')
      .select(({ fn }) => [column, fn.countAll<string>().as('count')])
      .groupBy(column)
      .execute();
    return Object.fromEntries(rows.map((row) => [row[column] as string, Number(row.count)]));
  }
}

function filtered(db: Kysely<HeraldDatabase>, filter: DeadLetterFilter): Query {
  let query = db.selectFrom('publishing_dlq').selectAll();
  if (filter.target !== undefined) query = query.where('target_name', '=', filter.target);
  if (filter.errorType !== undefined) query = query.where('error_type', '=', filter.errorType);
  if (filter.priority !== undefined) query = query.where('priority', '=', filter.priority);
  if (filter.replayed !== undefined) query = query.where('replayed', '=', filter.replayed);
  if (filter.failedBefore !== undefined) query = query.where('failed_at', '<', filter.failedBefore);
  return query;
}

function toDeadLetter(row: Row): DeadLetter {
  return {
    id: row.id,
    jobId: row.job_id,
    fingerprint: row.fingerprint,
    targetName: row.target_name,
    targetType: row.target_type,
    priority: row.priority as Priority,
    alert: row.alert as unknown as DeadLetter['alert'],
    targetConfig: row.target_config,
    errorMessage: row.error_message,
    errorType: row.error_type,
    httpStatus: row.http_status,
    attempts: row.attempts,
    lastAttemptAt: row.last_attempt_at ? new Date(row.last_attempt_at).toISOString() : null,
    failedAt: new Date(row.failed_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    replayed: row.replayed,
    replayedAt: row.replayed_at ? new Date(row.replayed_at).toISOString() : null,
    replayCount: row.replay_count,
    replayResult: row.replay_result,
  };
}

/**
 * The cursor is opaque to clients: the last row's failed_at and id. failed_at is always
 * written from a JavaScript time, so millisecond precision is exact.
 */
function encodeCursor(row: Row): string {
  return Buffer.from(JSON.stringify([row.failed_at instanceof Date ? row.failed_at.toISOString() : row.failed_at, row.id])).toString('base64url');
}

/** Whether `cursor` is one `list` handed out (checked before any query runs). */
export function isDeadLetterCursor(cursor: string): boolean {
  try {
    decodeCursor(cursor);
    return true;
  } catch {
    return false;
  }
}

function decodeCursor(cursor: string): { failedAt: string; id: string } {
  try {
    const [failedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof failedAt === 'string' && !Number.isNaN(Date.parse(failedAt)) && typeof id === 'string' && UUID.test(id)) return { failedAt, id };
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}
