import { Redis } from 'ioredis';
import { eventually } from './support/eventually';
import { Harness, alertmanagerPayload, getJson, postJson, targetsFrom, testEnv } from './support/herald';
import { startTargetServer, type TargetServer } from './support/target-server';

describe('the pipeline: Alertmanager webhook → queues → worker → targets', () => {
  const harness = new Harness();
  let everything: TargetServer;
  let ops: TargetServer;
  let apiUrl: string;
  const env = testEnv();

  beforeAll(async () => {
    everything = await startTargetServer();
    ops = await startTargetServer();
    harness.defer(() => everything.close());
    harness.defer(() => ops.close());
    const targets = targetsFrom(
      `
targets:
  - { name: everything, type: webhook, url: "\${EVERYTHING_URL}/hook", headers: { x-team-token: abc } }
  - { name: ops-only, type: webhook, url: "\${OPS_URL}/ops", match: { team: ops } }
`,
      { EVERYTHING_URL: everything.url, OPS_URL: ops.url },
    );
    apiUrl = (await harness.api(env, targets)).url;
    await harness.worker(env, targets);
  });

  afterAll(() => harness.closeAll());

  it('When Alertmanager posts 5 alerts and 2 targets match each, then 10 deliveries arrive with the right bodies', async () => {
    const alerts = [1, 2, 3, 4, 5].map((n) => ({ labels: { alertname: `Disk${n}`, team: 'ops', severity: n === 1 ? 'critical' : 'warning' }, fingerprint: `f${n}` }));
    const response = await postJson(`${apiUrl}/api/v1/webhooks/alertmanager`, alertmanagerPayload(alerts));

    expect(response.status).toBe(202);
    expect(response.body.jobs).toHaveLength(10);
    expect(response.body.jobs.filter((job: { priority: string }) => job.priority === 'high')).toHaveLength(2);

    const [toEverything, toOps] = await Promise.all([everything.waitForRequests(5), ops.waitForRequests(5)]);
    expect(toEverything.map((r) => r.body.alert.fingerprint).sort()).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);
    expect(toOps.map((r) => r.body.alert.fingerprint).sort()).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);

    const first = toEverything.find((r) => r.body.alert.fingerprint === 'f1')!;
    expect(first.path).toBe('/hook');
    expect(first.headers['x-team-token']).toBe('abc');
    expect(first.headers['content-type']).toBe('application/json');
    expect(response.body.jobs.map((job: { id: string }) => job.id)).toContain(first.headers['x-herald-job-id']);
    expect(first.body).toEqual({
      version: '1',
      receiver: 'herald',
      groupKey: '{}:{alertname="Test"}',
      externalURL: 'http://alertmanager.example:9093',
      status: 'firing',
      alert: {
        fingerprint: 'f1',
        status: 'firing',
        labels: { alertname: 'Disk1', team: 'ops', severity: 'critical' },
        annotations: { summary: 'summary of Disk1' },
        startsAt: '2026-11-22T10:00:00.123456789Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up%3D%3D0&i=0',
      },
    });
  });

  it('When a target has match labels, then it gets only the alerts that carry them', async () => {
    const before = { everything: everything.requests.length, ops: ops.requests.length };
    const response = await postJson(
      `${apiUrl}/api/v1/webhooks/alertmanager`,
      alertmanagerPayload([
        { labels: { alertname: 'Cpu', team: 'dev' }, fingerprint: 'dev1' },
        { labels: { alertname: 'Cpu', team: 'ops' }, fingerprint: 'ops1' },
      ]),
    );
    expect(response.status).toBe(202);
    expect(response.body.jobs.map((job: { target: string; fingerprint: string }) => `${job.target}/${job.fingerprint}`).sort()).toEqual([
      'everything/dev1',
      'everything/ops1',
      'ops-only/ops1',
    ]);
    await everything.waitForRequests(before.everything + 2);
    await ops.waitForRequests(before.ops + 1);
    expect(ops.requests.slice(before.ops).map((r) => r.body.alert.fingerprint)).toEqual(['ops1']);
  });

  it('When the same webhook arrives again within DEDUP_TTL_MS, then nothing new is enqueued and the answer says so', async () => {
    const payload = alertmanagerPayload([{ labels: { alertname: 'Repeat', team: 'ops' }, fingerprint: 'rep1' }]);
    const first = await postJson(`${apiUrl}/api/v1/webhooks/alertmanager`, payload);
    const second = await postJson(`${apiUrl}/api/v1/webhooks/alertmanager`, payload);

    expect(first.body.jobs).toHaveLength(2);
    expect(second.status).toBe(202);
    expect(second.body.jobs).toEqual([]);
    expect(second.body.deduplicated.map((d: { jobId: string }) => d.jobId).sort()).toEqual(first.body.jobs.map((j: { id: string }) => j.id).sort());

    const resolved = await postJson(
      `${apiUrl}/api/v1/webhooks/alertmanager`,
      alertmanagerPayload([{ status: 'resolved', labels: { alertname: 'Repeat', team: 'ops' }, fingerprint: 'rep1' }]),
    );
    expect(resolved.body.jobs).toHaveLength(2);
    expect(resolved.body.jobs.every((job: { priority: string }) => job.priority === 'low')).toBe(true);

    const metrics = await getJson(`${apiUrl}/metrics`);
    expect(metrics.body).toMatch(/^herald_alerts_deduplicated_total 2$/m);
  });

  it('When the same webhook arrives twice at the same moment, then its jobs are queued once and the other answer names them', async () => {
    // Concurrent requests share one addBulk (BulkAdder): the repeat must still be caught
    // against a job added earlier in the same batch.
    const payload = alertmanagerPayload([{ labels: { alertname: 'Twice', team: 'ops' }, fingerprint: 'twice1' }]);
    const [a, b] = await Promise.all([postJson(`${apiUrl}/api/v1/webhooks/alertmanager`, payload), postJson(`${apiUrl}/api/v1/webhooks/alertmanager`, payload)]);

    const queued = [...a.body.jobs, ...b.body.jobs];
    const repeats = [...a.body.deduplicated, ...b.body.deduplicated];
    expect(queued).toHaveLength(2);
    expect(repeats.map((d: { jobId: string }) => d.jobId).sort()).toEqual(queued.map((j: { id: string }) => j.id).sort());
  });

  it('When many webhooks arrive at once, then each answer lists exactly its own alerts\' jobs', async () => {
    const payloads = Array.from({ length: 30 }, (_, n) =>
      alertmanagerPayload([1, 2, 3].map((i) => ({ labels: { alertname: `Burst${n}`, team: 'dev' }, fingerprint: `burst-${n}-${i}` }))),
    );
    const answers = await Promise.all(payloads.map((payload) => postJson(`${apiUrl}/api/v1/webhooks/alertmanager`, payload)));

    answers.forEach((answer, n) => {
      expect(answer.status).toBe(202);
      expect(answer.body.jobs.map((job: { fingerprint: string }) => job.fingerprint).sort()).toEqual([`burst-${n}-1`, `burst-${n}-2`, `burst-${n}-3`]);
    });
    const [sample] = answers[17]!.body.jobs;
    const lookup = await getJson(`${apiUrl}/api/v1/publishing/jobs/${sample.id}`);
    expect(lookup.body).toMatchObject({ id: sample.id, fingerprint: sample.fingerprint });
  });

  it('When a job is looked up by the id the webhook returned, then its state, target and attempts are shown', async () => {
    const response = await postJson(`${apiUrl}/api/v1/publishing/submit`, { labels: { alertname: 'Lookup', severity: 'critical' }, targets: ['ops-only'] });
    expect(response.status).toBe(202);
    const [job] = response.body.jobs;
    expect(job).toMatchObject({ target: 'ops-only', priority: 'high' });
    await ops.waitForJob(job.id);

    const view = await getJson(`${apiUrl}/api/v1/publishing/jobs/${job.id}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id: job.id, priority: 'high', target: 'ops-only', alertname: 'Lookup', maxAttempts: 5 });
    expect(['active', 'completed']).toContain(view.body.state);

    const list = await getJson(`${apiUrl}/api/v1/publishing/jobs?priority=high&target=ops-only&limit=50`);
    expect(list.status).toBe(200);
    expect(list.body.jobs.map((j: { id: string }) => j.id)).toContain(job.id);
    expect(list.body.jobs.every((j: { target: string; priority: string }) => j.target === 'ops-only' && j.priority === 'high')).toBe(true);

    const stats = await getJson(`${apiUrl}/api/v1/publishing/stats`);
    expect(stats.body.mode).toBe('publishing');
    expect(Object.keys(stats.body.queues)).toEqual(['high', 'medium', 'low']);
    expect(stats.body.queues.high.completed + stats.body.queues.high.active).toBeGreaterThanOrEqual(3);
  });

  it('When a worker finishes a job, then completed jobs older than 24 h leave Redis and younger ones stay queryable', async () => {
    const submitCompleted = async (name: string): Promise<string> => {
      const response = await postJson(`${apiUrl}/api/v1/publishing/submit`, { labels: { alertname: name, severity: 'warning' }, targets: ['ops-only'] });
      const jobId: string = response.body.jobs[0].id;
      await eventually(async () => ((await getJson(`${apiUrl}/api/v1/publishing/jobs/${jobId}`)).body.state === 'completed' ? true : undefined), `${name} completed`);
      return jobId;
    };
    const stale = await submitCompleted('RetentionStale');
    const recent = await submitCompleted('RetentionRecent');
    // BullMQ scores the completed set by finish time; move two finishes back in time.
    const redis = new Redis(env.REDIS_URL!);
    try {
      const completed = `${env.QUEUE_PREFIX}:publish-medium:completed`;
      const hour = 60 * 60 * 1000;
      await redis.zadd(completed, 'XX', Date.now() - 25 * hour, stale, Date.now() - 23 * hour, recent);
    } finally {
      redis.disconnect();
    }

    await submitCompleted('RetentionTrigger');

    expect((await getJson(`${apiUrl}/api/v1/publishing/jobs/${stale}`)).status).toBe(404);
    expect((await getJson(`${apiUrl}/api/v1/publishing/jobs/${recent}`)).body).toMatchObject({ id: recent, state: 'completed' });
  });
});
