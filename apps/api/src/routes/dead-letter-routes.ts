import { Router } from 'express';
import Joi from 'joi';
import {
  NO_GROUP,
  PRIORITIES,
  createJobSpec,
  type ApiMetrics,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterRepository,
  type PublishingQueues,
  type Router as TargetRouter,
} from '@herald/core';
import { isDeadLetterCursor } from '@herald/core/database';
import { requireBearer } from '../auth';
import { ConflictError, NotFoundError, ValidationError, withDatabase, withRedis } from '../http-errors';
import { jsonBody } from '../json-body';
import { validate } from '../validate';

const ERROR_TYPES = ['transient', 'permanent', 'unknown'];
const DURATION = /^(\d{1,6})(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const filterKeys = {
  target: Joi.string().max(64),
  errorType: Joi.string().valid(...ERROR_TYPES),
  priority: Joi.string().valid(...PRIORITIES),
};
const duration = Joi.string().pattern(DURATION).messages({ 'string.pattern.base': '{{#label}} must be a duration such as 30d, 12h, 15m or 90s' });

const listSchema = Joi.object({
  ...filterKeys,
  replayed: Joi.boolean(),
  limit: Joi.number().integer().min(1).max(500).default(50),
  cursor: Joi.string().max(512),
});
const replayOneSchema = Joi.object({ force: Joi.boolean().default(false) });
const replayManySchema = Joi.object({
  ...filterKeys,
  olderThan: duration,
  limit: Joi.number().integer().min(1).max(1000).default(100),
  force: Joi.boolean().default(false),
});
const purgeSchema = Joi.object({ olderThan: duration.required() });

export interface DeadLetterRouteDeps {
  readonly dlq: DeadLetterRepository;
  readonly queues: PublishingQueues;
  readonly router: () => TargetRouter;
  readonly metrics: ApiMetrics;
  readonly maxAttempts: number;
  readonly apiToken: string | undefined;
  readonly adminToken: string | undefined;
}

/**
 * The dead-letter queue for operators: list and stats for anyone who may read jobs;
 * replay and purge only with the admin token.
 */
export function deadLetterRoutes(deps: DeadLetterRouteDeps): Router {
  const router = Router();
  const read = requireBearer([deps.apiToken, deps.adminToken]);
  const admin = requireBearer([deps.adminToken]);

  router.get('/api/v1/publishing/dlq', read, async (req, res) => {
    const query = validate<DeadLetterFilter & { limit: number; cursor?: string }>(listSchema, req.query, 'query');
    const { limit, cursor, ...filter } = query;
    if (cursor && !isDeadLetterCursor(cursor)) {
      throw new ValidationError('invalid query: cursor: not a cursor this API returned', [{ path: 'cursor', message: 'not a cursor this API returned' }]);
    }
    res.json(await withDatabase(() => deps.dlq.list(filter, { limit, ...(cursor ? { cursor } : {}) })));
  });

  router.get('/api/v1/publishing/dlq/stats', read, async (_req, res) => {
    res.json(await withDatabase(() => deps.dlq.stats()));
  });

  router.get('/api/v1/publishing/dlq/:id', read, async (req, res) => {
    const entry = await withDatabase(() => deps.dlq.get(String(req.params.id)));
    if (!entry) throw new NotFoundError(`no DLQ entry with id "${req.params.id}"`);
    res.json(entry);
  });

  router.post('/api/v1/publishing/dlq/replay', admin, ...jsonBody, async (req, res) => {
    const body = validate<{ target?: string; errorType?: string; priority?: string; olderThan?: string; limit: number; force: boolean }>(
      replayManySchema,
      req.body,
      'replay filter',
    );
    const { olderThan, limit, force, ...rest } = body;
    const filter = { ...rest, ...(olderThan ? { failedBefore: new Date(Date.now() - durationMs(olderThan)) } : {}) } as DeadLetterFilter;
    const outcome = await withDatabase(() => deps.dlq.replay({ filter, limit, force }, enqueue));
    const entries = outcome.status === 'replayed' ? outcome.entries : [];
    res.status(202).json({ replayed: entries.length, entries: entries.map(summary) });
  });

  router.post('/api/v1/publishing/dlq/:id/replay', admin, async (req, res) => {
    const { force } = validate<{ force: boolean }>(replayOneSchema, req.query, 'query');
    const outcome = await withDatabase(() => deps.dlq.replay({ id: String(req.params.id), force }, enqueue));
    if (outcome.status === 'not_found') throw new NotFoundError(`no DLQ entry with id "${req.params.id}"`);
    if (outcome.status === 'already_replayed') {
      throw new ConflictError(`DLQ entry ${req.params.id} was already replayed at ${outcome.entry.replayedAt}; add ?force=true to replay it again`);
    }
    res.status(202).json(summary(outcome.entries[0]!));
  });

  router.delete('/api/v1/publishing/dlq', admin, async (req, res) => {
    const { olderThan } = validate<{ olderThan: string }>(purgeSchema, req.query, 'query');
    const purged = await withDatabase(() => deps.dlq.purge(new Date(Date.now() - durationMs(olderThan))));
    res.json({ purged });
  });

  /** Puts entries back on their original priority queue as new jobs, all in one round trip per queue. */
  async function enqueue(entries: DeadLetter[]): Promise<void> {
    const receivedAt = Date.now();
    const specs = entries.map((entry) => {
      const { group, ...alert } = entry.alert;
      return createJobSpec(
        {
          alert,
          group: group ?? NO_GROUP,
          target: entry.targetName,
          priority: entry.priority,
          source: 'replay',
          receivedAt,
          replayOf: entry.id,
        },
        deps.router().get(entry.targetName),
        { maxAttempts: deps.maxAttempts, dedupTtlMs: 0 },
      );
    });
    await withRedis(() => deps.queues.add(specs));
    for (const entry of entries) deps.metrics.dlqReplays.inc({ target: entry.targetName, result: 'queued' });
  }

  return router;
}

function summary(entry: DeadLetter) {
  return { id: entry.id, jobId: entry.jobId, target: entry.targetName, priority: entry.priority, replayCount: entry.replayCount, replayResult: entry.replayResult };
}

function durationMs(text: string): number {
  const [, amount, unit] = DURATION.exec(text)!;
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}
