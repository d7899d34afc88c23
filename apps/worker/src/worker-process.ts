import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import {
  BREAKER_STATE_VALUE,
  BreakerRegistry,
  PublishingQueues,
  LiveTargets,
  Releasers,
  TargetRateLimiter,
  coerceError,
  createHttpDelivery,
  createRedisConnection,
  createWorkerMetrics,
  logConnectionState,
  modeOf,
  primeTargetMetrics,
  type HeraldConfig,
  type Logger,
  type Router,
  type TargetConfig,
} from '@herald/core';
import { DeadLetterSweeper } from './dead-letter-sweeper';
import { createDeliveryProcessor } from './delivery-processor';
import { LazyDeadLetters } from './lazy-dead-letters';
import { startMetricsServer } from './metrics-server';
import { startPriorityWorkers } from './priority-workers';

/** How often the sweeper looks for final failures unprompted, and retries while PostgreSQL is down. */
const SWEEP_INTERVAL_MS = 5000;
/** How often breaker states are re-read from Redis for `herald_breaker_state`. */
const BREAKER_REFRESH_MS = 5000;

export interface RunningWorker {
  /** Port of /metrics and /healthz. */
  readonly metricsPort: number;
  /** Stops fetching, returns jobs not yet started, waits for running deliveries. */
  close(): Promise<void>;
}

/**
 * Builds and starts a worker from its configuration: the composition root shared by
 * `main.ts` and the tests. `config.worker.metricsPort` 0 picks a free port.
 */
export async function startWorker(config: HeraldConfig, targets: readonly TargetConfig[], logger: Logger): Promise<RunningWorker> {
  const releasers = new Releasers();
  const registry = new Registry();
  const metrics = createWorkerMetrics(registry);
  const onTargets = (router: Router) => {
    metrics.setMode(modeOf(router));
    primeTargetMetrics(metrics, router.targets.map((t) => t.name));
  };
  const live = new LiveTargets(targets, { file: config.targetsFile, env: process.env, logger, onChange: onTargets });
  onTargets(live.router);
  releasers.add('targets watch', live.watch());
  const router = () => live.router;

  const redis = createRedisConnection(config.redisUrl, 'consumer', 'herald-worker');
  logConnectionState(redis, logger);
  releasers.add('redis', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  const dlq = new LazyDeadLetters(config.databaseUrl);
  releasers.add('database', () => dlq.close());
  const queues = new PublishingQueues(redis, config.queuePrefix);
  releasers.add('queues', () => queues.close());
  const http = createHttpDelivery();
  releasers.add('http delivery', () => http.close());

  const breakers = new BreakerRegistry(redis, config.queuePrefix, config.breaker, (target, to) => {
    metrics.breakerTransitions.inc({ target, to });
    metrics.breakerState.set({ target }, BREAKER_STATE_VALUE[to]);
    logger.warn('circuit breaker changed state', { target, state: to });
  });
  const refreshBreakers = async () => {
    try {
      const views = await breakers.views(router().targets.map((t) => t.name));
      for (const [target, view] of Object.entries(views)) metrics.breakerState.set({ target }, BREAKER_STATE_VALUE[view.state]);
    } catch (error) {
      logger.debug('could not read breaker states', { error: coerceError(error).message });
    }
  };
  await refreshBreakers();
  const breakerRefresh = setInterval(() => void refreshBreakers(), BREAKER_REFRESH_MS);
  releasers.add('breaker refresh', () => clearInterval(breakerRefresh));

  const sweeper = new DeadLetterSweeper({ queues, dlq, router, metrics, logger, intervalMs: SWEEP_INTERVAL_MS });
  sweeper.start();
  releasers.add('dead-letter sweeper', () => sweeper.stop());

  const workers = await startPriorityWorkers({
    connection: redis,
    prefix: config.queuePrefix,
    queues: config.worker.queues,
    concurrency: config.worker.concurrency,
    priorityMaxWaitMs: config.priorityMaxWaitMs,
    backoff: { baseMs: config.delivery.backoffBaseMs, maxMs: config.delivery.backoffMaxMs },
    lockMs: config.worker.lockMs,
    deliver: createDeliveryProcessor({ router, http, breakers, rateLimiter: new TargetRateLimiter(redis, config.queuePrefix), dlq, metrics, logger }),
    onFailed: () => sweeper.poke(),
    metrics,
    logger,
  });
  releasers.add('workers', () => workers.close());

  let server: Server;
  try {
    server = await startMetricsServer({
      port: config.worker.metricsPort,
      registry,
      health: () => ({ mode: modeOf(live.router), queues: config.worker.queues, concurrency: config.worker.concurrency, active: workers.slots.busy, redis: redis.status }),
    });
  } catch (error) {
    await releasers.releaseAll(logger);
    throw error;
  }
  releasers.add('metrics server', () => new Promise<void>((resolve) => server.close(() => resolve())));

  const metricsPort = (server.address() as AddressInfo).port;
  logger.info('worker started', {
    queues: config.worker.queues,
    concurrency: config.worker.concurrency,
    metricsPort,
    mode: modeOf(live.router),
    targets: live.router.targets.map((t) => t.name),
  });
  if (modeOf(live.router) === 'metrics-only') logger.warn('no targets configured: metrics-only mode, nothing will be published');

  return { metricsPort, close: () => releasers.releaseAll(logger) };
}
