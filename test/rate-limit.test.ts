import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './support/eventually';
import { Harness, getJson, jobSpec, targetsFrom, testEnv, waitForOutput } from './support/herald';
import { startTargetServer } from './support/target-server';
import { testTempDir } from './support/temp-dir';

/** The most requests that arrived within any window of `windowMs`. */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, start = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[start]! >= windowMs) start++;
    busiest = Math.max(busiest, i - start + 1);
  }
  return busiest;
}

describe('per-target rate limits', () => {
  const harness = new Harness();
  afterEach(() => harness.closeAll());

  it('When 50 alerts go to a target limited to 5 per second through two workers, then no second sees more than 5, and all 50 arrive', async () => {
    const target = await startTargetServer();
    harness.defer(() => target.close());
    const file = join(testTempDir('herald-rate-'), 'targets.yaml');
    writeFileSync(file, 'targets:\n  - { name: sink, type: webhook, url: "${SINK_URL}", rateLimit: { max: 5, perMs: 1000 } }\n');
    const databaseUrl = await harness.database();
    const env = testEnv({ DATABASE_URL: databaseUrl, TARGETS_FILE: file, SINK_URL: target.url, WORKER_CONCURRENCY: '20', LOG_LEVEL: 'info' });
    const workers = [harness.spawnRole('worker', env), harness.spawnRole('worker', env)];
    await Promise.all(workers.map((worker) => waitForOutput(worker, 'worker started')));

    const queues = harness.queues(env);
    const jobs = Array.from({ length: 50 }, (_, i) => jobSpec('medium', `limited-${i}`));
    await queues.add(jobs);
    await target.waitForRequests(50, 30_000);

    const times = target.requests.map((r) => r.at);
    expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(5);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(8000);
    expect(new Set(target.requests.map((r) => r.headers['x-herald-job-id']))).toEqual(new Set(jobs.map((job) => job.jobId)));
    const counts = await eventually(async () => {
      const { medium } = await queues.counts();
      return medium.completed === 50 ? medium : undefined;
    }, 'all 50 jobs to complete');
    expect(counts.failed).toBe(0);
    expect((await harness.dlq(databaseUrl).stats()).total).toBe(0);
  });

  it('When a target answers 429 with Retry-After: 2, then no worker sends it anything for 2 s, and the parked jobs still arrive', async () => {
    const target = await startTargetServer((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    harness.defer(() => target.close());
    const env = testEnv({ DATABASE_URL: await harness.database(), WORKER_CONCURRENCY: '1' });
    const queues = harness.queues(env);
    const worker = await harness.worker(env, targetsFrom(`targets:\n  - { name: sink, type: webhook, url: "${target.url}" }\n`));
    await queues.add(Array.from({ length: 10 }, (_, i) => jobSpec('medium', `held-${i}`)));

    const requests = await target.waitForRequests(11, 15_000);
    const [throttled, ...rest] = requests;
    expect(Math.min(...rest.map((r) => r.at)) - throttled!.at).toBeGreaterThanOrEqual(2000);
    const metrics = (await getJson(`http://127.0.0.1:${worker.metricsPort}/metrics`)).body as string;
    expect(metrics).toMatch(/^herald_jobs_parked_total\{target="sink",reason="throttled"\} [1-9]/m);
  });
});
