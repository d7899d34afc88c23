import { Router } from 'express';
import { redactTarget, type BreakerRegistry, type Router as TargetRouter } from '@herald/core';
import { requireBearer } from '../auth';
import { withRedis } from '../http-errors';

/** The live targets, secrets redacted, each with its circuit breaker. */
export function targetRoutes(deps: { router: () => TargetRouter; breakers: BreakerRegistry; tokens: readonly (string | undefined)[] }): Router {
  const router = Router();
  router.get('/api/v1/targets', requireBearer(deps.tokens), async (_req, res) => {
    const targets = deps.router().targets;
    const breakers = await withRedis(() => deps.breakers.views(targets.map((t) => t.name)));
    res.json({ targets: targets.map((target) => ({ ...redactTarget(target), breaker: breakers[target.name] })) });
  });
  return router;
}
