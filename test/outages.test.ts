import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalRedis } from '@herald/devstack/local-redis';
import { findFreePort } from '@herald/devstack/free-port';
import { migrateToLatest } from '@herald/migrations';
import { startAlertLoad } from './support/alert-load';
import { eventually } from './support/eventually';
import { Harness, ROOT, exitOf, getJson, testEnv, waitForOutput } from './support/herald';
import { startTargetServer, type TargetServer } from './support/target-server';
import { testTempDir } from './support/temp-dir';

/** With HERALD_TEST_REPORT set, prints a scenario's figures (for docs/operations.md). */
const report = (scenario: string, figures: Record<string, unknown>) => {
  if (process.env.HERALD_TEST_REPORT) console.log(`${scenario}: ${JSON.stringify(figures)}`);
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fingerprintsAt = (target: TargetServer) => new Set(target.requests.map((r) => (r.body as { alert: { fingerprint: string } }).alert.fingerprint));

function targetsFile(): string {
  const path = join(testTempDir('herald-outage-'), 'targets.yaml');
  writeFileSync(path, 'targets:\n  - { name: sink, type: webhook, url: "${SINK_URL}" }\n');
  return path;
}

/** The last warnings and errors each spawned role logged, for a failure's message. */
const warnings = new Map<ChildProcess, string[]>();
/** What each spawned role wrote outside its JSON log. */
const stderrOf = new Map<ChildProcess, string>();

/** Spawns a role and resolves once it is serving. */
async function started(harness: Harness, role: 'api' | 'worker', env: Record<string, string>): Promise<ChildProcess> {
  const child = harness.spawnRole(role, { ...env, LOG_LEVEL: 'info' });
  const lines: string[] = [];
  warnings.set(child, lines);
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter((l) => /"level":"(warn|error)"/.test(l))) lines.push(`${role}: ${line.slice(0, 300)}`);
    lines.splice(0, lines.length - 20);
  });
  stderrOf.set(child, '');
  child.stderr!.on('data', (chunk: Buffer) => stderrOf.set(child, stderrOf.get(child)! + chunk.toString()));
  await waitForOutput(child, role === 'api' ? 'api listening' : 'worker started', 30_000);
  return child;
}

/** Waits for every acknowledged alert at the sink; a timeout says which are missing and what the roles complained of. */
async function everyAcknowledgedDelivered(sink: TargetServer, acknowledged: ReadonlySet<string>, timeoutMs: number, roles: readonly ChildProcess[]): Promise<void> {
  try {
    await sink.waitFor(() => [...acknowledged].every((f) => fingerprintsAt(sink).has(f)), timeoutMs);
  } catch (error) {
    const missing = [...acknowledged].filter((f) => !fingerprintsAt(sink).has(f));
    const logged = roles.flatMap((role) => warnings.get(role) ?? []);
    throw new Error(`${(error as Error).message}: ${missing.length} of ${acknowledged.size} acknowledged alerts missing (${missing.slice(0, 3).join(', ')}…); last warnings:\n${logged.join('\n')}`);
  }
}

