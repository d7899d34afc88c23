import { Router } from 'express';
import Joi from 'joi';
import {
  JOB_STATES,
  PRIORITIES,
  modeOf,
  parseFailure,
  type BreakerRegistry,
  type DeadLetter,
  type DeadLetterRepository,
  type JobState,
  type Priority,
  type PublishJob,
  type PublishingQueues,
  type Router as TargetRouter,
} from '@herald/core';
import { requireBearer } from '../auth';
import { NotFoundError, withDatabase, withRedis } from '../http-errors';
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
  /** Class of the last failure: transient, permanent or unknown. */
  lastErrorType: string | null;
  httpStatus: number | null;
  /** Completed without a request: the alert had moved past this notification at its target. */
  superseded: boolean;
  /** Set once the job failed for good and its DLQ entry was written. */
  dlqId: string | null;
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
  readonly dlq: DeadLetterRepository;
  readonly breakers: BreakerRegistry;
  readonly router: () => TargetRouter;
  readonly tokens: readonly (string | undefined)[];
}

/** Read-only views of jobs and queues. */
export function jobRoutes(deps: JobRouteDeps): Router {
  const router = Router();
  const read = requireBearer(deps.tokens);

  router.get('/api/v1/publishing/jobs/:id', read, async (req, res) => {
    const id = String(req.params.id);
    const found = await withRedis(() => deps.queues.getJobWithState(id));
    if (found) {
      res.json(toView(found.job, found.state));
      return;
    }
    // A job that failed for good left Redis once the DLQ had it.
    const entry = await withDatabase(() => deps.dlq.getByJobId(id));
    if (!entry) throw new NotFoundError(`no job with id "${id}" (finished jobs are kept for 24 h)`);
    res.json(deadLetteredView(entry));
  });

  router.get('/api/v1/publishing/jobs', read, async (req, res) => {
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

  router.get('/api/v1/publishing/stats', read, async (_req, res) => {
    const targets = deps.router().targets;
    const [queues, breakers] = await withRedis(() => Promise.all([deps.queues.counts(), deps.breakers.views(targets.map((t) => t.name))]));
    // The DLQ part is best effort: queue depths matter most when PostgreSQL is the one down.
    const dlq = await deps.dlq.stats().then(
      ({ total, replayed }) => ({ total, replayed, unreplayed: total - replayed }),
      () => null,
    );
    res.json({ mode: modeOf(deps.router()), targets: targets.length, queues, breakers, dlq });
  });

  return router;
}

function toView(job: PublishJob, state: string): JobView {
  const receipt = job.returnvalue as { httpStatus?: number; superseded?: boolean } | null;
  const failure = job.failedReason ? parseFailure(job.failedReason) : null;
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
    lastError: failure?.detail ?? null,
    lastErrorType: failure?.errorType ?? null,
    httpStatus: receipt?.httpStatus ?? failure?.httpStatus ?? null,
    superseded: receipt?.superseded === true,
    dlqId: null,
  };
}

function deadLetteredView(entry: DeadLetter): JobView {
  return {
    id: entry.jobId,
    state: 'dead-lettered',
    priority: entry.priority,
    target: entry.targetName,
    fingerprint: entry.fingerprint,
    alertname: entry.alert.labels.alertname ?? null,
    alertStatus: entry.alert.status,
    attemptsMade: entry.attempts,
    maxAttempts: entry.attempts,
    createdAt: entry.createdAt,
    processedAt: entry.lastAttemptAt,
    finishedAt: entry.failedAt,
    lastError: entry.errorMessage,
    lastErrorType: entry.errorType,
    httpStatus: entry.httpStatus,
    superseded: false,
    dlqId: entry.id,
  };
}
