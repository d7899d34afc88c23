import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { Registry } from 'prom-client';
import {
  BreakerRegistry,
  PublishingQueues,
  LiveTargets,
  Releasers,
  createApiMetrics,
  createRedisConnection,
  logConnectionState,
  modeOf,
  waitForConnection,
  type HeraldConfig,
  type Logger,
  type TargetConfig,
} from '@herald/core';
import { KyselyDeadLetterRepository, createDatabase } from '@herald/core/database';
import { createAlertIntake } from './alert-intake';
import { createApp } from './app';
import { createIngestFastPath } from './ingest-fast-path';
import { protectiveHeaderValues } from './protective-headers';
import { QueueDepthGuard } from './queue-depth-guard';
import { createIngestEndpoints } from './routes/ingest-routes';
import { registerDeadLetterGauge, registerQueueDepthGauge } from './scrape-gauges';

const REDIS_START_WAIT_MS = 5000;

export interface RunningApi {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly port: number;
  /** Drains: refuses new requests with 503, finishes in-flight ones, closes connections. */
  close(): Promise<void>;
}

/**
 * Builds and starts the API from its configuration: the composition root shared by
 * `main.ts` and the tests. `config.port` 0 picks a free port.
 */
export async function startApi(config: HeraldConfig, targets: readonly TargetConfig[], logger: Logger): Promise<RunningApi> {
  const releasers = new Releasers();
  const registry = new Registry();
  const metrics = createApiMetrics(registry);
  const live = new LiveTargets(targets, { file: config.targetsFile, env: process.env, logger, onChange: (router) => metrics.setMode(modeOf(router)) });
  metrics.setMode(modeOf(live.router));
  releasers.add('targets watch', live.watch());
  const router = () => live.router;

  const redis = createRedisConnection(config.redisUrl, 'producer', 'herald-api');
  logConnectionState(redis, logger);
  if (!(await waitForConnection(redis, REDIS_START_WAIT_MS))) logger.error('redis is not reachable yet: submissions get 503 until it is');
  releasers.add('redis', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  const db = createDatabase(config.databaseUrl);
  releasers.add('database', () => db.destroy());
  const queues = new PublishingQueues(redis, config.queuePrefix);
  releasers.add('queues', () => queues.close());
  registerQueueDepthGauge(registry, queues);
  const dlq = new KyselyDeadLetterRepository(db);
  registerDeadLetterGauge(registry, dlq);
  // The API reads breakers and never changes them, so no transition listener.
  const breakers = new BreakerRegistry(redis, config.queuePrefix, config.breaker);

  const depthGuard = new QueueDepthGuard(queues, config.maxDepth, logger);
  depthGuard.start();
  releasers.add('queue depth guard', () => depthGuard.stop());
  const intake = createAlertIntake({ queues, router, metrics, logger, depthGuard, maxFanout: config.limits.fanoutPerRequest, maxAttempts: config.delivery.maxAttempts, dedupTtlMs: config.dedupTtlMs });
  const ingest = createIngestEndpoints({ intake, limits: config.limits, metrics });
  let draining = false;
  const app = createApp({
    ingest,
    queues,
    redis,
    db,
    dlq,
    breakers,
    maxAttempts: config.delivery.maxAttempts,
    registry,
    metrics,
    router,
    logger,
    apiToken: config.apiToken,
    adminToken: config.adminToken,
    draining: () => draining,
  });

  const fastPath = createIngestFastPath({ endpoints: ingest, apiToken: config.apiToken, headers: protectiveHeaderValues(), metrics, logger, draining: () => draining });
  let server: Server;
  try {
    server = await new Promise((resolve, reject) => {
      const listening = createServer((req, res) => {
        if (!fastPath(req, res)) app(req, res);
      })
        .listen(config.port, () => resolve(listening))
        .once('error', reject);
    });
  } catch (error) {
    await releasers.releaseAll(logger);
    throw error;
  }
  releasers.add('http server', () => closeServer(server));
  const port = (server.address() as AddressInfo).port;
  logger.info('api listening', { port, mode: modeOf(live.router), targets: live.router.targets.map((t) => t.name) });
  if (modeOf(live.router) === 'metrics-only') logger.warn('no targets configured: metrics-only mode, alerts are counted but not published');

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      draining = true;
      await releasers.releaseAll(logger);
    },
  };
}

/** Stops accepting connections, lets in-flight requests finish and closes idle keep-alive sockets. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
