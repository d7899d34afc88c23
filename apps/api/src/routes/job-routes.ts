import { Router } from 'express';
import Joi from 'joi';
import { JOB_STATES, PRIORITIES, type JobState, type Mode, type Priority, type PublishJob, type PublishingQueues } from '@herald/core';
import { requireBearer } from '../auth';
import { NotFoundError, withRedis } from '../http-errors';
import { validate } from '../validate';

/** A job as the API shows it. */
export interface JobView {
  id: string;
  state: string;
  priority: Priority;
  target: string;
  fingerprint: string;
  alertname: string | null;
  alertStatus: string;
  attemptsMade: number;
  maxAttempts: number;
  createdAt: string;
  processedAt: string | null;
  finishedAt: string | null;
  lastError: string | null;
  httpStatus: number | null;
}

const listQuerySchema = Joi.object({
  state: Joi.string().valid(...JOB_STATES),
  priority: Joi.string().valid(...PRIORITIES),
  target: Joi.string().max(64),
  limit: Joi.number().integer().min(1).max(500).default(50),
});

/** When filtering by target, this many recent jobs per queue and state are searched. */
const TARGET_SCAN = 1000;

export interface JobRouteDeps {
  readonly queues: PublishingQueues;
  readonly mode: () => Mode;
  readonly targetCount: () => number;
  readonly tokens: readonly (string | undefined)[];
}

/** Read-only views of jobs and queues. */
export function jobRoutes(deps: JobRouteDeps): Router {
  const router = Router();
  router.use('/api/v1/publishing', requireBearer(deps.tokens));

  router.get('/api/v1/publishing/jobs/:id', async (req, res) => {
    const job = await withRedis(() => deps.queues.getJob(req.params.id));
    if (!job) throw new NotFoundError(`no job with id "${req.params.id}" (finished jobs are kept for 24 h)`);
    res.json(toView(job, await withRedis(() => job.getState())));
  });

  router.get('/api/v1/publishing/jobs', async (req, res) => {
    const query = validate<{ state?: JobState; priority?: Priority; target?: string; limit: number }>(listQuerySchema, req.query, 'query');
    const priorities = query.priority ? [query.priority] : PRIORITIES;
    const states = query.state ? [query.state] : JOB_STATES;
    const scan = query.target ? TARGET_SCAN : query.limit;
    const found = await withRedis(() =>
      Promise.all(
        priorities.flatMap((priority) =>
          states.map(async (state) => {
            const jobs = (await deps.queues.queue(priority).getJobs([state], 0, scan - 1, false)) as PublishJob[];
            return jobs.filter((job) => job && (!query.target || job.data.target === query.target)).map((job) => toView(job, state));
          }),
        ),
      ),
    );
    const jobs = found
      .flat()
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, query.limit);
    res.json({ jobs });
  });

  router.get('/api/v1/publishing/stats', async (_req, res) => {
    const queues = await withRedis(() => deps.queues.counts());
    res.json({ mode: deps.mode(), targets: deps.targetCount(), queues });
  });

  return router;
}

function toView(job: PublishJob, state: string): JobView {
  const receipt = job.returnvalue as { httpStatus?: number } | null;
  return {
    id: job.id!,
    state,
    priority: job.data.priority,
    target: job.data.target,
    fingerprint: job.data.alert.fingerprint,
    alertname: job.data.alert.labels.alertname ?? null,
    alertStatus: job.data.alert.status,
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    createdAt: new Date(job.timestamp).toISOString(),
    processedAt: job.processedOn ? new Date(job.processedOn).toISOString() : null,
    finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    lastError: job.failedReason || null,
    httpStatus: receipt?.httpStatus ?? null,
  };
}
