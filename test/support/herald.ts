import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { roleArgs } from '@herald/devstack/role-entries';
import { migrateToLatest } from '@herald/migrations';
import { startApi, type RunningApi } from '@herald/api';
import {
  PublishingQueues,
  createJobSpec,
  createLogger,
  loadEnvConfig,
  parseTargets,
  type HeraldConfig,
  type JobSpec,
  type Priority,
  type TargetConfig,
} from '@herald/core';
import { KyselyDeadLetterRepository, createDatabase } from '@herald/core/database';
import { startWorker, type RunningWorker, type WorkerHooks } from '@herald/worker';

export const ROOT = resolve(__dirname, '../..');

/** Logs stay quiet in tests unless HERALD_TEST_LOGS is set. */
export const testLogger = createLogger({ service: 'test', level: process.env.HERALD_TEST_LOGS ? 'debug' : 'error', silent: !process.env.HERALD_TEST_LOGS });

/** A queue prefix no other test file uses, so files can share one Redis. */
export function uniquePrefix(): string {
  return `t${randomBytes(4).toString('hex')}`;
}

/** The environment of a test process: the harness's Redis and PostgreSQL, free ports, fast backoff. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    REDIS_URL: process.env.TEST_REDIS_URL,
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    PORT: '0',
    WORKER_METRICS_PORT: '0',
    QUEUE_PREFIX: uniquePrefix(),
    BACKOFF_BASE_MS: '50',
    BACKOFF_MAX_MS: '200',
    LOG_LEVEL: 'error',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined)) as Record<string, string>;
}

export function testConfig(env: Record<string, string>): HeraldConfig {
  return loadEnvConfig(env, '/nonexistent');
}

/** Targets from YAML text, `${VAR}` read from `env`. */
export function targetsFrom(yaml: string, env: NodeJS.ProcessEnv = {}): TargetConfig[] {
  return parseTargets(yaml, env);
}

/** Everything one test started, closed in reverse by `closeAll`. */
export class Harness {
  private readonly closers: (() => Promise<void>)[] = [];

  defer(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  async api(env: Record<string, string>, targets: readonly TargetConfig[]): Promise<RunningApi> {
    const api = await startApi(testConfig(env), targets, testLogger);
    this.defer(() => api.close());
    return api;
  }

  async worker(env: Record<string, string>, targets: readonly TargetConfig[], hooks?: WorkerHooks): Promise<RunningWorker> {
    const worker = await startWorker(testConfig(env), targets, testLogger, hooks);
    this.defer(() => worker.close());
    return worker;
  }

  /** Direct access to the publish queues, as an operator's script would have. */
  queues(env: Record<string, string>): PublishingQueues {
    const redis = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: null });
    const queues = new PublishingQueues(redis, env.QUEUE_PREFIX!);
    this.defer(async () => {
      await queues.close();
      redis.disconnect();
    });
    return queues;
  }

  /**
   * Runs a compiled role (`api` or `worker`) as a real process, as `npm run api` would, or
   * with other arguments for `node` (`args`).
   */
  spawnRole(role: 'api' | 'worker', env: Record<string, string>, args: readonly string[] = roleArgs(role)): ChildProcess {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.defer(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
    });
    return child;
  }

  /**
   * A database of its own on the harness's PostgreSQL, migrated, dropped at the end: for
   * tests whose DLQ assertions (a purge, say) must not see other files' rows.
   */
  async database(): Promise<string> {
    const name = `herald_${uniquePrefix()}`;
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${name}`;
    await migrateToLatest(url.toString());
    this.defer(async () => {
      const dropper = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    });
    return url.toString();
  }

  /** The DLQ of a database, read as an operator's script would. */
  dlq(databaseUrl: string): KyselyDeadLetterRepository {
    const db = createDatabase(databaseUrl, { maxConnections: 2 });
    this.defer(() => db.destroy());
    return new KyselyDeadLetterRepository(db);
  }

  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close();
  }
}

/** Collects a child's output and resolves with it and its exit code when it exits. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, output })));
}

/** Resolves when the child logs a line containing `text`. */
export function waitForOutput(child: ChildProcess, text: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`child did not print "${text}" within ${timeoutMs} ms; it printed:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(text)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  });
}

/** A job as the API would enqueue it (for target `sink` unless told), for queueing while no worker runs. */
export function jobSpec(priority: Priority, fingerprint: string, target = 'sink'): JobSpec {
  return createJobSpec(
    {
      alert: { fingerprint, status: 'firing', labels: { alertname: fingerprint }, annotations: {}, startsAt: '2026-11-22T10:00:00Z', endsAt: null, generatorURL: null },
      group: { receiver: null, groupKey: null, externalURL: null },
      target,
      priority,
      source: 'api',
      receivedAt: Date.now(),
    },
    undefined,
    { maxAttempts: 3, dedupTtlMs: 0 },
  );
}

export interface TestAlert {
  status?: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  fingerprint?: string;
}

/** An Alertmanager v4 webhook body, as Alertmanager 0.27 sends it. */
export function alertmanagerPayload(alerts: TestAlert[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    receiver: 'herald',
    status: alerts.some((alert) => (alert.status ?? 'firing') === 'firing') ? 'firing' : 'resolved',
    alerts: alerts.map((alert, i) => ({
      status: alert.status ?? 'firing',
      labels: alert.labels,
      annotations: alert.annotations ?? { summary: `summary of ${alert.labels.alertname ?? 'alert'}` },
      startsAt: alert.startsAt ?? '2026-11-22T10:00:00.123456789Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: `http://prometheus.example:9090/graph?g0.expr=up%3D%3D0&i=${i}`,
      fingerprint: alert.fingerprint ?? randomBytes(8).toString('hex'),
    })),
    groupLabels: { alertname: alerts[0]?.labels.alertname ?? '' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    version: '4',
    groupKey: '{}:{alertname="Test"}',
    truncatedAlerts: 0,
    ...overrides,
  };
}

/** POSTs JSON and returns status, headers and parsed body. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // metrics are text
  }
  return { status: response.status, headers: response.headers, body };
}
