import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { COMPLETED_JOB_RETENTION } from '@herald/core';
import { findFreePort } from '@herald/devstack';
import type { BenchStack } from './bench-stack';
import type { BenchSystem, RunningApi } from './bench-system';
import { BARE_JOB_OPTIONS, BARE_QUEUE, BACKLOG_PRIORITY, CONTRACT_JOB_OPTIONS } from './bare/bare-settings';
import type { AlertmanagerAlert } from './payloads';
import { RoleProcess } from './role-process';

const PREFILL_CHUNK = 1000;

/**
 * The substrate alone: bench/src/bare's Express + addBulk API and BullMQ Worker + undici.
 * `contract` runs the same scripts doing what DESIGN.md asks of any implementation and
 * nothing of Herald's own: the webhook validated with Herald's joi schema, BullMQ
 * deduplication for `DEDUP_TTL_MS`, retries, completed jobs kept 24 h (up to 20,000).
 */
export class BareSystem implements BenchSystem {
  readonly name: 'bare' | 'contract';
  readonly webhookPath = '/webhook';
  readonly urgentPath = '/webhook?priority=1';

  constructor(
    private readonly stack: BenchStack,
    private readonly contract = false,
  ) {
    this.name = contract ? 'contract' : 'bare';
  }

  async startApi(prefix: string): Promise<RunningApi> {
    const port = await findFreePort();
    const env = { REDIS_URL: this.stack.redisUrl, QUEUE_PREFIX: prefix, PORT: String(port), ...(this.contract ? { BARE_CONTRACT: '1' } : {}) };
    const role = new RoleProcess(`${this.name} api`, [resolve(__dirname, 'bare/bare-api.js')], env);
    const origin = `http://127.0.0.1:${port}`;
    await role.waitForHttp(`${origin}/healthz`);
    return { role, origin };
  }

  async spawnWorker(prefix: string): Promise<RoleProcess> {
    const env = { REDIS_URL: this.stack.redisUrl, QUEUE_PREFIX: prefix, SINK_URL: this.stack.sink.url, ...(this.contract ? { BARE_KEEP_COMPLETED: JSON.stringify(COMPLETED_JOB_RETENTION) } : {}) };
    return new RoleProcess(`${this.name} worker`, [resolve(__dirname, 'bare/bare-worker.js')], env);
  }

  workerReady(worker: RoleProcess): Promise<void> {
    return worker.waitForOutput('bare-worker ready');
  }

  /** Like the API would (without deduplication in contract mode, as Herald's prefill: every alert is new). */
  async prefill(prefix: string, alerts: readonly AlertmanagerAlert[], kind: 'normal' | 'backlog'): Promise<void> {
    const redis = new Redis(this.stack.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(BARE_QUEUE, { connection: redis, prefix });
    const base = this.contract ? CONTRACT_JOB_OPTIONS : BARE_JOB_OPTIONS;
    const opts = kind === 'backlog' ? { ...base, priority: BACKLOG_PRIORITY } : base;
    try {
      for (let i = 0; i < alerts.length; i += PREFILL_CHUNK) {
        await queue.addBulk(alerts.slice(i, i + PREFILL_CHUNK).map((alert) => ({ name: 'alert', data: alert, opts })));
      }
    } finally {
      await queue.close();
      redis.disconnect();
    }
  }
}
