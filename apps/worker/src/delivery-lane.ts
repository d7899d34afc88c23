import type { Redis } from 'ioredis';
import type { HeraldConfig, Logger } from '@herald/core';
import {
  BreakerRegistry,
  FiringJobIndex,
  TargetRateLimiter,
  createHttpDelivery,
  type BreakerState,
  type HttpDelivery,
  type Priority,
  type Router,
  type WorkerMetrics,
} from '@herald/core/delivery';
import { createDeliveryProcessor } from './delivery-processor';
import type { DeadLetterWriter } from './lazy-dead-letters';
import type { PrioritySlots } from './priority-slots';
import { startPriorityWorkers, type PriorityWorkers } from './priority-workers';

export interface DeliveryLaneOptions {
  readonly config: HeraldConfig;
  /** The queues this lane serves, each with its rank in the worker's `SlotLedger`. */
  readonly queues: readonly { readonly priority: Priority; readonly rank: number }[];
  readonly slots: PrioritySlots;
  readonly redis: Redis;
  readonly dlq: DeadLetterWriter;
  readonly router: () => Router;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  /** A breaker this lane moved to another state. */
  readonly onBreakerChange: (target: string, to: BreakerState) => void;
  /** Called whenever an attempt fails, final or not. */
  readonly onFailed: () => void;
  /** Called when a job got its slot, just before it is delivered. */
  readonly onJobStarted?: () => void;
  /** The lane's Workers connect at once and fetch once this resolves (`startPriorityWorkers`). */
  readonly fetchAfter?: Promise<unknown>;
  /**
   * The lane's HTTP pools, when the caller made them beforehand (the urgent lane warms its
   * own, `warmUpDelivery`); else the lane makes them. Either way the lane closes them.
   */
  readonly http?: HttpDelivery;
}

export interface DeliveryLane {
  readonly breakers: BreakerRegistry;
  readonly workers: PriorityWorkers;
  /** Stops fetching, hands back jobs not started, waits for running deliveries, closes HTTP pools. */
  close(): Promise<void>;
}

/**
 * A delivery lane is what one thread needs to deliver jobs of some queues: BullMQ
 * Workers drawing on the shared slots, the delivery processor, its HTTP pools, breakers
 * and rate limiter. The main thread runs one for the lower queues, the urgent lane's
 * thread one for the most urgent queue.
 */
export async function startDeliveryLane(options: DeliveryLaneOptions): Promise<DeliveryLane> {
  const { config, redis } = options;
  const http = options.http ?? createHttpDelivery();
  const breakers = new BreakerRegistry(redis, config.queuePrefix, config.breaker, options.onBreakerChange);
  const deliver = createDeliveryProcessor({
    router: options.router,
    http,
    breakers,
    rateLimiter: new TargetRateLimiter(redis, config.queuePrefix),
    firingJobs: new FiringJobIndex(redis, config.queuePrefix),
    dlq: options.dlq,
    metrics: options.metrics,
    logger: options.logger,
  });
  let workers: PriorityWorkers;
  try {
    workers = await startPriorityWorkers({
      connection: redis,
      prefix: config.queuePrefix,
      queues: options.queues,
      slots: options.slots,
      concurrency: config.worker.concurrency,
      backoff: { baseMs: config.delivery.backoffBaseMs, maxMs: config.delivery.backoffMaxMs },
      lockMs: config.worker.lockMs,
      deliver,
      onFailed: options.onFailed,
      onJobStarted: options.onJobStarted,
      fetchAfter: options.fetchAfter,
      metrics: options.metrics,
      logger: options.logger,
    });
  } catch (error) {
    await http.close();
    throw error;
  }
  return {
    breakers,
    workers,
    async close() {
      await workers.close();
      await http.close();
    },
  };
}
