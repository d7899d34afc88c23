import {
  createJobSpec,
  priorityOf,
  type Alert,
  type AlertSource,
  type ApiMetrics,
  type GroupContext,
  type JobSpec,
  type Logger,
  type Mode,
  type Priority,
  type PublishingQueues,
  type Router,
  type TargetConfig,
} from '@herald/core';
import { LimitExceededError, QueueFullError, ValidationError, withRedis } from './http-errors';
import type { QueueDepthGuard } from './queue-depth-guard';

export interface AcceptedJob {
  readonly id: string;
  readonly target: string;
  readonly priority: Priority;
  readonly fingerprint: string;
}

export interface DeduplicatedJob {
  readonly target: string;
  readonly fingerprint: string;
  /** The job this notification repeats. */
  readonly jobId: string;
}

/** What happened to a batch of alerts: the body of a 202. */
export interface IntakeResult {
  readonly mode: Mode;
  readonly alerts: number;
  readonly jobs: AcceptedJob[];
  readonly deduplicated: DeduplicatedJob[];
  /** Fingerprints of alerts that matched no target. */
  readonly unrouted: string[];
}

export interface AlertIntakeDeps {
  readonly queues: PublishingQueues;
  /** The live target set; read per request so a reload takes effect at once. */
  readonly router: () => Router;
  readonly metrics: ApiMetrics;
  readonly logger: Logger;
  readonly maxAttempts: number;
  readonly dedupTtlMs: number;
  /** Jobs one request may create (MAX_FANOUT_PER_REQUEST). */
  readonly maxFanout: number;
  /** Which queues are over their depth limit. */
  readonly depthGuard: Pick<QueueDepthGuard, 'isFull' | 'depth' | 'limit'>;
  readonly now?: () => number;
}

/**
 * AlertIntake turns validated alerts into jobs: it routes each alert to its targets,
 * gives it a priority and enqueues one job per (alert, target), deduplicating repeats.
 */
export interface AlertIntake {
  accept(alerts: readonly Alert[], group: GroupContext, source: AlertSource, options?: { targetNames?: readonly string[]; requestId?: string }): Promise<IntakeResult>;
}

export function createAlertIntake(deps: AlertIntakeDeps): AlertIntake {
  const now = deps.now ?? Date.now;

  function queueFull(refused: JobSpec[]): QueueFullError {
    const priorities = [...new Set(refused.map((spec) => spec.data.priority))];
    for (const priority of priorities) deps.metrics.alertsRefused.inc({ priority }, refused.filter((spec) => spec.data.priority === priority).length);
    return new QueueFullError(
      `${refused.length} job(s) refused: the ${priorities.join(' and ')} queue is over its depth limit; the rest were queued; retry later`,
      priorities.map((priority) => ({
        path: `queues.${priority}`,
        message: `${deps.depthGuard.depth(priority)} jobs waiting, limit QUEUE_MAX_DEPTH_${priority.toUpperCase()}=${deps.depthGuard.limit(priority)}`,
      })),
    );
  }

  return {
    async accept(alerts, group, source, options = {}) {
      const router = deps.router();
      const explicitTargets = options.targetNames && resolveTargets(router, options.targetNames);
      deps.metrics.alertsReceived.inc({ source }, alerts.length);

      if (router.targets.length === 0) {
        return { mode: 'metrics-only', alerts: alerts.length, jobs: [], deduplicated: [], unrouted: [] };
      }

      const receivedAt = now();
      const specs: JobSpec[] = [];
      const unrouted: string[] = [];
      for (const alert of alerts) {
        const targets = explicitTargets ?? router.route(alert.labels);
        if (targets.length === 0) unrouted.push(alert.fingerprint);
        const priority = priorityOf(alert.status, alert.labels);
        for (const target of targets) {
          specs.push(createJobSpec({ alert, group, target: target.name, priority, source, receivedAt }, target, deps));
        }
      }
      if (unrouted.length > 0) {
        deps.metrics.alertsUnrouted.inc(unrouted.length);
        const names = alerts.filter((alert) => unrouted.includes(alert.fingerprint)).map((alert) => alert.labels.alertname ?? alert.fingerprint);
        deps.logger.warn('alerts matched no target and were not published', { count: unrouted.length, source, alerts: names.slice(0, 20), requestId: options.requestId });
      }

      if (specs.length > deps.maxFanout) {
        throw new LimitExceededError('fanout_too_large', `this request would create ${specs.length} jobs (alerts × targets), over MAX_FANOUT_PER_REQUEST (${deps.maxFanout})`);
      }
      // A full queue refuses only its own jobs: the rest are queued, the answer is 503, and
      // when Alertmanager sends the batch again deduplication drops what was queued.
      const refused: JobSpec[] = [];
      const queueing: JobSpec[] = [];
      for (const spec of specs) (deps.depthGuard.isFull(spec.data.priority) ? refused : queueing).push(spec);

      // On failure nothing is acknowledged: the 503 makes Alertmanager send the batch again,
      // and deduplication keeps whatever did get queued from being queued twice.
      const outcomes = queueing.length > 0 ? await withRedis(() => deps.queues.add(queueing)) : [];

      const jobs: AcceptedJob[] = [];
      const deduplicated: DeduplicatedJob[] = [];
      // Counted per (priority, target) once per request: prom-client hashes labels on every call.
      const enqueued = new Map<string, { priority: Priority; target: string; count: number }>();
      outcomes.forEach((outcome, i) => {
        const { data } = queueing[i]!;
        if (outcome.queued) {
          jobs.push({ id: outcome.jobId, target: data.target, priority: data.priority, fingerprint: data.alert.fingerprint });
          const key = `${data.priority}\u0000${data.target}`;
          const tally = enqueued.get(key);
          if (tally) tally.count += 1;
          else enqueued.set(key, { priority: data.priority, target: data.target, count: 1 });
        } else {
          deduplicated.push({ target: data.target, fingerprint: data.alert.fingerprint, jobId: outcome.existingJobId });
        }
      });
      for (const { priority, target, count } of enqueued.values()) deps.metrics.jobsEnqueued.inc({ priority, target }, count);
      if (deduplicated.length > 0) deps.metrics.alertsDeduplicated.inc(deduplicated.length);
      if (refused.length > 0) throw queueFull(refused);
      return { mode: 'publishing', alerts: alerts.length, jobs, deduplicated, unrouted };
    },
  };
}

/** Named targets must all exist: a body can pick configured targets, never invent one. */
function resolveTargets(router: Router, names: readonly string[]): TargetConfig[] {
  const unknown = names.filter((name) => !router.get(name));
  if (unknown.length > 0) {
    throw new ValidationError(
      `unknown target${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
      unknown.map((name) => ({ path: `targets[${names.indexOf(name)}]`, message: `no target named "${name}" is configured` })),
    );
  }
  return names.map((name) => router.get(name)!);
}
