import { once } from 'node:events';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { FIRING_INDEX_TTL_MS, FiringJobIndex, queueName } from '@herald/core';
import type { KyselyDeadLetterRepository } from '@herald/core/database';
import { eventually } from './support/eventually';
import { Harness, alertmanagerPayload, jobSpec, postJson, targetsFrom, testEnv, type TestAlert } from './support/herald';
import { startTargetServer, type Reply, type TargetServer } from './support/target-server';

/*
 * A firing critical alert travels in the high queue and its resolve in the low one, so
 * nothing in the queues themselves keeps them in order. Alertmanager sends the resolve
 * whenever the alert ends, which may be while the trigger still waits for a retry.
 */
describe('a resolve and the trigger it resolves', () => {
  const harness = new Harness();
  let dlq: KyselyDeadLetterRepository;
  afterEach(() => harness.closeAll());

  /** When the alerts of `jobSpec` started. */
  const STARTS_AT = '2026-11-22T10:00:00Z';
  const alert: TestAlert = { labels: { alertname: 'ApiDown', severity: 'critical' }, fingerprint: 'order000000000001' };
  const statusesAt = (target: TargetServer) => target.requests.map((request) => request.body.status as string);

  /** API and worker in-process, one webhook target answering as `reply` says. */
  async function system(reply: (index: number) => Reply, overrides: Record<string, string> = {}) {
    const target = await startTargetServer((_request, index) => reply(index));
    harness.defer(() => target.close());
    const databaseUrl = await harness.database();
    dlq = harness.dlq(databaseUrl);
    const env = testEnv({ DATABASE_URL: databaseUrl, BREAKER_FAILURE_THRESHOLD: '1000', ...overrides });
    const targets = targetsFrom(`targets:\n  - { name: hook, type: webhook, url: "${target.url}/hook" }\n`);
    const { url } = await harness.api(env, targets);
    const worker = await harness.worker(env, targets);
    return { url, target, workerMetricsUrl: `http://127.0.0.1:${worker.metricsPort}/metrics` };
  }

  /** The queues and the index on a prefix of their own, with no API or worker. */
  function indexAlone() {
    const env = testEnv();
    const queues = harness.queues(env);
    const redis = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: null });
    harness.defer(async () => redis.disconnect());
    return { env, queues, redis, index: new FiringJobIndex(redis, env.QUEUE_PREFIX!) };
  }

  async function send(url: string, status: 'firing' | 'resolved'): Promise<string> {
    const response = await postJson(`${url}/api/v1/webhooks/alertmanager`, alertmanagerPayload([{ ...alert, status }]));
    expect(response.status).toBe(202);
    return response.body.jobs[0].id;
  }

  it('When the trigger waits for a retry as its resolve arrives, then the target gets the trigger before the resolve', async () => {
    // A second between attempts: without the ordering the resolve, alone in the low
    // queue, would be delivered well within it.
    const { url, target, workerMetricsUrl } = await system((index) => (index === 0 ? { status: 503 } : { status: 200 }), { BACKOFF_BASE_MS: '1000', BACKOFF_MAX_MS: '1000' });
    const triggerId = await send(url, 'firing');
    await target.waitForRequests(1);
    const resolveId = await send(url, 'resolved');

    const requests = await target.waitForRequests(3);
    expect(statusesAt(target)).toEqual(['firing', 'firing', 'resolved']);
    expect(requests.map((request) => request.headers['x-herald-job-id'])).toEqual([triggerId, triggerId, resolveId]);
    const metrics = await (await fetch(workerMetricsUrl)).text();
    expect(metrics).toMatch(/^herald_jobs_parked_total\{target="hook",reason="behind_trigger"\} [1-9]/m);
  });

  it("When the trigger's target is down and its breaker opens, then once the target is back the trigger still goes before the resolve", async () => {
    // Both jobs are parked while the breaker is open; parked jobs come back in random order
    // within a second, so only the ordering keeps the resolve behind.
    const { url, target, workerMetricsUrl } = await system((index) => (index === 0 ? { status: 503 } : { status: 200 }), {
      BREAKER_FAILURE_THRESHOLD: '1',
      BREAKER_OPEN_MS: '1500',
    });
    const triggerId = await send(url, 'firing');
    await target.waitForRequests(1);
    const resolveId = await send(url, 'resolved');

    const requests = await target.waitForRequests(3);
    expect(requests.map((request) => [request.body.status, request.headers['x-herald-job-id']])).toEqual([
      ['firing', triggerId],
      ['firing', triggerId],
      ['resolved', resolveId],
    ]);
    const metrics = await (await fetch(workerMetricsUrl)).text();
    expect(metrics).toMatch(/^herald_jobs_parked_total\{target="hook",reason="breaker_open"\} [1-9]/m);
    expect(metrics).toMatch(/^herald_jobs_parked_total\{target="hook",reason="behind_trigger"\} [1-9]/m);
  });

  it('When the trigger failed for good, then its resolve is still delivered', async () => {
    const { url, target } = await system((index) => (index === 0 ? { status: 400, body: 'rejected' } : { status: 200 }));
    const triggerId = await send(url, 'firing');
    await eventually(() => dlq.getByJobId(triggerId), 'the trigger in the DLQ');
    await send(url, 'resolved');

    await target.waitForRequests(2);
    expect(statusesAt(target)).toEqual(['firing', 'resolved']);
  });

  it('When an alert resolves with no trigger sent through this Herald, then the resolve is delivered at once', async () => {
    const { url, target, workerMetricsUrl } = await system(() => ({ status: 200 }));
    const resolveId = await send(url, 'resolved');

    expect((await target.waitForRequests(1))[0]!.headers['x-herald-job-id']).toBe(resolveId);
    const metrics = await (await fetch(workerMetricsUrl)).text();
    expect(metrics).not.toMatch(/reason="behind_trigger"\} [1-9]/);
  });

  it('When a firing job is queued, then it is pending until BullMQ completes or fails it, and its entry goes once a resolve asks after that', async () => {
    const { env, queues, redis, index } = indexAlone();
    const entry = (fingerprint: string) => `${env.QUEUE_PREFIX}:firing:hook:${fingerprint}`;

    await queues.add([jobSpec('high', 'fp-delivered', 'hook'), jobSpec('high', 'fp-rejected', 'hook')]);
    expect(await index.isPending('hook', 'fp-delivered', STARTS_AT)).toBe(true);
    expect(await index.isPending('other', 'fp-delivered', STARTS_AT)).toBe(false);
    expect(await redis.pttl(entry('fp-delivered'))).toBeGreaterThan(FIRING_INDEX_TTL_MS - 60_000);

    const workerConnection = redis.duplicate();
    harness.defer(async () => workerConnection.disconnect());
    const worker = new Worker(
      queueName('high'),
      async (job) => {
        if (job.data.alert.fingerprint === 'fp-rejected') throw new UnrecoverableError('rejected');
        return { httpStatus: 200, durationMs: 1 };
      },
      { connection: workerConnection, prefix: env.QUEUE_PREFIX! },
    );
    harness.defer(() => worker.close());
    await Promise.all([once(worker, 'completed'), once(worker, 'failed')]);

    expect(await index.isPending('hook', 'fp-delivered', STARTS_AT)).toBe(false);
    expect(await index.isPending('hook', 'fp-rejected', STARTS_AT)).toBe(false);
    expect(await redis.exists(entry('fp-delivered'), entry('fp-rejected'))).toBe(0);
  });

  it('When an alert fires again before its first trigger is delivered, then a resolve of the first episode is not held behind the second trigger', async () => {
    const { queues, index } = indexAlone();
    const again = jobSpec('high', 'fp-flapping', 'hook');
    await queues.add([jobSpec('high', 'fp-flapping', 'hook')]);
    await queues.add([{ ...again, data: { ...again.data, alert: { ...again.data.alert, startsAt: '2026-11-22T11:00:00.123456789Z' } } }]);

    expect(await index.isPending('hook', 'fp-flapping', STARTS_AT)).toBe(false);
    expect(await index.isPending('hook', 'fp-flapping', '2026-11-22T11:00:00.123456789Z')).toBe(true);
    // A resolve submitted without startsAt is stamped when received, later than its trigger: it waits.
    expect(await index.isPending('hook', 'fp-flapping', '2026-11-22T12:30:00+01:00')).toBe(true);
  });
});
