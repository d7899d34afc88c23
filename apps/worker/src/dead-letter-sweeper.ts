import {
  PRIORITIES,
  coerceError,
  parseFailure,
  redactTarget,
  type Logger,
  type NewDeadLetter,
  type PublishJob,
  type PublishingQueues,
  type Router,
  type WorkerMetrics,
} from '@herald/core';
import type { DeadLetterWriter } from './lazy-dead-letters';

/** Jobs handed off per queue per round. */
const BATCH = 100;
/** Pokes (a job failed) are coalesced into at most one sweep this often. */
const POKE_DELAY_MS = 200;

export interface DeadLetterSweeperDeps {
  readonly queues: PublishingQueues;
  readonly dlq: DeadLetterWriter;
  readonly router: () => Router;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  /** How often to sweep without being poked; this is also the retry pace while PostgreSQL is down. */
  readonly intervalMs: number;
}

/**
 * The sweeper hands jobs that failed for good from BullMQ's failed sets to the
 * PostgreSQL DLQ: write the row (idempotent on job id), then remove the job from Redis.
 * A job leaves Redis only after its row is committed, so a PostgreSQL outage or a worker
 * killed mid-way loses nothing, and the unique job id keeps a retried hand-off from
 * writing a second row. Every worker sweeps; they cannot collide.
 */
export class DeadLetterSweeper {
  private timer: NodeJS.Timeout | undefined;
  private poked: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private dlqDown = false;

  constructor(private readonly deps: DeadLetterSweeperDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.deps.intervalMs);
    void this.sweep();
  }

  /** A job just failed: sweep soon. */
  poke(): void {
    if (this.poked || this.stopped) return;
    this.poked = setTimeout(() => {
      this.poked = undefined;
      void this.sweep();
    }, POKE_DELAY_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.poked);
    await this.running;
  }

  /** One pass over every failed set; resolves when done. Concurrent calls share the pass. */
  sweep(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.sweepAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweepAll(): Promise<void> {
    try {
      for (const priority of PRIORITIES) {
        for (;;) {
          const jobs = (await this.deps.queues.queue(priority).getFailed(0, BATCH - 1)) as PublishJob[];
          for (const job of jobs) if (job) await this.handOff(job);
          if (jobs.length < BATCH || this.stopped) break;
        }
      }
      if (this.dlqDown) this.deps.logger.info('dead-letter queue reachable again: final failures handed off');
      this.dlqDown = false;
    } catch (error) {
      if (!this.dlqDown) {
        this.deps.logger.error('cannot hand final failures to the dead-letter queue; they wait in Redis', { error: coerceError(error).message });
      }
      this.dlqDown = true;
    }
  }

  private async handOff(job: PublishJob): Promise<void> {
    const entry = deadLetterOf(job, this.deps.router);
    const written = await this.deps.dlq.write(entry);
    if (written) this.deps.metrics.dlqWrites.inc({ target: entry.targetName, error_type: entry.errorType });
    if (job.data.replayOf) {
      // Recorded even when the row already existed: a pass cut short may have missed it.
      await this.deps.dlq.recordReplayResult(job.data.replayOf, 'failed');
      if (written) this.deps.metrics.dlqReplays.inc({ target: entry.targetName, result: 'failed' });
    }
    try {
      await job.remove();
    } catch (error) {
      // Another worker's sweeper removed it first; the row is there either way.
      this.deps.logger.debug('dead-lettered job already gone', { jobId: job.id, error: coerceError(error).message });
    }
  }
}

/** The DLQ row for a failed job: what it carried, where it was going (redacted), and why it failed. */
export function deadLetterOf(job: PublishJob, router: () => Router): NewDeadLetter {
  const { data } = job;
  const target = router().get(data.target);
  const failure = parseFailure(job.failedReason);
  return {
    jobId: job.id!,
    fingerprint: data.alert.fingerprint,
    targetName: data.target,
    targetType: target?.type ?? 'unknown',
    priority: data.priority,
    alert: { ...data.alert, group: data.group },
    targetConfig: target ? redactTarget(target) : {},
    errorMessage: failure.detail,
    errorType: failure.errorType,
    httpStatus: failure.httpStatus,
    attempts: job.attemptsMade,
    lastAttemptAt: job.processedOn ? new Date(job.processedOn).toISOString() : null,
    failedAt: new Date(job.finishedOn ?? Date.now()).toISOString(),
  };
}
