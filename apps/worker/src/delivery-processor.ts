import { performance } from 'node:perf_hooks';
import { DelayedError, UnrecoverableError } from 'bullmq';
import {
  BreakerRegistry,
  RetryableDeliveryError,
  answerReaderFor,
  classifyError,
  coerceError,
  describeFailure,
  formatFor,
  type DeliveryReceipt,
  type FiringJobIndex,
  type HttpDelivery,
  type OutboundRequest,
  type Router,
  type TargetRateLimiter,
  type WorkerMetrics,
} from '@herald/core/delivery';
import type { Logger, PublishJob } from '@herald/core';
import type { DeadLetterWriter } from './lazy-dead-letters';

/** A probe holds a half-open breaker for the target's timeout plus this. */
const PROBE_LEASE_MARGIN_MS = 5000;
/** Parked jobs come back spread over up to this much, not all in the same millisecond. */
const PARK_SPREAD_MS = 1000;
/** A 429 without Retry-After still pauses its target this long. */
const DEFAULT_THROTTLE_PAUSE_MS = 1000;
/**
 * A resolve behind its trigger looks again after a quarter of the time it has waited, within
 * these bounds: soon after a trigger that is merely in flight, and a few times an hour
 * behind one held by a long outage, instead of once a second.
 */
const BEHIND_TRIGGER_MIN_MS = 250;
const BEHIND_TRIGGER_MAX_MS = 30_000;

export interface DeliveryProcessorDeps {
  /** The live target set. */
  readonly router: () => Router;
  readonly http: HttpDelivery;
  readonly breakers: BreakerRegistry;
  readonly rateLimiter: TargetRateLimiter;
  readonly firingJobs: FiringJobIndex;
  readonly dlq: DeadLetterWriter;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
}

export type Deliver = (job: PublishJob, token: string) => Promise<DeliveryReceipt>;

/**
 * The delivery processor takes one job (one alert for one target) through the target's
 * rate limit and circuit breaker, formats it and sends it. A job over the rate limit,
 * behind an open breaker, or resolving an alert whose trigger is still to be delivered is
 * parked (delayed, no attempt spent, no request). A job the alert has moved past at its
 * target (FiringJobIndex) completes without a request. A permanent failure throws
 * UnrecoverableError so BullMQ fails the job at once; any other failure throws
 * RetryableDeliveryError for BullMQ to retry with Herald's backoff. Jobs that fail for
 * good reach the DLQ through the sweeper.
 */
