import type { JobsOptions } from 'bullmq';

/** The one queue the bare scripts share. */
export const BARE_QUEUE = 'bare';

/** BullMQ priorities: lower is more urgent. The backlog waits behind `?priority=1` jobs. */
export const BACKLOG_PRIORITY = 10;
export const URGENT_PRIORITY = 1;

/**
 * The bare scripts keep no finished jobs: the substrate at its leanest. Herald keeps
 * 20,000 completed jobs per queue, a cost that shows in its figures, not these.
 */
export const BARE_JOB_OPTIONS: JobsOptions = { removeOnComplete: true, removeOnFail: true };

/**
 * The jobs of the bare substrate in contract mode are retried, as DESIGN.md asks (Herald's
 * default `MAX_ATTEMPTS`, BullMQ's own exponential backoff standing in for Herald's), and
 * name no retention of their own: a job's `removeOnComplete` would override the Worker's
 * (BARE_KEEP_COMPLETED), which keeps them as DESIGN.md asks.
 */
export const CONTRACT_JOB_OPTIONS: JobsOptions = { attempts: 5, backoff: { type: 'exponential', delay: 1000 } };

/** DESIGN.md's default `DEDUP_TTL_MS`, which Herald's bench runs with. */
export const CONTRACT_DEDUP_TTL_MS = 60_000;

/**
 * Whether the bare API runs as the substrate doing what DESIGN.md asks of any implementation
 * (`BARE_CONTRACT=1`) rather than the least the work takes; see bare-api.ts.
 */
export function contractMode(): boolean {
  return process.env.BARE_CONTRACT === '1';
}

/** Environment variable `name`, or exit 2 naming it. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
}
