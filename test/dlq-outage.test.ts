import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { findFreePort } from '@herald/devstack/free-port';
import { migrateToLatest } from '@herald/migrations';
import type { PublishJob } from '@herald/core';
import { deadLetterOf } from '@herald/worker/dead-letter-sweeper';
import { eventually } from './support/eventually';
import { Harness, ROOT, exitOf, jobSpec, targetsFrom, testEnv, waitForOutput } from './support/herald';
import { startTargetServer } from './support/target-server';
import { testTempDir } from './support/temp-dir';

/** A real PostgreSQL in a process of its own, so the test can stop it and start it again. */
async function startPostgres(dataDir: string, port: number): Promise<{ url: string; process: ChildProcess }> {
  const child = spawn(process.execPath, [resolve(ROOT, 'packages/devstack/dist/postgres-server.js'), dataDir, String(port), 'herald'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForOutput(child, 'ready ', 30_000);
  return { url: `postgres://postgres:herald-local@127.0.0.1:${port}/herald`, process: child };
}

describe('the DLQ across a PostgreSQL outage', () => {
  const harness = new Harness();
  afterAll(() => harness.closeAll());

  it('When PostgreSQL is down while jobs fail for good, then they wait in Redis and each reaches the DLQ exactly once when it returns', async () => {
    const dataDir = join(testTempDir('herald-pg-outage-'), 'pg');
    const port = await findFreePort();
    let postgres = await startPostgres(dataDir, port);
    harness.defer(async () => {
      if (postgres.process.exitCode === null) {
        const exited = exitOf(postgres.process);
        postgres.process.kill('SIGTERM');
        await exited;
      }
    });
    await migrateToLatest(postgres.url);

    const target = await startTargetServer(() => ({ status: 422, body: 'unprocessable' }));
    harness.defer(() => target.close());
    const env = testEnv({ DATABASE_URL: postgres.url });
    const targets = targetsFrom(`targets:\n  - { name: sink, type: webhook, url: "${target.url}" }\n`);
    const queues = harness.queues(env);

    const stopped = exitOf(postgres.process);
    postgres.process.kill('SIGTERM');
    expect((await stopped).code).toBe(0);

    const worker = await harness.worker(env, targets);
    const jobs = Array.from({ length: 30 }, (_, i) => jobSpec('high', `outage-${i}`));
    await queues.add(jobs);
    await target.waitForRequests(jobs.length);
    const waiting = await eventually(async () => {
      const failed = (await queues.queue('high').getFailed(0, 100)) as PublishJob[];
      return failed.length === jobs.length ? failed : undefined;
    }, 'every job to fail for good and wait in Redis');
    await worker.close();

    // A worker killed after committing a row but before removing its job leaves both behind.
    postgres = await startPostgres(dataDir, port);
    const dlq = harness.dlq(postgres.url);
    const crashed = waiting[0]!;
    expect(await dlq.write(deadLetterOf(crashed, () => ({ targets, route: () => [], get: () => targets[0] })))).toBe(true);

    await harness.worker(env, targets);
    await eventually(async () => ((await queues.counts()).high.failed === 0 ? true : undefined), 'the failed set to empty');

    const { entries } = await dlq.list({ target: 'sink' }, { limit: 100 });
    expect(entries.map((entry) => entry.jobId).sort()).toEqual(jobs.map((job) => job.jobId).sort());
    expect(entries.every((entry) => entry.errorType === 'permanent' && entry.httpStatus === 422 && entry.priority === 'high')).toBe(true);
  });
});
