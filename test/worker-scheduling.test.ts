import { Harness, jobSpec as job, targetsFrom, testEnv } from './support/herald';
import { startTargetServer, type Reply } from './support/target-server';

describe('worker scheduling', () => {
  const harness = new Harness();
  afterEach(() => harness.closeAll());

  it('When 100 low then 10 high alerts wait and one worker runs at concurrency 1, then all 10 high are delivered before the second low', async () => {
    const sink = await startTargetServer();
    harness.defer(() => sink.close());
    const env = testEnv({ WORKER_CONCURRENCY: '1' });
    const queues = harness.queues(env);
    await queues.add(Array.from({ length: 100 }, (_, i) => job('low', `low-${i}`)));
    await queues.add(Array.from({ length: 10 }, (_, i) => job('high', `high-${i}`)));

    await harness.worker(env, targetsFrom(`targets:\n  - { name: sink, type: webhook, url: "${sink.url}" }\n`));
    const delivered = (await sink.waitForRequests(110)).map((r) => r.body.alert.fingerprint as string);

    const secondLow = delivered.filter((name) => name.startsWith('low-'))[1]!;
    const highs = delivered.slice(0, delivered.indexOf(secondLow)).filter((name) => name.startsWith('high-'));
    expect(highs).toHaveLength(10);
    expect(new Set(delivered).size).toBe(110);
  });

  it('When high alerts keep coming, then a low alert older than PRIORITY_MAX_WAIT_MS is still delivered', async () => {
    const sink = await startTargetServer(() => ({ status: 200, delayMs: 10 }));
    harness.defer(() => sink.close());
    const env = testEnv({ WORKER_CONCURRENCY: '1', PRIORITY_MAX_WAIT_MS: '500' });
    const queues = harness.queues(env);
    // 400 highs take about 4 s at one at a time; the low arrives once they are flowing.
    await queues.add(Array.from({ length: 400 }, (_, i) => job('high', `high-${i}`)));
    await harness.worker(env, targetsFrom(`targets:\n  - { name: sink, type: webhook, url: "${sink.url}" }\n`));
    await sink.waitForRequests(5);
    const low = job('low', 'starving-low');
    await queues.add([low]);

    const delivered = await sink.waitForJob(low.jobId);
    const waitedMs = delivered.at - low.data.receivedAt;
    const highsStillQueued = 400 - sink.requests.filter((r) => r.at <= delivered.at && r.body.alert.fingerprint.startsWith('high-')).length;
    expect(waitedMs).toBeGreaterThanOrEqual(500);
    expect(highsStillQueued).toBeGreaterThan(0);
  });

  it('When slow low alerts hold every slot they may take, then a high alert is still delivered at once', async () => {
    // Low deliveries hang until the sink closes; a high one is answered at once.
    const sink = await startTargetServer((request) => (request.body.alert.fingerprint.startsWith('low-') ? { status: 200, delayMs: 600_000 } : { status: 200 }));
    const env = testEnv({ WORKER_CONCURRENCY: '10' });
    const queues = harness.queues(env);
    await queues.add(Array.from({ length: 20 }, (_, i) => job('low', `low-${i}`)));
    await harness.worker(env, targetsFrom(`targets:\n  - { name: sink, type: webhook, url: "${sink.url}" }\n`));
    // Closing the sink first ends the hanging deliveries, so the worker can stop.
    harness.defer(() => sink.close());
    await sink.waitForRequests(9);
    const high = job('high', 'high-0');
    await queues.add([high]);

    await sink.waitForJob(high.jobId);
    // One slot of ten is kept for the most urgent queue: the lows took the other nine.
    expect(sink.requests.filter((r) => r.body.alert.fingerprint.startsWith('low-'))).toHaveLength(9);
  });

  it('When a high alert was just delivered, then slow low alerts get at most half the slots, and the rest once a second has passed without one', async () => {
    const sink = await startTargetServer((request) => (request.body.alert.fingerprint.startsWith('low-') ? { status: 200, delayMs: 600_000 } : { status: 200 }));
    const env = testEnv({ WORKER_CONCURRENCY: '10' });
    const queues = harness.queues(env);
    const high = job('high', 'high-0');
    await queues.add([high]);
    await harness.worker(env, targetsFrom(`targets:\n  - { name: sink, type: webhook, url: "${sink.url}" }\n`));
    harness.defer(() => sink.close());
    await sink.waitForJob(high.jobId);
    await queues.add(Array.from({ length: 20 }, (_, i) => job('low', `low-${i}`)));

    // Nine of ten may be low in the end (one slot is always the high queue's), but while the
    // high queue is active half stay its own: five lows, then a pause until its second lapses.
    const lows = (await sink.waitForRequests(1 + 9)).filter((r) => r.body.alert.fingerprint.startsWith('low-')).map((r) => r.at);
    const gaps = lows.slice(1).map((at, i) => at - lows[i]!);
    const longest = Math.max(...gaps);
    expect(gaps.indexOf(longest)).toBe(4);
    expect(longest).toBeGreaterThanOrEqual(200);
  });

  /** One medium job for a target answering with `reply`, then a worker to deliver it. */
  async function deliverOne(reply: (index: number) => Reply) {
    const sink = await startTargetServer((_req, i) => reply(i));
    harness.defer(() => sink.close());
    const env = testEnv();
    const queues = harness.queues(env);
    const spec = job('medium', 'one');
    await queues.add([spec]);
    await harness.worker(env, targetsFrom(`targets:\n  - { name: sink, type: webhook, url: "${sink.url}" }\n`));
    return { sink, queues, spec };
  }

  it('When a target fails twice with 503, then BullMQ retries and the third attempt delivers', async () => {
    const { sink, queues, spec } = await deliverOne((i) => ({ status: i < 2 ? 503 : 200 }));

    const requests = await sink.waitForRequests(3);
    expect(requests.map((r) => r.headers['x-herald-job-id'])).toEqual([spec.jobId, spec.jobId, spec.jobId]);
    const delivered = await waitForState(queues, spec.jobId, 'completed');
    expect(delivered.attemptsMade).toBe(3);
    expect(delivered.returnvalue).toMatchObject({ httpStatus: 200 });
  });
});

async function waitForState(queues: ReturnType<Harness['queues']>, jobId: string, state: 'completed' | 'failed') {
  const deadline = Date.now() + 20_000;
  for (;;) {
    // State first, then the job: a job read before it finished would show stale fields.
    if ((await queues.queue('medium').getJobState(jobId)) === state) return (await queues.getJob(jobId))!;
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not reach ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
