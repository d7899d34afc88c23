import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type {
  ApiMetrics,
  BreakerRegistry,
  DeadLetterRepository,
  HeraldDatabase,
  Logger,
  PublishingQueues,
  Router as TargetRouter,
} from '@herald/core';
import { requireAdminPage } from './auth';
import { errorHandler, HttpError, notFoundHandler } from './http-errors';
import { protectiveHeaders } from './protective-headers';
import { QUEUE_BOARD_PATH, queueBoard } from './queue-board';
import { requestId } from './request-id';
import { requestMetrics } from './request-metrics';
import { healthRoutes } from './routes/health-routes';
import { ingestRoutes, type IngestEndpoints } from './routes/ingest-routes';
import { deadLetterRoutes } from './routes/dead-letter-routes';
import { jobRoutes } from './routes/job-routes';
import { targetRoutes } from './routes/target-routes';

export interface AppDeps {
  /** The ingest endpoints, which the fast path also serves (see ingest-fast-path.ts). */
  readonly ingest: IngestEndpoints;
  readonly queues: PublishingQueues;
  readonly redis: Redis;
  readonly db: Kysely<HeraldDatabase>;
  readonly dlq: DeadLetterRepository;
  readonly breakers: BreakerRegistry;
  readonly maxAttempts: number;
  readonly registry: Registry;
  readonly metrics: ApiMetrics;
  readonly router: () => TargetRouter;
  readonly logger: Logger;
  readonly apiToken: string | undefined;
  readonly adminToken: string | undefined;
  /** True once shutdown began: new requests get 503 and the connection is closed. */
  readonly draining: () => boolean;
}

/** The HTTP API as an Express app, wired from explicit dependencies. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Answers describe queue state that changes by the millisecond; an ETag would only cost
  // a hash of every body.
  app.set('etag', false);

  app.use(protectiveHeaders);
  app.use(requestId);
  app.use(requestMetrics(deps.metrics));
  app.use((_req, res, next) => {
    if (!deps.draining()) return next();
    res.setHeader('Connection', 'close');
    res.setHeader('Retry-After', '2');
    throw new HttpError(503, 'shutting_down', 'this API process is shutting down; retry');
  });

  app.use(healthRoutes(deps));
  app.use(ingestRoutes({ endpoints: deps.ingest, apiToken: deps.apiToken }));
  const readers = [deps.apiToken, deps.adminToken];
  app.use(jobRoutes({ queues: deps.queues, dlq: deps.dlq, breakers: deps.breakers, router: deps.router, tokens: readers }));
  app.use(deadLetterRoutes(deps));
  app.use(targetRoutes({ router: deps.router, breakers: deps.breakers, tokens: readers }));
  app.use(QUEUE_BOARD_PATH, requireAdminPage(deps.adminToken), queueBoard(deps.queues));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
