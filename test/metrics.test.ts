import { eventually } from './support/eventually';
import { Harness, alertmanagerPayload, getJson, postJson, targetsFrom, testEnv } from './support/herald';
import { startTargetServer } from './support/target-server';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Reads the Prometheus text format: one sample per line, comments skipped. */
function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`unreadable metrics line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** Every metric of DESIGN.md with its label names; histograms are checked through their `_count`. */
const CONTRACT: [string, string[]][] = [
  ['herald_queue_jobs', ['queue', 'state']],
  ['herald_alerts_received_total', ['source']],
  ['herald_alerts_deduplicated_total', []],
  ['herald_jobs_enqueued_total', ['priority', 'target']],
  ['herald_jobs_completed_total', ['priority', 'target']],
  ['herald_jobs_failed_total', ['priority', 'target', 'error_type']],
  ['herald_job_retries_total', ['target', 'error_type']],
  ['herald_delivery_duration_seconds_count', ['target', 'outcome']],
  ['herald_job_wait_seconds_count', ['priority']],
  ['herald_job_e2e_seconds_count', ['priority']],
  ['herald_dlq_writes_total', ['target', 'error_type']],
  ['herald_dlq_replays_total', ['target', 'result']],
  ['herald_dlq_entries', ['replayed']],
  ['herald_breaker_state', ['target']],
  ['herald_breaker_transitions_total', ['target', 'to']],
  ['herald_worker_active_jobs', []],
  ['herald_http_request_duration_seconds_count', ['method', 'route', 'status']],
  ['herald_mode', ['mode']],
  ['process_cpu_seconds_total', []],
  ['process_resident_memory_bytes', []],
];

describe('metrics', () => {
  const harness = new Harness();
  afterAll(() => harness.closeAll());

  it('When real traffic succeeds, repeats, fails, dead-letters, replays and trips a breaker, then every DESIGN.md metric is exported with its labels and moves', async () => {
    let badAnswer = 400;
    const good = await startTargetServer();
    const flaky = await startTargetServer((_r, i) => ({ status: i === 0 ? 503 : 200 }));
    const bad = await startTargetServer(() => ({ status: badAnswer }));
    const down = await startTargetServer(() => ({ status: 503 }));
    for (const server of [good, flaky, bad, down]) harness.defer(() => server.close());
    const targets = targetsFrom(`targets:
  - { name: good, type: webhook, url: "${good.url}", match: { team: ops } }
  - { name: flaky, type: webhook, url: "${flaky.url}", match: { team: ops } }
  - { name: bad, type: webhook, url: "${bad.url}", match: { team: ops } }
  - { name: down, type: webhook, url: "${down.url}", match: { team: ops }, maxAttempts: 2 }
