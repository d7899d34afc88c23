import { randomUUID } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import type { Alert, GroupContext } from '../alert/alert';
import type { TargetConfig } from '../config/target-config';
import { isPriority, type Priority } from '../priority';
import { BACKOFF_TYPE } from './backoff';

/** Where an alert came from; the `source` label of `herald_alerts_received_total`. */
export type AlertSource = 'alertmanager' | 'api' | 'replay';

/**
 * The payload of one job: one alert for one target. It names the target instead of
 * carrying its configuration, so secrets never sit in Redis or in job listings, and a
 * worker always delivers with the target's current configuration.
 */
export interface PublishJobData {
  readonly alert: Alert;
  readonly group: GroupContext;
  readonly target: string;
  readonly priority: Priority;
  readonly source: AlertSource;
  /** When the API accepted the alert (epoch ms): the start of end-to-end latency. */
  readonly receivedAt: number;
  /** For a replay: the DLQ entry it replays, whose `replay_result` the worker records. */
  readonly replayOf?: string;
}

/**
 * The outcome a worker stores on a completed job: the target's answer, or that nothing was
 * sent because the alert had moved past this notification at the target (FiringJobIndex).
 */
export type DeliveryReceipt = { readonly httpStatus: number; readonly durationMs: number } | { readonly superseded: true };

export function queueName(priority: Priority): string {
  return `publish-${priority}`;
}

/**
 * Job ids start with their priority ("high-…"), so a job is found in one lookup on the
 * right queue, and the id alone tells an operator where it travelled.
 */
export function newJobId(priority: Priority): string {
  return `${priority}-${randomUUID()}`;
}

export function priorityOfJobId(jobId: string): Priority | undefined {
  const prefix = jobId.slice(0, jobId.indexOf('-'));
  return isPriority(prefix) ? prefix : undefined;
}

/** The key under which a repeated notification of the same alert for the same target is dropped. */
export function deduplicationId(target: string, alert: Alert): string {
  return `${target}|${alert.fingerprint}|${alert.status}|${alert.startsAt}`;
}

/**
 * Completed jobs stay queryable this long, up to the count below per queue. The workers
 * apply it when they finish a job (BullMQ's Worker `removeOnComplete`), so it is not
 * carried in every job's options: Redis decodes and stores those on each add, and the
 * worker parses them again on each fetch (bench/README.md, finding 37). Failed jobs are
 * kept until the DLQ holds them, which is BullMQ's default when neither names a rule.
 */
export const COMPLETED_JOB_RETENTION = { age: 24 * 60 * 60, count: 20_000 } as const;

/** One job to add: its id is chosen by the caller, carries the priority and is also in `opts`. */
export interface JobSpec {
  readonly jobId: string;
  readonly data: PublishJobData;
  readonly opts: JobsOptions & { readonly jobId: string };
}

/**
 * The job for one alert and one target, with Herald's retry settings. `dedupTtlMs` > 0
 * drops a repeat of the same notification; replays pass 0, since repeating is their point.
 */
export function createJobSpec(data: PublishJobData, target: TargetConfig | undefined, settings: { maxAttempts: number; dedupTtlMs: number }): JobSpec {
  const jobId = newJobId(data.priority);
  return {
    jobId,
    data,
    opts: {
      jobId,
      attempts: target?.maxAttempts ?? settings.maxAttempts,
      backoff: { type: BACKOFF_TYPE },
      ...(settings.dedupTtlMs > 0 ? { deduplication: { id: deduplicationId(data.target, data.alert), ttl: settings.dedupTtlMs } } : {}),
    },
  };
}
