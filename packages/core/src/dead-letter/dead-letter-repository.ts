import type { Alert, GroupContext } from '../alert/alert';
import type { ErrorType } from '../delivery/classify-error';
import type { ReplayResult } from '../database/database-schema';
import type { Priority } from '../priority';

/** A job that failed for good, as the DLQ keeps it. */
export interface DeadLetter {
  readonly id: string;
  readonly jobId: string;
  readonly fingerprint: string;
  readonly targetName: string;
  readonly targetType: string;
  readonly priority: Priority;
  /** The alert with the group context it arrived in, enough to replay it as it was. */
  readonly alert: Alert & { readonly group?: GroupContext };
  /** The target's configuration when the job failed, secrets redacted. */
  readonly targetConfig: Record<string, unknown>;
  readonly errorMessage: string;
  readonly errorType: ErrorType;
  readonly httpStatus: number | null;
  readonly attempts: number;
  readonly lastAttemptAt: string | null;
  readonly failedAt: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly replayed: boolean;
  readonly replayedAt: string | null;
  readonly replayCount: number;
  readonly replayResult: ReplayResult | null;
}

export type NewDeadLetter = Omit<DeadLetter, 'id' | 'createdAt' | 'updatedAt' | 'replayed' | 'replayedAt' | 'replayCount' | 'replayResult'>;

export interface DeadLetterFilter {
  readonly target?: string;
  readonly errorType?: ErrorType;
  readonly priority?: Priority;
  readonly replayed?: boolean;
  /** Only entries that failed before this time. */
  readonly failedBefore?: Date;
}

export interface DeadLetterPage {
  readonly entries: DeadLetter[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface DeadLetterStats {
  readonly total: number;
  readonly replayed: number;
  readonly byErrorType: Record<string, number>;
  readonly byTarget: Record<string, number>;
  readonly byPriority: Record<string, number>;
  readonly oldestFailedAt: string | null;
  readonly newestFailedAt: string | null;
}

/** Which entries a replay takes. */
export type ReplaySelection =
  | { readonly id: string; readonly force: boolean }
  | { readonly filter: DeadLetterFilter; readonly limit: number; readonly force: boolean };

export type ReplayOutcome =
  | { readonly status: 'replayed'; readonly entries: DeadLetter[] }
  | { readonly status: 'not_found' }
  | { readonly status: 'already_replayed'; readonly entry: DeadLetter };

/** Thrown for a cursor that this repository did not hand out. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super('cursor is not one this API returned');
  }
}

/**
 * A DeadLetterRepository is the PostgreSQL dead-letter queue: every job that failed for
 * good, with what it carried and why it failed, listed, replayed and purged by operators.
 */
export interface DeadLetterRepository {
  /** Writes an entry; idempotent on `jobId`. Resolves true when a new row was written. */
  write(entry: NewDeadLetter): Promise<boolean>;
  /** Entries newest first, keyset-paginated on (failed_at, id). */
  list(filter: DeadLetterFilter, page: { limit: number; cursor?: string }): Promise<DeadLetterPage>;
  get(id: string): Promise<DeadLetter | undefined>;
  getByJobId(jobId: string): Promise<DeadLetter | undefined>;
  /**
   * Replays entries in one transaction: locks them, hands them to `enqueue`, and marks
   * them replayed (`replay_result = 'queued'`) only once `enqueue` has resolved. If it
   * rejects, nothing is marked and the error propagates. Already-replayed entries are
   * skipped unless `force`.
   */
  replay(selection: ReplaySelection, enqueue: (entries: DeadLetter[]) => Promise<void>): Promise<ReplayOutcome>;
  /** What became of a replayed entry's new job. */
  recordReplayResult(id: string, result: 'succeeded' | 'failed'): Promise<void>;
  /** Deletes entries that failed before `failedBefore`; resolves with how many. */
  purge(failedBefore: Date): Promise<number>;
  stats(): Promise<DeadLetterStats>;
}