`);
    const databaseUrl = await harness.database();
    const env = testEnv({ DATABASE_URL: databaseUrl, BREAKER_FAILURE_THRESHOLD: '2', BREAKER_OPEN_MS: '60000' });
    const api = await harness.api(env, targets);
    const worker = await harness.worker(env, targets);
    const scrape = async () => [
      ...parseMetrics((await getJson(`${api.url}/metrics`)).body as string),
      ...parseMetrics((await getJson(`http://127.0.0.1:${worker.metricsPort}/metrics`)).body as string),
    ];
    const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
    const before = await scrape();

    const webhook = alertmanagerPayload([
      { labels: { alertname: 'Checkout', team: 'ops', severity: 'critical' }, fingerprint: 'm1' },
      { labels: { alertname: 'Nobody', team: 'dev' }, fingerprint: 'm2' },
    ]);
    expect((await postJson(`${api.url}/api/v1/webhooks/alertmanager`, webhook)).body.jobs).toHaveLength(4);
    expect((await postJson(`${api.url}/api/v1/webhooks/alertmanager`, webhook)).body.deduplicated).toHaveLength(4);
    expect((await postJson(`${api.url}/api/v1/publishing/submit`, { labels: { alertname: 'Direct', team: 'ops' }, targets: ['good'] })).status).toBe(202);

    const dlq = harness.dlq(databaseUrl);
    const entries = await eventually(async () => {
      const { entries: rows } = await dlq.list({}, { limit: 10 });
      return rows.length === 2 ? rows : undefined;
    }, 'the bad and down jobs in the DLQ');
    badAnswer = 200;
    const rejected = entries.find((entry) => entry.targetName === 'bad')!;
    expect((await postJson(`${api.url}/api/v1/publishing/dlq/${rejected.id}/replay`, {})).status).toBe(202);
    await eventually(async () => ((await dlq.get(rejected.id))?.replayResult === 'succeeded' ? true : undefined), 'the replay to succeed');

    const after = await scrape();
    for (const [name, labels] of CONTRACT) {
      const samples = after.filter((s) => s.name === name);
      expect({ name, present: samples.length > 0 }).toEqual({ name, present: true });
      expect({ name, labels: Object.keys(samples[0]!.labels).sort() }).toEqual({ name, labels: [...labels].sort() });
    }

    const moved = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);
    expect(moved('herald_alerts_received_total', { source: 'alertmanager' })).toBe(4);
    expect(moved('herald_alerts_received_total', { source: 'api' })).toBe(1);
    expect(moved('herald_alerts_deduplicated_total')).toBe(4);
    expect(moved('herald_alerts_unrouted_total')).toBe(2);
    expect(moved('herald_jobs_enqueued_total', { priority: 'high' })).toBe(4);
    expect(moved('herald_jobs_completed_total', { target: 'good' })).toBe(2);
    expect(moved('herald_jobs_completed_total', { target: 'flaky' })).toBe(1);
    expect(moved('herald_jobs_completed_total', { target: 'bad' })).toBe(1);
    expect(moved('herald_job_retries_total', { target: 'flaky', error_type: 'transient' })).toBe(1);
    expect(moved('herald_jobs_failed_total', { target: 'bad', error_type: 'permanent' })).toBe(1);
    expect(moved('herald_jobs_failed_total', { target: 'down', error_type: 'transient' })).toBe(1);
    expect(moved('herald_dlq_writes_total')).toBe(2);
    expect(moved('herald_dlq_replays_total', { result: 'queued' })).toBe(1);
    expect(moved('herald_dlq_replays_total', { result: 'succeeded' })).toBe(1);
    expect(moved('herald_breaker_transitions_total', { target: 'down', to: 'open' })).toBe(1);
    expect(total(after, 'herald_breaker_state', { target: 'down' })).toBe(2);
    // Queue depths and DLQ sizes are read from Redis and PostgreSQL at scrape time and cached
    // (1 s and 5 s), so they catch up rather than jump.
    await eventually(async () => {
      const fresh = await scrape();
      const dlqShown = total(fresh, 'herald_dlq_entries', { replayed: 'true' }) === 1 && total(fresh, 'herald_dlq_entries', { replayed: 'false' }) === 1;
      return dlqShown && total(fresh, 'herald_queue_jobs', { queue: 'publish-high', state: 'completed' }) >= 3 ? true : undefined;
    }, 'the scrape-time gauges to show the DLQ entries and completed jobs', 10_000);
    expect(moved('herald_job_e2e_seconds_count', { priority: 'high' })).toBe(3);
    expect(moved('herald_job_wait_seconds_count')).toBeGreaterThanOrEqual(5);
    expect(moved('herald_delivery_duration_seconds_count', { target: 'flaky', outcome: 'transient' })).toBe(1);
    expect(moved('herald_http_request_duration_seconds_count', { route: '/api/v1/webhooks/alertmanager', status: '202' })).toBe(2);
    expect(total(after, 'herald_mode', { mode: 'publishing' })).toBe(2);
  });

  it('When deliveries are in flight on both of a worker\'s threads, then herald_worker_active_jobs counts them, and none once they end', async () => {
    // Each request is answered after 5 s: long enough to scrape while both are held.
    const slow = await startTargetServer(() => ({ status: 200, delayMs: 5000 }));
    harness.defer(() => slow.close());
    const targets = targetsFrom(`targets:\n  - { name: slow, type: webhook, url: "${slow.url}" }\n`);
    const env = testEnv({ DATABASE_URL: await harness.database() });
    const api = await harness.api(env, targets);
    const worker = await harness.worker(env, targets);
    const activeJobs = async () =>
      parseMetrics((await getJson(`http://127.0.0.1:${worker.metricsPort}/metrics`)).body as string)
        .filter((s) => s.name === 'herald_worker_active_jobs')
        .reduce((sum, s) => sum + s.value, 0);

    // A critical alert goes to the urgent lane's thread, a warning to the main thread's.
    const webhook = alertmanagerPayload([
      { labels: { alertname: 'Urgent', severity: 'critical' }, fingerprint: 'active-1' },
      { labels: { alertname: 'Routine', severity: 'warning' }, fingerprint: 'active-2' },
    ]);
    expect((await postJson(`${api.url}/api/v1/webhooks/alertmanager`, webhook)).status).toBe(202);
    await slow.waitForRequests(2);

    expect(await activeJobs()).toBe(2);
    await eventually(async () => ((await activeJobs()) === 0 ? true : undefined), 'the deliveries to end', 15_000);
  });
});
