import { WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  backoffDelayMs,
  queueName,
  type BackoffSettings,
  type DeliveryReceipt,
  type Logger,
  type Priority,
  type PublishJob,
  type PublishJobData,
  type WorkerMetrics,
} from '@herald/core';
import { PrioritySlots, SlotsClosedError } from './priority-slots';

export interface PriorityWorkersOptions {
  readonly connection: Redis;
  readonly prefix: string;
  /** Queues to serve, most urgent first. */
  readonly queues: readonly Priority[];
  /** Deliveries in flight at once, across all queues. */
  readonly concurrency: number;
  readonly priorityMaxWaitMs: number;
  readonly backoff: BackoffSettings;
  /** How long a job's lock lasts without renewal; a crashed worker's jobs return after it. */
  readonly lockMs: number;
  readonly deliver: (job: PublishJob) => Promise<DeliveryReceipt>;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
}

export interface PriorityWorkers {
  readonly slots: PrioritySlots;
  readonly workers: readonly Worker[];
  /** Stops fetching, hands jobs still waiting for a slot back to their queue and waits for running ones. */
  close(): Promise<void>;
}

/**
 * Serves several queues in strict priority from one pool of slots. Each queue has its
 * own BullMQ Worker, which fetches a few jobs more than the pool has slots: the job
 * that should run next is then already here when a slot frees, instead of a lower
 * queue's job taking the slot while the next urgent one is still on its way from Redis.
 * Locks, stalled-job recovery and retries stay BullMQ's.
 */
export function startPriorityWorkers(options: PriorityWorkersOptions): PriorityWorkers {
  const slots = new PrioritySlots({ slots: options.concurrency, ranks: options.queues.length, maxWaitMs: options.priorityMaxWaitMs });
  const prefetch = Math.max(1, Math.ceil(options.concurrency / 10));

  const workers = options.queues.map((priority, rank) => {
    const worker = new Worker<PublishJobData, DeliveryReceipt, string>(
      queueName(priority),
      async (job, token) => {
        // A retried or parked job has waited since it came back, not since it was created.
        const waitingSince = job.attemptsStarted <= 1 ? job.timestamp : Date.now();
        let release: () => void;
        try {
          release = await slots.acquire(rank, waitingSince);
        } catch (error) {
          if (!(error instanceof SlotsClosedError)) throw error;
          // Shutting down before this job started: give it back untouched for another worker.
          await job.moveToWait(token);
          throw new WaitingError();
        }
        options.metrics.activeJobs.inc();
        try {
          return await options.deliver(job);
        } finally {
          options.metrics.activeJobs.dec();
          release();
        }
      },
      {
        connection: options.connection,
        prefix: options.prefix,
        concurrency: options.concurrency + prefetch,
        lockDuration: options.lockMs,
        stalledInterval: options.lockMs,
        maxStalledCount: 2,
        settings: { backoffStrategy: (attemptsMade: number) => backoffDelayMs(attemptsMade, options.backoff) },
      },
    );
    worker.on('error', (error) => options.logger.error('worker error', { queue: queueName(priority), error: error.message }));
    return worker;
  });

  return {
    slots,
    workers,
    async close() {
      const closing = workers.map((worker) => worker.close());
      slots.close();
      await Promise.all(closing);
    },
  };
}
