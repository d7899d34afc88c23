import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { PublishingQueues, alertsFromWebhook, createJobSpec, parseTargets, priorityOf, type JobSpec, type TargetConfig } from '@herald/core';
import { findFreePort, roleArgs } from '@herald/devstack';
import type { BenchStack } from './bench-stack';
import type { BenchSystem, RunningApi } from './bench-system';
import { webhookBody, type AlertmanagerAlert } from './payloads';
import { RoleProcess } from './role-process';

const PREFILL_CHUNK = 1000;
const WORKER_CONCURRENCY = 50;
/**
 * Each queue's depth limit (QUEUE_MAX_DEPTH_*), above what a measurement can queue. An ingest
 * round queues every alert it takes and no worker drains them: at 30k alerts/s, 17 s of it
 * pass the medium queue's default of 500,000, and the API rightly answers 503 from there on.
 * Neither bare substrate has a limit; Herald still reads its depths and checks each request.
 */
const QUEUE_MAX_DEPTH = '10000000';

/**
 * Herald's jobs for these alerts sent as one webhook to target `sink`, exactly as the API
 * makes them: its parsing, priority and job options. `dedupTtlMs` 0 turns deduplication off.
 */
export function apiJobSpecs(alerts: readonly AlertmanagerAlert[], target: TargetConfig | undefined, dedupTtlMs: number): JobSpec[] {
  const { alerts: parsed, group } = alertsFromWebhook(JSON.parse(webhookBody(alerts)));
  const receivedAt = Date.now();
  return parsed.map((alert) =>
    createJobSpec({ alert, group, target: 'sink', priority: priorityOf(alert.status, alert.labels), source: 'alertmanager', receivedAt }, target, { maxAttempts: 5, dedupTtlMs }),
  );
}

/** What a tool may change of Herald's worker (`worker-ab`); the bench itself changes nothing. */
export interface HeraldVariant {
  /** Environment variables added to the worker's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Another build's worker entry instead of this checkout's (run with the same flags). */
  readonly entry?: string;
}

/** Herald as operators run it: `npm run api` and `npm run worker` (`ROLE_ENTRIES`). */
export class HeraldSystem implements BenchSystem {
  readonly name = 'herald';
  readonly webhookPath = '/api/v1/webhooks/alertmanager';
  readonly urgentPath = '/api/v1/webhooks/alertmanager';
  private readonly metricsPorts = new WeakMap<RoleProcess, number>();

  constructor(
    private readonly stack: BenchStack,
    private readonly variant: HeraldVariant = {},
  ) {}

  async startApi(prefix: string): Promise<RunningApi> {
    const port = await findFreePort();
    const role = new RoleProcess('herald api', roleArgs('api'), { ...this.env(prefix), PORT: String(port) });
    const origin = `http://127.0.0.1:${port}`;
    await role.waitForHttp(`${origin}/readyz`);
    return { role, origin };
  }

  async spawnWorker(prefix: string): Promise<RoleProcess> {
    const port = await findFreePort();
    const env = { ...this.env(prefix), ...this.variant.env, WORKER_METRICS_PORT: String(port) };
    const role = new RoleProcess('herald worker', roleArgs('worker', this.variant.entry), env);
    this.metricsPorts.set(role, port);
    return role;
  }

  workerReady(worker: RoleProcess): Promise<void> {
    return worker.waitForHttp(`http://127.0.0.1:${this.metricsPorts.get(worker)}/healthz`);
  }

  /** Jobs exactly as the API makes them: its parsing, routing target, priority and job options. */
  async prefill(prefix: string, alerts: readonly AlertmanagerAlert[], kind: 'normal' | 'backlog'): Promise<void> {
    const target = parseTargets(readFileSync(this.stack.targetsFile, 'utf8'), {}).find((t) => t.name === 'sink');
    if (!target) throw new Error('the bench targets file has no target "sink"');
    const redis = new Redis(this.stack.redisUrl, { maxRetriesPerRequest: null });
    const queues = new PublishingQueues(redis, prefix);
    try {
      for (let i = 0; i < alerts.length; i += PREFILL_CHUNK) {
        const chunk = alerts.slice(i, i + PREFILL_CHUNK).map((alert) => ({ ...alert, labels: { ...alert.labels, ...(kind === 'backlog' ? { severity: 'info' } : {}) } }));
        await queues.add(apiJobSpecs(chunk, target, 0));
      }
    } finally {
      await queues.close();
      redis.disconnect();
    }
  }

  private env(prefix: string): Record<string, string> {
    return {
      REDIS_URL: this.stack.redisUrl,
      DATABASE_URL: this.stack.databaseUrl,
      QUEUE_PREFIX: prefix,
      TARGETS_FILE: this.stack.targetsFile,
      LOG_LEVEL: 'warn',
      WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
      QUEUE_MAX_DEPTH_HIGH: QUEUE_MAX_DEPTH,
      QUEUE_MAX_DEPTH_MEDIUM: QUEUE_MAX_DEPTH,
      QUEUE_MAX_DEPTH_LOW: QUEUE_MAX_DEPTH,
    };
  }
}
