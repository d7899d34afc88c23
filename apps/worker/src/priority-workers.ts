import { DelayedError, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  COMPLETED_JOB_RETENTION,
  RetryableDeliveryError,
  backoffDelayMs,
  queueName,
  type BackoffSettings,
  type DeliveryReceipt,
  type Priority,
  type PublishJobData,
  type WorkerMetrics,
} from '@herald/core/delivery';
import type { Logger, PublishJob } from '@herald/core';
import { PrioritySlots, SlotsClosedError } from './priority-slots';

export interface PriorityWorkersOptions {
  readonly connection: Redis;
  readonly prefix: string;
  /** Queues to serve, each with its rank in the worker's `SlotLedger`. */
  readonly queues: readonly { readonly priority: Priority; readonly rank: number }[];
  /** This thread's share of the worker's slots. */
  readonly slots: PrioritySlots;
  /** Deliveries in flight at once in the whole worker (`WORKER_CONCURRENCY`). */
  readonly concurrency: number;
  readonly backoff: BackoffSettings;
  /** How long a job's lock lasts without renewal; a crashed worker's jobs return after it. */
  readonly lockMs: number;
  readonly deliver: (job: PublishJob, token: string) => Promise<DeliveryReceipt>;
  /** Called whenever an attempt fails, final or not. */
  readonly onFailed: () => void;
  /** Called when a job got its slot, just before it is delivered. */
  readonly onJobStarted?: () => void;
  /**
   * The Workers connect at once but fetch only once this resolves; if it rejects, they
   * close without having fetched and the start fails with its error.
   */
  readonly fetchAfter?: Promise<unknown>;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
}

/** A slot is handed on when BullMQ reports the job moved, or after this at the latest. */
const RELEASE_FALLBACK_MS = 1000;

export interface PriorityWorkers {
  readonly slots: PrioritySlots;
  readonly workers: readonly Worker[];
  /** Stops fetching, hands jobs still waiting for a slot back to their queue and waits for running ones. */
  close(): Promise<void>;
}

/**
 * Each Worker fetches this many jobs beyond the slots: the job that should run next is
 * then already here when a slot frees, instead of a lower queue's job taking the slot
 * while the next urgent one is still on its way from Redis. The worker keeps as many
 * slots for its most urgent queue (`SlotLedger` `reserved`).
 */
export function prefetchFor(concurrency: number): number {
  return Math.max(1, Math.ceil(concurrency / 10));
}

/**
 * Serves queues in strict priority from a share of the worker's slots. Each queue has its
 * own BullMQ Worker, which fetches `prefetchFor(concurrency)` jobs more than the slots.
 * Locks, stalled-job recovery and retries stay BullMQ's.
 */
export async function startPriorityWorkers(options: PriorityWorkersOptions): Promise<PriorityWorkers> {
  const prefetch = prefetchFor(options.concurrency);
  const { slots } = options;

  const connections: Redis[] = [];
  const workers = options.queues.map(({ priority, rank }) => {
    const held = new HeldSlots();
    const connection = options.connection.duplicate();
    connections.push(connection);
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
        options.onJobStarted?.();
        options.metrics.activeJobs.inc();
        try {
          const receipt = await options.deliver(job, token!);
          held.hold(job.id!, release);
          return receipt;
        } catch (error) {
          // A parked job was already moved by the processor; any other failure is moved by BullMQ next.
          if (error instanceof DelayedError || error instanceof WaitingError) release();
          else held.hold(job.id!, release);
          throw error;
        } finally {
          options.metrics.activeJobs.dec();
        }
      },
      {
        // A connection of its own per queue: the urgent queue's commands never wait behind
        // the pipeline of a busy lower queue.
        connection,
        prefix: options.prefix,
        concurrency: options.concurrency + prefetch,
        lockDuration: options.lockMs,
        stalledInterval: options.lockMs,
        maxStalledCount: 2,
        autorun: false,
        // Retention is the worker's, not each job's (see COMPLETED_JOB_RETENTION). No
        // `removeOnFail`: a failed job stays until the dead-letter sweeper removes it,
        // once its DLQ row is committed.
        removeOnComplete: COMPLETED_JOB_RETENTION,
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
            backoffDelayMs(
              attemptsMade,
              options.backoff,
              error instanceof RetryableDeliveryError ? { errorType: error.classification.type, retryAfterMs: error.classification.retryAfterMs } : {},
            ),
        },
      },
    );
    // BullMQ fetches this queue's next job in the same call that moves the finished one,
    // so holding the slot until then keeps it from going to a lower queue in between.
    worker.on('completed', (job) => held.release(job.id!));
    worker.on('failed', (job) => {
      if (job) held.release(job.id!);
      options.onFailed();
    });
    worker.on('error', (error) => options.logger.error('worker error', { queue: queueName(priority), error: error.message }));
    return worker;
  });

  const close = async () => {
    const closing = workers.map((worker) => worker.close());
    slots.close();
    await Promise.all(closing);
    // BullMQ leaves connections it was given open; these are ours to close.
    await Promise.all(connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
  };

  // Start fetching only once every queue's worker is connected, most urgent first: the
  // first fetches are sent in priority order, so a low job cannot take the first free slot
  // just because the high queue's worker was still connecting.
  try {
    await Promise.all([...workers.map((worker) => worker.waitUntilReady()), options.fetchAfter]);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  for (const worker of workers) {
    worker.run().catch((error: Error) => options.logger.error('worker stopped', { queue: worker.name, error: error.message }));
  }

  return { slots, workers, close };
}

/** Slots of finished deliveries, kept until BullMQ has moved the job (or a fallback fires). */
class HeldSlots {
  private readonly releases = new Map<string, () => void>();

  hold(jobId: string, release: () => void): void {
    const fallback = setTimeout(() => this.release(jobId), RELEASE_FALLBACK_MS).unref();
    this.releases.set(jobId, () => {
      clearTimeout(fallback);
      release();
    });
  }

  release(jobId: string): void {
    const release = this.releases.get(jobId);
    if (!release) return;
    this.releases.delete(jobId);
    release();
  }
}
