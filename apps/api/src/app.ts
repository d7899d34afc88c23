import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { ApiMetrics, HeraldDatabase, Logger, PublishingQueues, Router as TargetRouter } from '@herald/core';
import type { AlertIntake } from './alert-intake';
import { errorHandler, HttpError, notFoundHandler } from './http-errors';
import { requestMetrics } from './request-metrics';
import { healthRoutes } from './routes/health-routes';
import { ingestRoutes } from './routes/ingest-routes';
import { jobRoutes } from './routes/job-routes';

export interface AppDeps {
  readonly intake: AlertIntake;
  readonly queues: PublishingQueues;
  readonly redis: Redis;
  readonly db: Kysely<HeraldDatabase>;
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

  app.use(requestMetrics(deps.metrics));
  app.use((_req, res, next) => {
    if (!deps.draining()) return next();
    res.setHeader('Connection', 'close');
    res.setHeader('Retry-After', '2');
    throw new HttpError(503, 'shutting_down', 'this API process is shutting down; retry');
  });

  app.use(healthRoutes(deps));
  app.use(ingestRoutes({ intake: deps.intake, apiToken: deps.apiToken }));
  app.use(
    jobRoutes({
      queues: deps.queues,
      mode: () => (deps.router().targets.length > 0 ? 'publishing' : 'metrics-only'),
      targetCount: () => deps.router().targets.length,
      tokens: [deps.apiToken, deps.adminToken],
    }),
  );

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
