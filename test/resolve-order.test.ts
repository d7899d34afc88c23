import { once } from 'node:events';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { FIRING_INDEX_TTL_MS, FiringJobIndex, queueName } from '@herald/core';
import type { KyselyDeadLetterRepository } from '@herald/core/database';
import { eventually } from './support/eventually';
import { Harness, alertmanagerPayload, getJson, jobSpec, postJson, targetsFrom, testEnv, type TestAlert } from './support/herald';
import { startTargetServer, type ReceivedRequest, type Reply, type TargetServer } from './support/target-server';

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
  async function system(reply: (index: number, request: ReceivedRequest) => Reply, overrides: Record<string, string> = {}) {
    const target = await startTargetServer((request, index) => reply(index, request));
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

  it('When a firing job is queued, then its resolve waits until BullMQ completes or fails it, and a delivered resolve marks the episode ended', async () => {
    const { env, queues, redis, index } = indexAlone();
    const entry = (fingerprint: string) => `${env.QUEUE_PREFIX}:firing:hook:${fingerprint}`;
    const resolveOf = (fingerprint: string, startsAt = STARTS_AT) => ({ fingerprint, status: 'resolved' as const, startsAt });

    await queues.add([jobSpec('high', 'fp-delivered', 'hook'), jobSpec('high', 'fp-rejected', 'hook')]);
    expect(await index.standing('hook', resolveOf('fp-delivered'))).toBe('wait');
    expect(await index.standing('other', resolveOf('fp-delivered'))).toBe('deliver');
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

    expect(await index.standing('hook', resolveOf('fp-delivered'))).toBe('deliver');
    expect(await index.standing('hook', resolveOf('fp-rejected'))).toBe('deliver');

    await index.ended('hook', 'fp-delivered', STARTS_AT);
    expect(await redis.get(entry('fp-delivered'))).toBe(`${Date.parse(STARTS_AT)}|`);
    // A retried or replayed trigger of the ended episode, or of an earlier one, is superseded.
    expect(await index.standing('hook', { fingerprint: 'fp-delivered', status: 'firing', startsAt: STARTS_AT })).toBe('superseded');
    expect(await index.standing('hook', { fingerprint: 'fp-delivered', status: 'firing', startsAt: '2026-11-22T09:00:00Z' })).toBe('superseded');
    expect(await index.standing('hook', { fingerprint: 'fp-delivered', status: 'firing', startsAt: '2026-11-22T11:00:00Z' })).toBe('deliver');
    expect(await index.standing('hook', resolveOf('fp-delivered'))).toBe('deliver');
    // Queuing that trigger again (a DLQ replay) leaves the end in place.
    await queues.add([jobSpec('high', 'fp-delivered', 'hook')]);
    expect(await redis.get(entry('fp-delivered'))).toBe(`${Date.parse(STARTS_AT)}|`);
  });

  it('When an alert fires again, then a resolve or a trigger of its earlier episode is superseded and the new episode keeps its order', async () => {
    const { queues, index } = indexAlone();
    const LATER = '2026-11-22T11:00:00.123456789Z';
    const again = jobSpec('high', 'fp-flapping', 'hook');
    await queues.add([jobSpec('high', 'fp-flapping', 'hook')]);
    await queues.add([{ ...again, data: { ...again.data, alert: { ...again.data.alert, startsAt: LATER } } }]);
    // A late record of the first episode's trigger does not hide the second.
    await queues.add([jobSpec('high', 'fp-flapping', 'hook')]);

    expect(await index.standing('hook', { fingerprint: 'fp-flapping', status: 'resolved', startsAt: STARTS_AT })).toBe('superseded');
    expect(await index.standing('hook', { fingerprint: 'fp-flapping', status: 'firing', startsAt: STARTS_AT })).toBe('superseded');
    expect(await index.standing('hook', { fingerprint: 'fp-flapping', status: 'firing', startsAt: LATER })).toBe('deliver');
    expect(await index.standing('hook', { fingerprint: 'fp-flapping', status: 'resolved', startsAt: LATER })).toBe('wait');
    // A resolve submitted without startsAt is stamped when received, later than its trigger: it waits.
    expect(await index.standing('hook', { fingerprint: 'fp-flapping', status: 'resolved', startsAt: '2026-11-22T12:30:00+01:00' })).toBe('wait');
    // An end of the first episode, marked late, does not erase the second's trigger.
    await index.ended('hook', 'fp-flapping', STARTS_AT);
    expect(await index.standing('hook', { fingerprint: 'fp-flapping', status: 'resolved', startsAt: LATER })).toBe('wait');
  });

  it('When an alert flaps while its target is down, then once the target is back it gets only the latest episode, in order', async () => {
    let up = false;
    const delivered: { status: string; startsAt: string; jobId: string }[] = [];
    const { url, target, workerMetricsUrl } = await system(
      (_index, request) => {
        if (!up) return { status: 503 };
        delivered.push({ status: request.body.status, startsAt: request.body.alert.startsAt, jobId: request.headers['x-herald-job-id'] as string });
        return { status: 200 };
      },
      // Every attempt fails while the target is down, without reaching the DLQ or the breaker.
      { MAX_ATTEMPTS: '100', BACKOFF_BASE_MS: '100', BACKOFF_MAX_MS: '300' },
    );
    const FIRST = '2026-11-22T10:00:00Z';
    const SECOND = '2026-11-22T10:20:00Z';
    const notify = async (status: 'firing' | 'resolved', startsAt: string): Promise<string> => {
      const response = await postJson(`${url}/api/v1/webhooks/alertmanager`, alertmanagerPayload([{ ...alert, status, startsAt }]));
      expect(response.status).toBe(202);
      return response.body.jobs[0].id;
    };

    const firstTrigger = await notify('firing', FIRST);
    await target.waitForRequests(1);
    const firstResolve = await notify('resolved', FIRST);
    const secondTrigger = await notify('firing', SECOND);
    up = true;

    const superseded = async (jobId: string) => {
      const view = (await getJson(`${url}/api/v1/publishing/jobs/${jobId}`)).body;
      return view.state === 'completed' ? view.superseded : undefined;
    };
    await eventually(() => superseded(secondTrigger), 'the second trigger delivered');
    expect(await eventually(() => superseded(firstTrigger), 'the first trigger completed')).toBe(true);
    expect(await eventually(() => superseded(firstResolve), 'the first resolve completed')).toBe(true);
    const secondResolve = await notify('resolved', SECOND);
    await eventually(async () => (delivered.length >= 2 ? true : undefined), 'the second resolve delivered');

    expect(delivered).toEqual([
      { status: 'firing', startsAt: SECOND, jobId: secondTrigger },
      { status: 'resolved', startsAt: SECOND, jobId: secondResolve },
    ]);
    const metrics = await (await fetch(workerMetricsUrl)).text();
    expect(metrics).toMatch(/^herald_jobs_superseded_total\{target="hook",status="firing"\} 1$/m);
    expect(metrics).toMatch(/^herald_jobs_superseded_total\{target="hook",status="resolved"\} 1$/m);
  });

  it('When an operator replays a trigger whose alert has resolved since, then the target is not sent it again and the replay counts as done', async () => {
    const { url, target, workerMetricsUrl } = await system((index) => (index === 0 ? { status: 400, body: 'rejected' } : { status: 200 }));
    const triggerId = await send(url, 'firing');
    const entry = await eventually(() => dlq.getByJobId(triggerId), 'the trigger in the DLQ');
    await send(url, 'resolved');
    await target.waitForRequests(2);
    // The resolve's end mark is written just after its delivery.
    await eventually(async () => ((await getJson(`${url}/api/v1/publishing/stats`)).body.queues.low.completed === 1 ? true : undefined), 'the resolve completed');

    const replay = await postJson(`${url}/api/v1/publishing/dlq/${entry.id}/replay`, {});
    expect(replay.status).toBe(202);
    await eventually(async () => ((await dlq.getByJobId(triggerId))?.replayResult === 'succeeded' ? true : undefined), "the replay's result recorded");

    expect(statusesAt(target)).toEqual(['firing', 'resolved']);
    const metrics = await (await fetch(workerMetricsUrl)).text();
    expect(metrics).toMatch(/^herald_jobs_superseded_total\{target="hook",status="firing"\} 1$/m);
  });
});