export function createDeliveryProcessor(deps: DeliveryProcessorDeps): Deliver {
  const { metrics } = deps;
  // prom-client hashes a label set on every call; the success path takes its children from
  // these maps instead (a handful of entries: priorities × targets).
  const waitOf = memo((priority: string) => metrics.jobWait.labels({ priority }));
  const e2eOf = memo((priority: string) => metrics.jobE2e.labels({ priority }));
  const successDurationOf = memo((target: string) => metrics.deliveryDuration.labels({ target, outcome: 'success' }));
  const completedOf = memo((priority: string) => memo((target: string) => metrics.jobsCompleted.labels({ priority, target })));

  return async function deliver(job, token) {
    const { data } = job;
    if (job.attemptsMade === 0 && job.attemptsStarted <= 1 && job.processedOn) {
      waitOf(data.priority).observe(Math.max(0, job.processedOn - job.timestamp) / 1000);
    }
    const target = deps.router().get(data.target);
    if (!target) return failPermanently(job, `target "${data.target}" is not configured`);
    // A trigger on its first attempt is the newest word on its alert; one that has been
    // here before (retried, parked, replayed) may have been overtaken while it waited.
    if (data.alert.status === 'resolved' || job.attemptsStarted > 1 || data.replayOf) {
      const standing = await deps.firingJobs.standing(target.name, data.alert);
      if (standing === 'superseded') return supersede(job, target.name);
      if (standing === 'wait') {
        const waitedMs = Date.now() - job.timestamp;
        const lookAgainMs = Math.min(BEHIND_TRIGGER_MAX_MS, Math.max(BEHIND_TRIGGER_MIN_MS, Math.round(waitedMs / 4)));
        return park(job, token, Date.now() + lookAgainMs, target.name, 'behind_trigger');
      }
    }
    let request: OutboundRequest;
    try {
      request = formatFor(data.alert, data.group, target);
    } catch (error) {
      return failPermanently(job, `cannot format the alert for ${target.type}: ${coerceError(error).message}`);
    }

    if (target.rateLimit) {
      const waitMs = await deps.rateLimiter.acquire(target.name, target.rateLimit, job.id!);
      if (waitMs > 0) return park(job, token, Date.now() + waitMs, target.name, 'rate_limited');
    }
    const admission = deps.breakers.cachedAdmission(target.name) ?? (await deps.breakers.admit(target.name, target.timeoutMs + PROBE_LEASE_MARGIN_MS));
    if (!admission.allowed) {
      const reason = admission.state === 'closed' ? 'throttled' : 'breaker_open';
      return park(job, token, admission.retryAt + Math.floor(Math.random() * PARK_SPREAD_MS), target.name, reason);
    }

    const readAnswer = answerReaderFor(target);
    const started = performance.now();
    try {
      const { httpStatus } = await deps.http.send(request, target.timeoutMs, { 'x-herald-job-id': job.id! }, readAnswer);
      const durationMs = performance.now() - started;
      successDurationOf(target.name).observe(durationMs / 1000);
      if (BreakerRegistry.recordNeeded(admission, 'success')) await recordBreaker(target.name, admission, 'success');
      completedOf(data.priority)(target.name).inc();
      e2eOf(data.priority).observe(Math.max(0, Date.now() - data.receivedAt) / 1000);
      if (data.alert.status === 'resolved') await recordEnded(target.name, data.alert);
      if (data.replayOf) await recordReplay(data.replayOf, target.name);
      return { httpStatus, durationMs: Math.round(durationMs) };
    } catch (error) {
      const classification = classifyError(error, readAnswer);
      const { type, httpStatus } = classification;
      if (httpStatus === 429) await slowDown(target.name, classification.retryAfterMs ?? DEFAULT_THROTTLE_PAUSE_MS);
      metrics.deliveryDuration.observe({ target: target.name, outcome: type }, (performance.now() - started) / 1000);
      // A permanent failure means the target answered: it is up, whatever the request's fault.
      await recordBreaker(target.name, admission, type === 'permanent' ? 'success' : 'failure');
      const detail = coerceError(error).message;
      const final = type === 'permanent' || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const log = deps.logger.child({ jobId: job.id, target: target.name, errorType: type, httpStatus, attempt: job.attemptsMade + 1 });
      if (final) {
        metrics.jobsFailed.inc({ priority: data.priority, target: target.name, error_type: type });
        log.warn('delivery failed for good', { error: detail });
      } else {
        metrics.jobRetries.inc({ target: target.name, error_type: type });
        log.info('delivery failed, will retry', { error: detail });
      }
      if (type === 'permanent') throw new UnrecoverableError(describeFailure(type, httpStatus, detail));
      throw new RetryableDeliveryError(classification, detail);
    }
  };

  /** Sets a job aside until `until` without spending an attempt; BullMQ fetches the next one. */
  async function park(job: PublishJob, token: string, until: number, target: string, reason: 'rate_limited' | 'breaker_open' | 'throttled' | 'behind_trigger'): Promise<never> {
    metrics.jobsParked.inc({ target, reason });
    await job.moveToDelayed(until, token);
    throw new DelayedError();
  }

  /**
   * Completes a job without sending it: the target already has a later state of the alert.
   * A replay counts as succeeded, since nothing of it remains to deliver.
   */
  async function supersede(job: PublishJob, target: string): Promise<DeliveryReceipt> {
    const { alert, replayOf } = job.data;
    metrics.jobsSuperseded.inc({ target, status: alert.status });
    deps.logger.info('not delivered: the alert has moved past this notification at its target', {
      jobId: job.id,
      target,
      fingerprint: alert.fingerprint,
      status: alert.status,
      startsAt: alert.startsAt,
    });
    if (replayOf) await recordReplay(replayOf, target);
    return { superseded: true };
  }

  /** Best effort: without the mark, a late trigger of this episode could reopen it at the target. */
  async function recordEnded(target: string, alert: PublishJob['data']['alert']) {
    try {
      await deps.firingJobs.ended(target, alert.fingerprint, alert.startsAt);
    } catch (error) {
      deps.logger.warn('could not mark the alert resolved at its target; a late trigger of it would be sent', {
        target,
        fingerprint: alert.fingerprint,
        error: coerceError(error).message,
      });
    }
  }

  /** The target said 429: every worker holds off it for the time it asked. */
  async function slowDown(target: string, ms: number) {
    try {
      await deps.breakers.hold(target, ms);
    } catch (error) {
      deps.logger.warn('could not pause a throttled target', { target, error: coerceError(error).message });
    }
  }

  /** Breaker bookkeeping must never turn a delivered alert into a failed job. */
  async function recordBreaker(target: string, admission: Parameters<BreakerRegistry['record']>[1], outcome: 'success' | 'failure') {
    try {
      await deps.breakers.record(target, admission, outcome);
    } catch (error) {
      deps.logger.warn('could not record the breaker outcome', { target, error: coerceError(error).message });
    }
  }

  /** Best effort: the delivery happened whatever PostgreSQL says. */
  async function recordReplay(entryId: string, target: string) {
    metrics.dlqReplays.inc({ target, result: 'succeeded' });
    try {
      await deps.dlq.recordReplayResult(entryId, 'succeeded');
    } catch (error) {
      deps.logger.warn('could not record a replay result', { dlqId: entryId, error: coerceError(error).message });
    }
  }

  function failPermanently(job: PublishJob, reason: string): never {
    metrics.jobsFailed.inc({ priority: job.data.priority, target: job.data.target, error_type: 'permanent' });
    deps.logger.warn('delivery failed for good', { jobId: job.id, target: job.data.target, errorType: 'permanent', error: reason });
    throw new UnrecoverableError(describeFailure('permanent', null, reason));
  }
}

/** One value per key, made on first use. */
function memo<T>(make: (key: string) => T): (key: string) => T {
  const made = new Map<string, T>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) {
      value = make(key);
      made.set(key, value);
    }
    return value;
  };
}
