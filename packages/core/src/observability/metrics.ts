import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { BoundHistogram } from './bound-histogram';

/** Sub-millisecond to 30 s, for anything a single request or delivery takes. */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Waits and end-to-end times also span retries, so they reach ten minutes. */
export const LATENCY_BUCKETS = [...DURATION_BUCKETS, 60, 120, 300, 600];

export type Mode = 'publishing' | 'metrics-only';

/** `herald_mode{mode}`: 1 for the mode this process runs in, 0 for the other. */
export function createModeGauge(registry: Registry) {
  const gauge = new Gauge({ name: 'herald_mode', help: 'Whether Herald publishes to targets or only counts alerts', labelNames: ['mode'], registers: [registry] });
  return (mode: Mode) => {
    gauge.set({ mode: 'publishing' }, mode === 'publishing' ? 1 : 0);
    gauge.set({ mode: 'metrics-only' }, mode === 'metrics-only' ? 1 : 0);
  };
}

/** `herald_dlq_replays_total{target,result}`: 'queued' counted by the API, the outcome by workers. */
function createDlqReplaysCounter(registry: Registry) {
  return new Counter({ name: 'herald_dlq_replays_total', help: 'DLQ entries replayed, by outcome', labelNames: ['target', 'result'], registers: [registry] });
}

/**
 * `herald_worker_active_jobs`: a plain count on the delivery path, read into the gauge when
 * it is collected. A prom-client Gauge's `inc` and `dec` hash their (empty) label set on
 * every call, twice a job (bench/README.md, finding 61).
 */
function createActiveJobsGauge(registry: Registry) {
  let active = 0;
  new Gauge({
    name: 'herald_worker_active_jobs',
    help: 'Deliveries in progress in this worker',
    registers: [registry],
    collect() {
      this.set(active);
    },
  });
  return {
    inc: () => {
      active += 1;
    },
    dec: () => {
      active -= 1;
    },
  };
}

/** The metrics the API owns. */
export function createApiMetrics(registry: Registry) {
  collectDefaultMetrics({ register: registry });
  return {
    setMode: createModeGauge(registry),
    alertsReceived: new Counter({ name: 'herald_alerts_received_total', help: 'Alerts accepted, by source', labelNames: ['source'], registers: [registry] }),
    alertsDeduplicated: new Counter({ name: 'herald_alerts_deduplicated_total', help: 'Alert deliveries dropped as repeats within DEDUP_TTL_MS', registers: [registry] }),
    alertsUnrouted: new Counter({ name: 'herald_alerts_unrouted_total', help: 'Alerts that matched no target', registers: [registry] }),
    alertsTruncated: new Counter({
      name: 'herald_alerts_truncated_total',
      help: 'Alerts Alertmanager left out of webhooks (truncatedAlerts, from its max_alerts)',
      registers: [registry],
    }),
    alertsRefused: new Counter({
      name: 'herald_alerts_refused_total',
      help: 'Jobs refused with 503 because their queue was over its depth limit',
      labelNames: ['priority'],
      registers: [registry],
    }),
    jobsEnqueued: new Counter({ name: 'herald_jobs_enqueued_total', help: 'Jobs enqueued, one per alert and target', labelNames: ['priority', 'target'], registers: [registry] }),
    dlqReplays: createDlqReplaysCounter(registry),
    httpRequestDuration: new Histogram({
      name: 'herald_http_request_duration_seconds',
      help: 'API request duration',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
  };
}
export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/**
 * The metrics a worker process owns. A worker thread passes `processMetrics: false`: the
 * process's CPU, memory and event-loop figures are the main thread's to report, and its
 * /metrics adds the thread's series to its own.
 */
export function createWorkerMetrics(registry: Registry, options: { processMetrics?: boolean } = {}) {
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    setMode: createModeGauge(registry),
    jobsCompleted: new Counter({ name: 'herald_jobs_completed_total', help: 'Jobs delivered', labelNames: ['priority', 'target'], registers: [registry] }),
    jobsFailed: new Counter({
      name: 'herald_jobs_failed_total',
      help: 'Jobs that failed for good (sent to the DLQ)',
      labelNames: ['priority', 'target', 'error_type'],
      registers: [registry],
    }),
    jobRetries: new Counter({ name: 'herald_job_retries_total', help: 'Failed attempts that will be retried', labelNames: ['target', 'error_type'], registers: [registry] }),
    deliveryDuration: new BoundHistogram({
      name: 'herald_delivery_duration_seconds',
      help: 'Duration of one delivery attempt',
      labelNames: ['target', 'outcome'] as const,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    jobWait: new BoundHistogram({
      name: 'herald_job_wait_seconds',
      help: 'Time from enqueue to the first delivery attempt',
      labelNames: ['priority'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    jobE2e: new BoundHistogram({
      name: 'herald_job_e2e_seconds',
      help: 'Time from the API accepting an alert to its delivery',
      labelNames: ['priority'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    activeJobs: createActiveJobsGauge(registry),
    jobsParked: new Counter({
      name: 'herald_jobs_parked_total',
      help: 'Jobs set aside without an attempt because their target could not take them',
      labelNames: ['target', 'reason'],
      registers: [registry],
    }),
    jobsSuperseded: new Counter({
      name: 'herald_jobs_superseded_total',
      help: 'Jobs completed without a request because the alert had moved past them at their target (it fired again, or that episode had resolved)',
      labelNames: ['target', 'status'],
      registers: [registry],
    }),
    breakerState: new Gauge({ name: 'herald_breaker_state', help: 'Circuit breaker per target: 0 closed, 1 half-open, 2 open', labelNames: ['target'], registers: [registry] }),
    breakerTransitions: new Counter({
      name: 'herald_breaker_transitions_total',
      help: 'Circuit breaker state changes made by this process',
      labelNames: ['target', 'to'],
      registers: [registry],
    }),
    dlqWrites: new Counter({ name: 'herald_dlq_writes_total', help: 'Jobs written to the dead-letter queue', labelNames: ['target', 'error_type'], registers: [registry] }),
    dlqReplays: createDlqReplaysCounter(registry),
  };
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

const PRIORITY_LABELS = ['high', 'medium', 'low'] as const;
const ERROR_TYPE_LABELS = ['transient', 'permanent', 'unknown'] as const;

/**
 * Creates every failure series of these targets at zero. A labelled counter has no
 * series until its first increment, and `rate()`/`increase()` cannot see that first
 * increment, so without this a target's first failure, retry or DLQ write would never
 * fire an alert.
 */
export function primeTargetMetrics(metrics: WorkerMetrics, targets: readonly string[]): void {
  for (const target of targets) {
    for (const error_type of ERROR_TYPE_LABELS) {
      metrics.jobRetries.inc({ target, error_type }, 0);
      metrics.dlqWrites.inc({ target, error_type }, 0);
      for (const priority of PRIORITY_LABELS) metrics.jobsFailed.inc({ priority, target, error_type }, 0);
    }
    for (const priority of PRIORITY_LABELS) metrics.jobsCompleted.inc({ priority, target }, 0);
  }
}
