import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { LocalPostgres, LocalRedis } from '@herald/devstack';
import { migrateToLatest } from '@herald/migrations';
import { cpuSeconds } from './machine';
import { SinkServer } from './sink-server';

const STOP_TIMEOUT_MS = 15_000;

/**
 * The throwaway infrastructure of one bench run: a redis-server without persistence, an
 * ephemeral embedded PostgreSQL (migrated), the sink, and a targets file naming the sink.
 */
export class BenchStack {
  readonly dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  readonly redis = new LocalRedis({ dataDir: join(this.dir, 'redis'), appendOnly: false });
  readonly postgres = new LocalPostgres({ dataDir: join(this.dir, 'pg'), database: 'herald_bench', ephemeral: true });
  readonly sink = new SinkServer();
  readonly targetsFile = join(this.dir, 'targets.yaml');
  private admin: Redis | undefined;
  private started = { redis: false, postgres: false };

  async start(): Promise<void> {
    await this.redis.start();
    this.started.redis = true;
    await this.postgres.start();
    this.started.postgres = true;
    await migrateToLatest(this.postgres.url);
    await this.sink.start();
    writeFileSync(this.targetsFile, `targets:\n  - name: sink\n    type: webhook\n    url: ${this.sink.url}\n`);
    this.admin = new Redis(this.redis.url, { maxRetriesPerRequest: 3 });
  }

  /** CPU time redis-server has used so far (s): the share of the machine each system's Redis work takes. */
  redisCpuSeconds(): number {
    const pid = this.redis.pid;
    if (pid === undefined) throw new Error('the bench redis-server is not running');
    return cpuSeconds(pid);
  }

  get redisUrl(): string {
    return this.redis.url;
  }

  get databaseUrl(): string {
    return this.postgres.url;
  }

  /** Empties Redis and the sink, so no measurement sees another's jobs or arrivals. */
  async reset(): Promise<void> {
    await this.admin!.flushall();
    this.sink.reset();
  }

  async redisMemoryMb(): Promise<number> {
    const info = await this.admin!.info('memory');
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN) / 2 ** 20;
  }

  /** Sends the servers their stop signals now; for a signal handler that cannot wait. */
  stopNow(): void {
    void this.redis.stop();
    void this.postgres.stop();
  }

  /** Removes the temporary directory; for the exit hook, once the servers are gone. */
  removeDirNow(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    this.admin?.disconnect();
    await this.sink.close();
    const stops: Promise<void>[] = [];
    if (this.started.redis) stops.push(withTimeout(this.redis.stop(), 'redis-server'));
    if (this.started.postgres) stops.push(withTimeout(this.postgres.stop(), 'PostgreSQL'));
    const results = await Promise.allSettled(stops);
    rmSync(this.dir, { recursive: true, force: true });
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}

function withTimeout(stop: Promise<void>, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not stop within ${STOP_TIMEOUT_MS} ms`)), STOP_TIMEOUT_MS);
    stop.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