describe('outages and restarts under load', () => {
  const harness = new Harness();
  afterEach(() => harness.closeAll());

  it('When redis-server stops for 20 s under load and starts again, then the API answers 503 meanwhile, recovers by itself, and every acknowledged alert is delivered', async () => {
    const redis = new LocalRedis({ dataDir: testTempDir('herald-redis-outage-'), appendOnly: true });
    await redis.start();
    harness.defer(() => redis.stop());
    const sink = await startTargetServer();
    harness.defer(() => sink.close());
    const port = await findFreePort();
    const env = testEnv({ REDIS_URL: redis.url, DATABASE_URL: await harness.database(), PORT: String(port), TARGETS_FILE: targetsFile(), SINK_URL: sink.url });
    const roles = await Promise.all([started(harness, 'api', env), started(harness, 'worker', env)]);
    const apiUrl = `http://127.0.0.1:${port}`;

    // Alertmanager backs off between retries; a second keeps 20 s of refusals from flooding a 2-core machine.
    const load = startAlertLoad({ url: () => apiUrl, perSecond: 40, retryPauseMs: 1000 });
    await pause(3000);
    await redis.stop();
    await pause(20_000);
    const duringOutage = await getJson(`${apiUrl}/readyz`);
    await redis.start();
    await eventually(async () => ((await getJson(`${apiUrl}/readyz`)).status === 200 ? true : undefined), 'the API to be ready again', 20_000);
    await pause(3000);
    const stats = await load.stop();

    report('redis outage', { acknowledged: stats.acknowledged.size, answers: stats.answers });
    expect(duringOutage).toMatchObject({ status: 503, body: { checks: { redis: 'unreachable' } } });
    expect(stats.answers['503']).toBeGreaterThan(0);
    expect(stats.badAnswers).toEqual([]);
    expect(stats.unhelpful503s).toBe(0);
    expect(stats.acknowledged.size).toBeGreaterThan(100);
    await everyAcknowledgedDelivered(sink, stats.acknowledged, 60_000, roles);
    // Connection errors are logged once per connection as JSON, not printed raw on every retry.
    expect(roles.map((role) => stderrOf.get(role))).toEqual(['', '']);
  }, 180_000);

  it('When PostgreSQL stops under load, then DLQ endpoints answer 503, delivery goes on, and final failures reach the DLQ once it is back', async () => {
    const dataDir = join(testTempDir('herald-pg-load-'), 'pg');
    const pgPort = await findFreePort();
    const startPostgres = async () => {
      const child = spawn(process.execPath, [resolve(ROOT, 'packages/devstack/dist/postgres-server.js'), dataDir, String(pgPort), 'herald'], { stdio: ['ignore', 'pipe', 'pipe'] });
      await waitForOutput(child, 'ready ', 30_000);
      return child;
    };
    let postgres = await startPostgres();
    const stopPostgres = async () => {
      const exited = exitOf(postgres);
      postgres.kill('SIGTERM');
      await exited;
    };
    harness.defer(async () => {
      if (postgres.exitCode === null) await stopPostgres();
    });
    const databaseUrl = `postgres://postgres:herald-local@127.0.0.1:${pgPort}/herald`;
    await migrateToLatest(databaseUrl);
    // Every other alert is refused by the target for good, so final failures happen throughout.
    const sink = await startTargetServer((request) => ({ status: parseInt((request.body as { alert: { fingerprint: string } }).alert.fingerprint, 16) % 2 ? 422 : 200 }));
    harness.defer(() => sink.close());
    const port = await findFreePort();
    const env = testEnv({ DATABASE_URL: databaseUrl, PORT: String(port), TARGETS_FILE: targetsFile(), SINK_URL: sink.url });
    await Promise.all([started(harness, 'api', env), started(harness, 'worker', env)]);
    const apiUrl = `http://127.0.0.1:${port}`;

    const load = startAlertLoad({ url: () => apiUrl, perSecond: 30 });
    await pause(2000);
    await stopPostgres();
    const deliveredBefore = sink.requests.length;
    await pause(8000);
    const dlqDuringOutage = await getJson(`${apiUrl}/api/v1/publishing/dlq`);
    const deliveredDuring = sink.requests.length - deliveredBefore;
    postgres = await startPostgres();
    await pause(2000);
    const stats = await load.stop();

    report('postgres outage', { acknowledged: stats.acknowledged.size, answers: stats.answers, deliveredDuringOutage: deliveredDuring });
    expect(dlqDuringOutage.status).toBe(503);
    expect(dlqDuringOutage.headers.get('retry-after')).toBe('5');
    expect(deliveredDuring).toBeGreaterThan(100);
    expect(stats.badAnswers).toEqual([]);
    const refusedForGood = [...stats.acknowledged].filter((f) => parseInt(f, 16) % 2);
    const dlq = harness.dlq(databaseUrl);
    const rows = await eventually(async () => {
      const page = await dlq.list({}, { limit: 500 });
      return page.entries.length >= refusedForGood.length ? page.entries : undefined;
    }, 'every final failure in the DLQ', 30_000);
    expect(rows.map((row) => row.fingerprint).sort()).toEqual(refusedForGood.sort());
  }, 120_000);

  it('When every API and worker process gets SIGTERM mid-load and is started again, then there is no 5xx but 503, and no acknowledged alert is lost', async () => {
    const sink = await startTargetServer(() => ({ status: 200, delayMs: 20 }));
    harness.defer(() => sink.close());
    const port = await findFreePort();
    const env = testEnv({ DATABASE_URL: await harness.database(), PORT: String(port), TARGETS_FILE: targetsFile(), SINK_URL: sink.url, WORKER_CONCURRENCY: '10' });
    const first = await Promise.all([started(harness, 'api', env), started(harness, 'worker', env), started(harness, 'worker', env)]);
    const apiUrl = `http://127.0.0.1:${port}`;

    const load = startAlertLoad({ url: () => apiUrl, perSecond: 50 });
    await pause(3000);
    const exits = first.map((child) => exitOf(child));
    for (const child of first) child.kill('SIGTERM');
    const codes = await Promise.all(exits);
    const second = await Promise.all([started(harness, 'api', env), started(harness, 'worker', env), started(harness, 'worker', env)]);
    await pause(3000);
    const stats = await load.stop();

    report('rolling restart', { acknowledged: stats.acknowledged.size, answers: stats.answers, exitCodes: codes.map((c) => c.code) });
    expect(codes.map((c) => c.code)).toEqual([0, 0, 0]);
    expect(stats.badAnswers).toEqual([]);
    expect(stats.acknowledged.size).toBeGreaterThan(150);
    await everyAcknowledgedDelivered(sink, stats.acknowledged, 30_000, [...first, ...second]);
  }, 120_000);
});
