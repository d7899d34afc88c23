import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { migrateToLatest } from '@herald/migrations';
import { LocalPostgres } from './local-postgres';
import { LocalRedis, RedisServerNotFoundError } from './local-redis';
import { roleArgs } from './role-entries';

/**
 * `npm start`: the whole system on one machine. Uses REDIS_URL / DATABASE_URL when set,
 * otherwise a local redis-server (append-only, under .data/redis) and an embedded
 * PostgreSQL (under .data/pg); migrates; runs one API and one worker; prints where
 * everything is. Ctrl-C stops what it started, in reverse order.
 */
const root = resolve(__dirname, '../../..');
const dataDir = resolve(root, '.data');
const READY_TIMEOUT_MS = 60_000;

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const started: Stoppable[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const service of started.reverse()) {
      await service.stop().catch((error) => console.error(`herald: stopping ${service.name} failed: ${(error as Error).message}`));
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    let redisUrl = process.env.REDIS_URL;
    if (!redisUrl) {
      const redis = new LocalRedis({ dataDir: resolve(dataDir, 'redis'), appendOnly: true });
      await redis.start();
      started.push({ name: 'redis-server', stop: () => redis.stop() });
      redisUrl = redis.url;
    }
    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      const postgres = new LocalPostgres({ dataDir: resolve(dataDir, 'pg'), database: 'herald' });
      await postgres.start();
      started.push({ name: 'embedded PostgreSQL', stop: () => postgres.stop() });
      databaseUrl = postgres.url;
    }
    await migrateToLatest(databaseUrl);

    const port = Number(process.env.PORT ?? 8080);
    const metricsPort = Number(process.env.WORKER_METRICS_PORT ?? 9464);
    const targetsFile = process.env.TARGETS_FILE ?? (existsSync(resolve(root, 'targets.yaml')) ? resolve(root, 'targets.yaml') : undefined);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: redisUrl,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      WORKER_METRICS_PORT: String(metricsPort),
      ...(targetsFile ? { TARGETS_FILE: targetsFile } : {}),
    };
    for (const name of ['worker', 'api'] as const) {
      const child = spawn(process.execPath, roleArgs(name), { env, stdio: 'inherit', detached: true });
      started.push({ name, stop: () => stopChild(child) });
      child.once('exit', (code, signal) => {
        if (stopping) return;
        console.error(`herald: the ${name} exited (${signal ?? `code ${code}`}); stopping everything.`);
        void stopAll(1);
      });
    }

    const apiUrl = `http://127.0.0.1:${port}`;
    await waitForReady(`${apiUrl}/readyz`);
    console.log(banner({ apiUrl, metricsPort, redisUrl, databaseUrl, targetsFile, local: { redis: !process.env.REDIS_URL, postgres: !process.env.DATABASE_URL } }));
  } catch (error) {
    console.error(error instanceof RedisServerNotFoundError ? `herald: ${error.message}` : `herald: failed to start: ${(error as Error).message}`);
    await stopAll(1);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    child.once('exit', () => resolveStop());
    child.kill('SIGTERM');
  });
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the API did not become ready at ${url} within ${READY_TIMEOUT_MS / 1000} s`);
}

function banner(info: {
  apiUrl: string;
  metricsPort: number;
  redisUrl: string;
  databaseUrl: string;
  targetsFile: string | undefined;
  local: { redis: boolean; postgres: boolean };
}): string {
  const auth = process.env.API_TOKEN
    ? `\n        http_config:\n          authorization:\n            credentials_file: /etc/alertmanager/herald-token   # holds API_TOKEN`
    : '';
  return `
Herald is running.
  API              ${info.apiUrl}   (ready: ${info.apiUrl}/readyz, stats: ${info.apiUrl}/api/v1/publishing/stats)
  API metrics      ${info.apiUrl}/metrics
  Worker metrics   http://127.0.0.1:${info.metricsPort}/metrics
  Redis            ${info.redisUrl}${info.local.redis ? '   (local redis-server, data in .data/redis)' : ''}
  PostgreSQL       ${redactPassword(info.databaseUrl)}${info.local.postgres ? '   (embedded, data in .data/pg)' : ''}
  Targets          ${info.targetsFile ?? 'none: metrics-only mode (copy targets.example.yaml to targets.yaml to publish)'}

Paste into alertmanager.yml:

receivers:
  - name: herald
    webhook_configs:
      - url: ${info.apiUrl}/api/v1/webhooks/alertmanager
        send_resolved: true
        max_alerts: 0${auth}

Ctrl-C stops everything.
`;
}

function redactPassword(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

void main();
