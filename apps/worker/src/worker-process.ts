import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import {
  Releasers,
  createHttpDelivery,
  createRedisConnection,
  createRouter,
  createWorkerMetrics,
  logConnectionState,
  type HeraldConfig,
  type Logger,
  type TargetConfig,
} from '@herald/core';
import { createDeliveryProcessor } from './delivery-processor';
import { startMetricsServer } from './metrics-server';
import { startPriorityWorkers } from './priority-workers';

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
  const router = createRouter(targets);
  const mode = targets.length > 0 ? 'publishing' : 'metrics-only';

  const registry = new Registry();
  const metrics = createWorkerMetrics(registry);
  metrics.setMode(mode);

  const redis = createRedisConnection(config.redisUrl, 'consumer', 'herald-worker');
  logConnectionState(redis, logger);
  releasers.add('redis', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  const http = createHttpDelivery();
  releasers.add('http delivery', () => http.close());

  const workers = await startPriorityWorkers({
    connection: redis,
    prefix: config.queuePrefix,
    queues: config.worker.queues,
    concurrency: config.worker.concurrency,
    priorityMaxWaitMs: config.priorityMaxWaitMs,
    backoff: { baseMs: config.delivery.backoffBaseMs, maxMs: config.delivery.backoffMaxMs },
    lockMs: config.worker.lockMs,
    deliver: createDeliveryProcessor({ router: () => router, http, metrics, logger }),
    metrics,
    logger,
  });
  releasers.add('workers', () => workers.close());

  let server;
  try {
    server = await startMetricsServer({
      port: config.worker.metricsPort,
      registry,
      health: () => ({ mode, queues: config.worker.queues, concurrency: config.worker.concurrency, active: workers.slots.busy, redis: redis.status }),
    });
  } catch (error) {
    await releasers.releaseAll(logger);
    throw error;
  }
  const metricsServer = server;
  releasers.add('metrics server', () => new Promise<void>((resolve) => metricsServer.close(() => resolve())));

  const metricsPort = (server.address() as AddressInfo).port;
  logger.info('worker started', { queues: config.worker.queues, concurrency: config.worker.concurrency, metricsPort, mode, targets: targets.map((t) => t.name) });
  if (mode === 'metrics-only') logger.warn('no targets configured: metrics-only mode, nothing will be published');

  return { metricsPort, close: () => releasers.releaseAll(logger) };
}
