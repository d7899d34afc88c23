import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { findFreePort } from '@herald/devstack';
import type { BenchStack } from './bench-stack';
import type { BenchSystem, RunningApi } from './bench-system';
import { BARE_JOB_OPTIONS, BARE_QUEUE, BACKLOG_PRIORITY } from './bare/bare-settings';
import type { AlertmanagerAlert } from './payloads';
import { RoleProcess } from './role-process';

const PREFILL_CHUNK = 1000;

/** The substrate alone: bench/src/bare's Express + addBulk API and BullMQ Worker + undici. */
export class BareSystem implements BenchSystem {
  readonly name = 'bare';
  readonly webhookPath = '/webhook';
  readonly urgentPath = '/webhook?priority=1';

  constructor(private readonly stack: BenchStack) {}

  async startApi(prefix: string): Promise<RunningApi> {
    const port = await findFreePort();
    const role = new RoleProcess('bare api', resolve(__dirname, 'bare/bare-api.js'), { REDIS_URL: this.stack.redisUrl, QUEUE_PREFIX: prefix, PORT: String(port) });
    const origin = `http://127.0.0.1:${port}`;
    await role.waitForHttp(`${origin}/healthz`);
    return { role, origin };
  }

  async spawnWorker(prefix: string): Promise<RoleProcess> {
    return new RoleProcess('bare worker', resolve(__dirname, 'bare/bare-worker.js'), { REDIS_URL: this.stack.redisUrl, QUEUE_PREFIX: prefix, SINK_URL: this.stack.sink.url });
  }

  workerReady(worker: RoleProcess): Promise<void> {
    return worker.waitForOutput('bare-worker ready');
  }

  async prefill(prefix: string, alerts: readonly AlertmanagerAlert[], kind: 'normal' | 'backlog'): Promise<void> {
    const redis = new Redis(this.stack.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(BARE_QUEUE, { connection: redis, prefix });
    const opts = kind === 'backlog' ? { ...BARE_JOB_OPTIONS, priority: BACKLOG_PRIORITY } : BARE_JOB_OPTIONS;
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
