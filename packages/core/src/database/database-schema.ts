import type { ColumnType, Generated, JSONColumnType } from 'kysely';

import type { ErrorType } from '../delivery/classify-error';
export type ReplayResult = 'queued' | 'succeeded' | 'failed';

/** `publishing_dlq`: one row per job that failed for good. Created by migrations/. */
export interface PublishingDlqTable {
  id: Generated<string>;
  job_id: string;
  fingerprint: string;
  target_name: string;
  target_type: string;
  priority: string;
  alert: JSONColumnType<Record<string, unknown>>;
  /** The target's configuration at failure time, secrets redacted. */
  target_config: JSONColumnType<Record<string, unknown>>;
  error_message: string;
  error_type: ErrorType;
  http_status: number | null;
  attempts: number;
  last_attempt_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  failed_at: ColumnType<Date, Date | string, Date | string>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  replayed: Generated<boolean>;
  replayed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  replay_count: Generated<number>;
  replay_result: ReplayResult | null;
}

export interface HeraldDatabase {
  publishing_dlq: PublishingDlqTable;
}
