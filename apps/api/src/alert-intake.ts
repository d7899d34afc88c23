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
import { ValidationError, withRedis } from './http-errors';

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
  readonly now?: () => number;
}

/**
 * AlertIntake turns validated alerts into jobs: it routes each alert to its targets,
 * gives it a priority and enqueues one job per (alert, target), deduplicating repeats.
 */
export interface AlertIntake {
  accept(alerts: readonly Alert[], group: GroupContext, source: AlertSource, targetNames?: readonly string[]): Promise<IntakeResult>;
}

export function createAlertIntake(deps: AlertIntakeDeps): AlertIntake {
  const now = deps.now ?? Date.now;

  return {
    async accept(alerts, group, source, targetNames) {
      const router = deps.router();
      const explicitTargets = targetNames && resolveTargets(router, targetNames);
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
        deps.logger.warn('alerts matched no target and were not published', { count: unrouted.length, source, alerts: names.slice(0, 20) });
      }

      // On failure nothing is acknowledged: the 503 makes Alertmanager send the batch again,
      // and deduplication keeps whatever did get queued from being queued twice.
      const outcomes = specs.length > 0 ? await withRedis(() => deps.queues.add(specs)) : [];

      const jobs: AcceptedJob[] = [];
      const deduplicated: DeduplicatedJob[] = [];
      outcomes.forEach((outcome, i) => {
        const { data } = specs[i]!;
        if (outcome.queued) {
          jobs.push({ id: outcome.jobId, target: data.target, priority: data.priority, fingerprint: data.alert.fingerprint });
          deps.metrics.jobsEnqueued.inc({ priority: data.priority, target: data.target });
        } else {
          deduplicated.push({ target: data.target, fingerprint: data.alert.fingerprint, jobId: outcome.existingJobId });
        }
      });
      if (deduplicated.length > 0) deps.metrics.alertsDeduplicated.inc(deduplicated.length);
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
