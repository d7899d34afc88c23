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

/** Environment variable `name`, or exit 2 naming it. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
}
