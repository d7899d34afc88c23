import { findFreePort } from '@herald/devstack/free-port';
import type { KyselyDeadLetterRepository } from '@herald/core/database';
import { eventually } from './support/eventually';
import { Harness, getJson, postJson, targetsFrom, testEnv } from './support/herald';
import { startTargetServer, type Reply, type TargetServer } from './support/target-server';

const ADMIN = { authorization: 'Bearer admin-token-0123456789' };

describe('delivery failures, the DLQ and replay', () => {
  const harness = new Harness();
  let dlq: KyselyDeadLetterRepository;
  afterEach(() => harness.closeAll());

  /** API and worker in-process on a database of this test's own, with the targets of `yaml`. */
  async function system(yaml: string, vars: Record<string, string>, overrides: Record<string, string> = {}) {
    const databaseUrl = await harness.database();
    dlq = harness.dlq(databaseUrl);
    const env = testEnv({ DATABASE_URL: databaseUrl, ADMIN_TOKEN: ADMIN.authorization.slice(7), BREAKER_FAILURE_THRESHOLD: '1000', ...overrides });
    const targets = targetsFrom(yaml, vars);
    const api = await harness.api(env, targets);
    const worker = await harness.worker(env, targets);
    return { url: api.url, workerMetricsUrl: `http://127.0.0.1:${worker.metricsPort}/metrics`, queues: harness.queues(env) };
  }

  async function sink(reply: (request: unknown, index: number) => Reply): Promise<TargetServer> {
    const server = await startTargetServer(reply);
    harness.defer(() => server.close());
    return server;
  }

  async function submit(url: string, target: string, alertname: string): Promise<string> {
    const response = await postJson(`${url}/api/v1/publishing/submit`, { labels: { alertname, severity: 'warning' }, targets: [target] });
    expect(response.status).toBe(202);
    return response.body.jobs[0].id;
  }

  const deadLettered = (jobId: string) => eventually(() => dlq.getByJobId(jobId), `a DLQ row for ${jobId}`);

  it('When a target answers 400, then one request is made and a permanent DLQ row holds the alert, with no secret in it', async () => {
    const target = await sink(() => ({ status: 400, body: 'invalid_payload' }));
    const { url, queues } = await system(
      'targets:\n  - { name: strict, type: webhook, url: "${STRICT_URL}", headers: { authorization: "Bearer hook-secret-42" } }\n',
      { STRICT_URL: `${target.url}/hooks/secret-path-77` },
    );
    const jobId = await submit(url, 'strict', 'Rejected');

    const row = await deadLettered(jobId);
    expect(target.requests).toHaveLength(1);
    expect(row).toMatchObject({
      targetName: 'strict',
      targetType: 'webhook',
      priority: 'medium',
      errorType: 'permanent',
      httpStatus: 400,
      errorMessage: 'target answered HTTP 400: invalid_payload',
      attempts: 1,
      replayed: false,
      replayCount: 0,
      replayResult: null,
    });
    expect(row.alert.labels).toEqual({ alertname: 'Rejected', severity: 'warning' });
    expect(row.targetConfig).toMatchObject({ url: '[redacted]', headers: { authorization: '[redacted]' } });
    expect(JSON.stringify(row)).not.toMatch(/hook-secret-42|secret-path-77/);

    await eventually(async () => ((await queues.getJob(jobId)) ? undefined : true), 'the job to leave Redis');
    const view = await getJson(`${url}/api/v1/publishing/jobs/${jobId}`, ADMIN);
    expect(view.body).toMatchObject({ id: jobId, state: 'dead-lettered', dlqId: row.id, lastErrorType: 'permanent', httpStatus: 400 });
  });

  it('When a target answers 503 forever, then it gets exactly MAX_ATTEMPTS requests spaced by the backoff, then a transient DLQ row', async () => {
    const target = await sink(() => ({ status: 503 }));
    const { url } = await system('targets:\n  - { name: down, type: webhook, url: "${URL}" }\n', { URL: target.url }, {
      MAX_ATTEMPTS: '3',
      BACKOFF_BASE_MS: '300',
      BACKOFF_MAX_MS: '2000',
    });
    const jobId = await submit(url, 'down', 'Unavailable');

    const row = await deadLettered(jobId);
    expect(row).toMatchObject({ errorType: 'transient', httpStatus: 503, attempts: 3 });
    const times = target.requests.map((r) => r.at);
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(300);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(600);
  });

  it('When a target fails twice with 503 and then answers 200, then the alert is delivered and nothing is dead-lettered', async () => {
    const target = await sink((_r, i) => ({ status: i < 2 ? 503 : 200 }));
    const { url } = await system('targets:\n  - { name: flaky, type: webhook, url: "${URL}" }\n', { URL: target.url });
    const jobId = await submit(url, 'flaky', 'Flaky');

    await target.waitForRequests(3);
    const view = await eventually(async () => {
      const { body } = await getJson(`${url}/api/v1/publishing/jobs/${jobId}`, ADMIN);
      return body.state === 'completed' ? body : undefined;
    }, 'the job to complete');
    expect(view).toMatchObject({ attemptsMade: 3, httpStatus: 200 });
    expect(await dlq.getByJobId(jobId)).toBeUndefined();
  });

  it('When a target answers 429 with Retry-After: 2, then the next attempt comes no sooner than 2 s later', async () => {
    const target = await sink((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const { url } = await system('targets:\n  - { name: limited, type: webhook, url: "${URL}" }\n', { URL: target.url }, { BACKOFF_BASE_MS: '50' });
    await submit(url, 'limited', 'Throttled');

    const [first, second] = await target.waitForRequests(2, 10_000);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2000);
  });

  it('When the connection is refused, reset mid-response, too slow, or the host does not resolve, then each failure is transient', async () => {
    const resetting = await sink(() => 'drop');
    const slow = await sink(() => ({ status: 200, delayMs: 3000 }));
    const closedPort = await findFreePort();
    const { url } = await system(
      `targets:
  - { name: refused, type: webhook, url: "http://127.0.0.1:${closedPort}/" }
  - { name: reset, type: webhook, url: "${resetting.url}" }
  - { name: slow, type: webhook, url: "${slow.url}", timeoutMs: 300 }
  - { name: nowhere, type: webhook, url: "http://herald-test-host.invalid/", timeoutMs: 3000 }
`,
      {},
      { MAX_ATTEMPTS: '1' },
    );
    const rows = await Promise.all(
      ['refused', 'reset', 'slow', 'nowhere'].map(async (name) => deadLettered(await submit(url, name, `Fails-${name}`))),
    );
    expect(rows.map((row) => [row.targetName, row.errorType])).toEqual([
      ['refused', 'transient'],
      ['reset', 'transient'],
      ['slow', 'transient'],
      ['nowhere', 'transient'],
    ]);
    expect(rows[0]!.errorMessage).toBe('connection failed (ECONNREFUSED)');
    expect(rows[2]!.errorMessage).toBe('no answer within 300 ms');
  });

  it('When an operator lists, replays (once, twice, forced, by filter) and purges the DLQ, then each answers as documented', async () => {
    let answer = 400;
    const target = await sink(() => ({ status: answer }));
    const { url } = await system('targets:\n  - { name: replayable, type: webhook, url: "${URL}" }\n', { URL: target.url }, {
      API_TOKEN: 'submit-token-0123456789',
    });
    const submitter = { authorization: 'Bearer submit-token-0123456789' };
    const jobIds: string[] = [];
    for (const name of ['One', 'Two', 'Three']) {
      const response = await postJson(`${url}/api/v1/publishing/submit`, { labels: { alertname: name }, targets: ['replayable'] }, submitter);
      jobIds.push(response.body.jobs[0].id);
    }
    const rows = await Promise.all(jobIds.map(deadLettered));
    answer = 200;

    // Listing, newest first, two per page.
    const page1 = await getJson(`${url}/api/v1/publishing/dlq?target=replayable&limit=2`, ADMIN);
    expect(page1.body.entries).toHaveLength(2);
    const page2 = await getJson(`${url}/api/v1/publishing/dlq?target=replayable&limit=2&cursor=${page1.body.nextCursor}`, ADMIN);
    expect(page2.body).toMatchObject({ nextCursor: null });
    expect([...page1.body.entries, ...page2.body.entries].map((e: { jobId: string }) => e.jobId).sort()).toEqual([...jobIds].sort());
    expect((await getJson(`${url}/api/v1/publishing/dlq?cursor=bogus`, ADMIN)).status).toBe(400);
    expect((await getJson(`${url}/api/v1/publishing/dlq?errorType=cosmic`, ADMIN)).status).toBe(400);

    // Replay one: only the admin token may; the entry is re-queued and delivered.
    const [first] = rows;
    expect((await postJson(`${url}/api/v1/publishing/dlq/${first!.id}/replay`, {}, submitter)).status).toBe(401);
    const replay = await postJson(`${url}/api/v1/publishing/dlq/${first!.id}/replay`, {}, ADMIN);
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ id: first!.id, replayCount: 1, replayResult: 'queued' });
    await target.waitFor((r) => (r.body as { alert: { labels: { alertname: string } } }).alert.labels.alertname === 'One' && (r.headers['x-herald-job-id'] as string) !== first!.jobId);
    await eventually(async () => ((await dlq.get(first!.id))?.replayResult === 'succeeded' ? true : undefined), 'the replay to be recorded as succeeded');

    // Twice: 409 unless forced.
    const again = await postJson(`${url}/api/v1/publishing/dlq/${first!.id}/replay`, {}, ADMIN);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    const forced = await postJson(`${url}/api/v1/publishing/dlq/${first!.id}/replay?force=true`, {}, ADMIN);
    expect(forced.body).toMatchObject({ replayCount: 2 });
    expect((await postJson(`${url}/api/v1/publishing/dlq/00000000-0000-0000-0000-000000000000/replay`, {}, ADMIN)).status).toBe(404);

    // By filter: the two entries never replayed.
    const byFilter = await postJson(`${url}/api/v1/publishing/dlq/replay`, { target: 'replayable', errorType: 'permanent' }, ADMIN);
    expect(byFilter.status).toBe(202);
    expect(byFilter.body.replayed).toBe(2);
    expect((await postJson(`${url}/api/v1/publishing/dlq/replay`, { target: 'replayable' }, ADMIN)).body.replayed).toBe(0);
    expect((await postJson(`${url}/api/v1/publishing/dlq/replay`, { limit: 0 }, ADMIN)).status).toBe(400);

    const stats = await getJson(`${url}/api/v1/publishing/dlq/stats`, ADMIN);
    expect(stats.body).toMatchObject({ total: 3, replayed: 3, byErrorType: { permanent: 3 }, byTarget: { replayable: 3 }, byPriority: { medium: 3 } });

    // A replay that fails again is recorded as failed, with a new DLQ row for the new job.
    answer = 400;
    await postJson(`${url}/api/v1/publishing/dlq/${rows[1]!.id}/replay?force=true`, {}, ADMIN);
    await eventually(async () => ((await dlq.get(rows[1]!.id))?.replayResult === 'failed' ? true : undefined), 'the replay to be recorded as failed');
    expect((await getJson(`${url}/api/v1/publishing/dlq/stats`, ADMIN)).body.total).toBe(4);

    // Purge: nothing is a day old; everything is older than now.
    expect((await fetch(`${url}/api/v1/publishing/dlq`, { method: 'DELETE', headers: ADMIN })).status).toBe(400);
    const none = await fetch(`${url}/api/v1/publishing/dlq?olderThan=1d`, { method: 'DELETE', headers: ADMIN });
    expect(await none.json()).toEqual({ purged: 0 });
    const all = await fetch(`${url}/api/v1/publishing/dlq?olderThan=0s`, { method: 'DELETE', headers: ADMIN });
    expect(await all.json()).toEqual({ purged: 4 });
  });

  it('When targets and stats are read, then breakers and DLQ counts show, and no secret does', async () => {
    const { url } = await system('targets:\n  - { name: hidden, type: webhook, url: "${HIDDEN_URL}" }\n', { HIDDEN_URL: 'https://hooks.example/T000/very-secret' });
    const targets = await getJson(`${url}/api/v1/targets`, ADMIN);
    expect(targets.body.targets).toEqual([
      { name: 'hidden', type: 'webhook', url: '[redacted]', timeoutMs: 5000, breaker: { state: 'closed', failures: 0, openUntil: null } },
    ]);
    const stats = await getJson(`${url}/api/v1/publishing/stats`, ADMIN);
    expect(stats.body).toMatchObject({ mode: 'publishing', targets: 1, breakers: { hidden: { state: 'closed' } }, dlq: { total: expect.any(Number) } });
  });

  it('When deliveries fail, dead-letter, replay and trip a breaker, then the metrics of each step move', async () => {
    let answer = 400;
    const target = await sink(() => ({ status: answer }));
    const { url, workerMetricsUrl } = await system('targets:\n  - { name: metered, type: webhook, url: "${URL}" }\n', { URL: target.url }, {
      BREAKER_FAILURE_THRESHOLD: '2',
      BREAKER_OPEN_MS: '60000',
      MAX_ATTEMPTS: '2',
    });
    const rejected = await deadLettered(await submit(url, 'metered', 'Rejected'));
    answer = 200;
    await postJson(`${url}/api/v1/publishing/dlq/${rejected.id}/replay`, {}, ADMIN);
    await eventually(async () => ((await dlq.get(rejected.id))?.replayResult === 'succeeded' ? true : undefined), 'the replay to succeed');
    answer = 503;
    await deadLettered(await submit(url, 'metered', 'Unavailable'));
    const breakerOpen = await eventually(async () => {
      const { body } = await getJson(`${url}/api/v1/targets`, ADMIN);
      return body.targets[0].breaker.state === 'open' ? body.targets[0].breaker : undefined;
    }, 'the breaker to open');
    expect(breakerOpen.openUntil).toEqual(expect.any(String));

    const worker = (await getJson(workerMetricsUrl)).body as string;
    expect(worker).toMatch(/^herald_jobs_failed_total\{priority="medium",target="metered",error_type="permanent"\} 1$/m);
    expect(worker).toMatch(/^herald_jobs_failed_total\{priority="medium",target="metered",error_type="transient"\} 1$/m);
    expect(worker).toMatch(/^herald_job_retries_total\{target="metered",error_type="transient"\} 1$/m);
    expect(worker).toMatch(/^herald_dlq_writes_total\{target="metered",error_type="permanent"\} 1$/m);
    expect(worker).toMatch(/^herald_dlq_writes_total\{target="metered",error_type="transient"\} 1$/m);
    expect(worker).toMatch(/^herald_dlq_replays_total\{target="metered",result="succeeded"\} 1$/m);
    expect(worker).toMatch(/^herald_delivery_duration_seconds_count\{target="metered",outcome="permanent"\} 1$/m);
    expect(worker).toMatch(/^herald_delivery_duration_seconds_count\{target="metered",outcome="success"\} 1$/m);
    expect(worker).toMatch(/^herald_breaker_transitions_total\{target="metered",to="open"\} 1$/m);
    expect(worker).toMatch(/^herald_breaker_state\{target="metered"\} 2$/m);

    const api = (await getJson(`${url}/metrics`)).body as string;
    expect(api).toMatch(/^herald_dlq_replays_total\{target="metered",result="queued"\} 1$/m);
    expect(api).toMatch(/^herald_dlq_entries\{replayed="true"\} 1$/m);
    expect(api).toMatch(/^herald_dlq_entries\{replayed="false"\} 1$/m);
  });
});
