import { performance } from 'node:perf_hooks';
import { UnrecoverableError } from 'bullmq';
import {
  classifyError,
  formatFor,
  type DeliveryReceipt,
  type HttpDelivery,
  type Logger,
  type OutboundRequest,
  type PublishJob,
  type Router,
  type WorkerMetrics,
} from '@herald/core';

export interface DeliveryProcessorDeps {
  /** The live target set. */
  readonly router: () => Router;
  readonly http: HttpDelivery;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
}

/**
 * The delivery processor takes one job (one alert for one target), formats it for the
 * target and sends it. A permanent failure throws UnrecoverableError so BullMQ stops at
 * once; any other failure is rethrown for BullMQ to retry with Herald's backoff.
 */
export function createDeliveryProcessor(deps: DeliveryProcessorDeps): (job: PublishJob) => Promise<DeliveryReceipt> {
  const { metrics } = deps;

  return async function deliver(job) {
    const { data } = job;
    if (job.attemptsMade === 0 && job.processedOn) {
      metrics.jobWait.observe({ priority: data.priority }, Math.max(0, job.processedOn - job.timestamp) / 1000);
    }
    const target = deps.router().get(data.target);
    if (!target) {
      return failPermanently(job, `target "${data.target}" is not configured on this worker`);
    }
    let request: OutboundRequest;
    try {
      request = formatFor(data.alert, data.group, target);
    } catch (error) {
      return failPermanently(job, `cannot format the alert for ${target.type}: ${(error as Error).message}`);
    }

    const started = performance.now();
    try {
      const { httpStatus } = await deps.http.send(request, target.timeoutMs, { 'x-herald-job-id': job.id! });
      const durationMs = performance.now() - started;
      metrics.deliveryDuration.observe({ target: target.name, outcome: 'success' }, durationMs / 1000);
      metrics.jobsCompleted.inc({ priority: data.priority, target: target.name });
      metrics.jobE2e.observe({ priority: data.priority }, Math.max(0, Date.now() - data.receivedAt) / 1000);
      return { httpStatus, durationMs: Math.round(durationMs) };
    } catch (error) {
      const { type, httpStatus } = classifyError(error);
      metrics.deliveryDuration.observe({ target: target.name, outcome: type }, (performance.now() - started) / 1000);
      const message = `${type}: ${(error as Error).message}`;
      const final = type === 'permanent' || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const log = deps.logger.child({ jobId: job.id, target: target.name, errorType: type, httpStatus, attempt: job.attemptsMade + 1 });
      if (final) {
        metrics.jobsFailed.inc({ priority: data.priority, target: target.name, error_type: type });
        log.warn('delivery failed for good', { error: message });
      } else {
        metrics.jobRetries.inc({ target: target.name, error_type: type });
        log.info('delivery failed, will retry', { error: message });
      }
      if (type === 'permanent') throw new UnrecoverableError(message);
      throw Object.assign(new Error(message), { cause: error });
    }
  };

  function failPermanently(job: PublishJob, reason: string): never {
    metrics.jobsFailed.inc({ priority: job.data.priority, target: job.data.target, error_type: 'permanent' });
    deps.logger.warn('delivery failed for good', { jobId: job.id, target: job.data.target, errorType: 'permanent', error: reason });
    throw new UnrecoverableError(`permanent: ${reason}`);
  }
}
