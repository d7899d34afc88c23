import { Router } from 'express';
import { sql, type Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { HeraldDatabase } from '@herald/core';

const CHECK_TIMEOUT_MS = 2000;

/** Liveness, readiness (Redis and PostgreSQL reachable) and Prometheus metrics. */
export function healthRoutes(deps: { redis: Redis; db: Kysely<HeraldDatabase>; registry: Registry }): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const [redis, postgres] = await Promise.all([
      check(() => deps.redis.ping()),
      check(() => sql`select 1`.execute(deps.db)),
    ]);
    const ready = redis === 'ok' && postgres === 'ok';
    if (!ready) res.setHeader('Retry-After', '5');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { redis, postgres } });
  });

  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.registry.contentType);
    res.send(await deps.registry.metrics());
  });

  return router;
}

async function check(probe: () => Promise<unknown>): Promise<'ok' | 'unreachable'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}
