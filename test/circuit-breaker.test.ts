import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './support/eventually';
import { Harness, jobSpec, testEnv, waitForOutput } from './support/herald';
import { startTargetServer } from './support/target-server';
import { testTempDir } from './support/temp-dir';

describe('the circuit breaker, shared by worker processes', () => {
  const harness = new Harness();
  afterAll(() => harness.closeAll());

  it('When a target is down while 200 jobs arrive through two workers, then few requests reach it, no attempt is spent while open, and all 200 arrive once it recovers', async () => {
    let down = true;
    const target = await startTargetServer(() => ({ status: down ? 503 : 200 }));
    harness.defer(() => target.close());
    const targetsFile = join(testTempDir('herald-targets-'), 'targets.yaml');
    writeFileSync(targetsFile, 'targets:\n  - { name: sink, type: webhook, url: "${SINK_URL}" }\n');
    const databaseUrl = await harness.database();
    const env = testEnv({
      DATABASE_URL: databaseUrl,
      TARGETS_FILE: targetsFile,
      SINK_URL: target.url,
      WORKER_CONCURRENCY: '5',
      BREAKER_FAILURE_THRESHOLD: '5',
      BREAKER_OPEN_MS: '1000',
      MAX_ATTEMPTS: '3',
      BACKOFF_BASE_MS: '100',
      BACKOFF_MAX_MS: '400',
      LOG_LEVEL: 'info',
    });
    const workers = [harness.spawnRole('worker', env), harness.spawnRole('worker', env)];
    await Promise.all(workers.map((worker) => waitForOutput(worker, 'worker started')));

    const queues = harness.queues(env);
    const jobs = Array.from({ length: 200 }, (_, i) => jobSpec('medium', `breaker-${i}`));
    await queues.add(jobs);
    // Three seconds of outage: three open periods of 1 s, each ending in one probe.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const requestsWhileDown = target.requests.length;
    down = false;
    if (process.env.HERALD_TEST_REPORT) console.log(`requests while down: ${requestsWhileDown}`);

    // Requests that arrive from here on are answered 200.
    const delivered = () => new Set(target.requests.slice(requestsWhileDown).map((r) => r.headers['x-herald-job-id']));
    await target.waitFor(() => jobs.every((job) => delivered().has(job.jobId)), 30_000);

    // Threshold (5) + what both workers had in flight when it opened (2 × 5) + about one probe a second.
    expect(requestsWhileDown).toBeGreaterThanOrEqual(5);
    expect(requestsWhileDown).toBeLessThanOrEqual(25);
    const counts = await eventually(async () => {
      const { medium } = await queues.counts();
      return medium.completed === jobs.length ? medium : undefined;
    }, 'every job to complete');
    expect(counts).toMatchObject({ failed: 0, delayed: 0, waiting: 0 });
    const dlq = harness.dlq(databaseUrl);
    expect((await dlq.stats()).total).toBe(0);
  });
});
