import { LocalRedis } from '@herald/devstack/local-redis';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../../../test/support/eventually';
import { Harness, alertmanagerPayload, exitOf, getJson, jobSpec, postJson, targetsFrom, testEnv } from '../../../test/support/herald';
import { testTempDir } from '../../../test/support/temp-dir';

const webhookPath = '/api/v1/webhooks/alertmanager';
const targets = targetsFrom('targets:\n  - { name: sink, type: webhook, url: "http://127.0.0.1:9/never" }\n');

describe('the API at its edges', () => {
  // The APIs shared by a describe block live until the end; each test's own, until it ends.
  const harness = new Harness();
  afterAll(() => harness.closeAll());
  const each = new Harness();
  afterEach(() => each.closeAll());

  describe('with API_TOKEN set', () => {
    const token = 'submit-token-0123456789';
    let url: string;
    beforeAll(async () => {
      url = (await harness.api(testEnv({ API_TOKEN: token, ADMIN_TOKEN: 'admin-token-0123456789' }), targets)).url;
    });

    it.each([
      ['no Authorization header', {}],
      ['a wrong token', { authorization: 'Bearer wrong-token-0123456789' }],
      ['a token without the Bearer scheme', { authorization: token }],
    ])('When a webhook comes with %s, then it is refused with 401 and nothing is queued', async (_case, headers) => {
      const response = await postJson(`${url}${webhookPath}`, alertmanagerPayload([{ labels: { alertname: 'A' } }]), headers);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
    });

    it('When the webhook carries the right token, then it is accepted', async () => {
      const response = await postJson(`${url}${webhookPath}`, alertmanagerPayload([{ labels: { alertname: 'A' } }]), { authorization: `Bearer ${token}` });
      expect(response.status).toBe(202);
      expect(response.body.jobs).toHaveLength(1);
    });

    it('When stats are read without a token, then 401; with either token, then 200', async () => {
      expect((await getJson(`${url}/api/v1/publishing/stats`)).status).toBe(401);
      expect((await getJson(`${url}/api/v1/publishing/stats`, { authorization: `Bearer ${token}` })).status).toBe(200);
      expect((await getJson(`${url}/api/v1/publishing/stats`, { authorization: 'Bearer admin-token-0123456789' })).status).toBe(200);
    });

    it('When the queue UI is opened, then it asks for the admin token and shows the three queues once given it', async () => {
      const anonymous = await fetch(`${url}/admin/queues`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
      expect((await fetch(`${url}/admin/queues`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
      const basic = { authorization: `Basic ${Buffer.from('admin:admin-token-0123456789').toString('base64')}` };
      const page = await fetch(`${url}/admin/queues`, { headers: basic });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const board = (await (await fetch(`${url}/admin/queues/api/queues`, { headers: basic })).json()) as { queues: { name: string }[] };
      expect(board.queues.map((queue) => queue.name).sort()).toEqual(['publish-high', 'publish-low', 'publish-medium']);
    });

    it('When probes and metrics are read, then they need no token', async () => {
      expect((await getJson(`${url}/healthz`)).status).toBe(200);
      expect((await getJson(`${url}/readyz`)).body).toEqual({ status: 'ready', checks: { redis: 'ok', postgres: 'ok' } });
      expect((await getJson(`${url}/metrics`)).status).toBe(200);
    });
  });

  describe('bad input', () => {
    let url: string;
    beforeAll(async () => {
      url = (await harness.api(testEnv(), targets)).url;
    });

    const send = (body: string | Buffer, contentType = 'application/json') =>
      fetch(`${url}${webhookPath}`, { method: 'POST', headers: { 'content-type': contentType }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

    it('When the body is not JSON, then 400 invalid_json', async () => {
      const response = await send('{"version": "4",');
      expect(response).toEqual({ status: 400, body: { error: { code: 'invalid_json', message: expect.any(String), requestId: expect.any(String) } } });
    });

    it('When the content type is not JSON, then 400 unsupported_media_type', async () => {
      const response = await send(JSON.stringify(alertmanagerPayload([{ labels: { alertname: 'A' } }])), 'text/plain');
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('unsupported_media_type');
    });

    it('When a field violates the schema, then 400 names the failing field path', async () => {
      const payload = alertmanagerPayload([{ labels: { alertname: 'A' } }, { labels: { alertname: 'B' } }]);
      (payload.alerts as { status: string }[])[1]!.status = 'exploded';
      const response = await send(JSON.stringify(payload));
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(response.body.error.details).toContainEqual({ path: 'alerts[1].status', message: expect.stringContaining('firing') });
    });

    it('When the body is a JSON scalar or array, then 400', async () => {
      expect((await send('"hello"')).status).toBe(400);
      expect((await send('[]')).status).toBe(400);
    });

    it('When the body is over 1 MiB, then 413 payload_too_large', async () => {
      const huge = JSON.stringify(alertmanagerPayload([{ labels: { alertname: 'A' }, annotations: { description: 'x'.repeat(1024 * 1024) } }]));
      const response = await send(huge);
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('payload_too_large');
    });

    it('When a submission names a target that does not exist, then 400 names it and nothing is queued', async () => {
      const response = await postJson(`${url}/api/v1/publishing/submit`, { labels: { alertname: 'A' }, targets: ['sink', 'https://evil.example'] });
      expect(response.status).toBe(400);
      expect(response.body.error.details).toEqual([{ path: 'targets[1]', message: 'no target named "https://evil.example" is configured' }]);
    });

    it('When a job id is unknown or a route does not exist, then 404 in the error shape', async () => {
      expect((await getJson(`${url}/api/v1/publishing/jobs/high-00000000-0000-0000-0000-000000000000`)).body.error.code).toBe('not_found');
      expect((await getJson(`${url}/api/v1/publishing/jobs/nonsense`)).status).toBe(404);
      expect((await getJson(`${url}/api/v1/nope`)).status).toBe(404);
    });

    it('When a job listing filter is invalid, then 400 names it', async () => {
      const response = await getJson(`${url}/api/v1/publishing/jobs?state=exploded&limit=9999`);
      expect(response.status).toBe(400);
      expect(response.body.error.details.map((d: { path: string }) => d.path)).toEqual(['state', 'limit']);
    });
  });

  describe('limits and backpressure', () => {
    it('When a webhook carries more alerts than MAX_ALERTS_PER_WEBHOOK, then 413 too_many_alerts names the limit and nothing is queued', async () => {
      const { url } = await each.api(testEnv({ MAX_ALERTS_PER_WEBHOOK: '3' }), targets);
      const many = alertmanagerPayload([1, 2, 3, 4].map((n) => ({ labels: { alertname: `A${n}` } })));
      const response = await postJson(`${url}${webhookPath}`, many);
      expect(response.status).toBe(413);
      expect(response.body.error).toMatchObject({ code: 'too_many_alerts', message: expect.stringContaining('MAX_ALERTS_PER_WEBHOOK (3)') });
      expect((await postJson(`${url}${webhookPath}`, alertmanagerPayload([{ labels: { alertname: 'One' } }]))).status).toBe(202);
    });

    it('When an alert has too many labels or a request would fan out too far, then the answer names the limit', async () => {
      const { url } = await each.api(testEnv({ MAX_LABELS_PER_ALERT: '2', MAX_FANOUT_PER_REQUEST: '2' }), targets);
      const labelled = await postJson(`${url}${webhookPath}`, alertmanagerPayload([{ labels: { alertname: 'A', a: '1', b: '2' } }]));
      expect(labelled.status).toBe(400);
      expect(labelled.body.error.details[0]).toEqual({ path: 'alerts[0].labels', message: '"alerts[0].labels" has more than 2 labels (MAX_LABELS_PER_ALERT)' });
      const wide = await postJson(`${url}${webhookPath}`, alertmanagerPayload([1, 2, 3].map((n) => ({ labels: { alertname: `W${n}` } }))));
      expect(wide.status).toBe(413);
      expect(wide.body.error).toMatchObject({ code: 'fanout_too_large', message: expect.stringContaining('MAX_FANOUT_PER_REQUEST (2)') });
    });

    it('When Alertmanager truncated a webhook, then the alerts it left out are counted', async () => {
      const { url } = await each.api(testEnv(), targets);
      await postJson(`${url}${webhookPath}`, alertmanagerPayload([{ labels: { alertname: 'A' } }], { truncatedAlerts: 7 }));
      expect((await getJson(`${url}/metrics`)).body).toMatch(/^herald_alerts_truncated_total 7$/m);
    });

    it('When the low queue is over its depth limit, then low alerts get 503 with Retry-After while high ones are still queued', async () => {
      const env = testEnv({ QUEUE_MAX_DEPTH_LOW: '2' });
      const { url } = await each.api(env, targets);
      const queues = each.queues(env);
      await queues.add([jobSpec('low', 'backlog-1'), jobSpec('low', 'backlog-2')]);
      const mixed = alertmanagerPayload([
        { labels: { alertname: 'Info', severity: 'info' }, fingerprint: 'low-1' },
        { labels: { alertname: 'Page', severity: 'critical' }, fingerprint: 'high-1' },
      ]);
      const refused = await eventually(async () => {
        const response = await postJson(`${url}${webhookPath}`, mixed);
        return response.status === 503 ? response : undefined;
      }, 'the depth guard to see the full low queue', 5000);
      expect(refused.headers.get('retry-after')).toBe('10');
      // The guard reads depths every 500 ms, so an attempt before it noticed may have queued one more.
      expect(refused.body.error).toMatchObject({ code: 'queue_full', details: [{ path: 'queues.low', message: expect.stringMatching(/^[23] jobs waiting, limit QUEUE_MAX_DEPTH_LOW=2$/) }] });
      expect((await queues.counts()).high.waiting).toBe(1);
      expect((await getJson(`${url}/metrics`)).body).toMatch(/^herald_alerts_refused_total\{priority="low"\} [1-9]/m);
      // Alertmanager's resend: the high alert is a repeat, the low one still waits for room.
      const again = await postJson(`${url}${webhookPath}`, mixed);
      expect(again.status).toBe(503);
      expect((await queues.counts()).high.waiting).toBe(1);
    });

    it('When any answer is sent, then it carries protective headers and no X-Powered-By', async () => {
      const { url } = await each.api(testEnv(), targets);
      for (const path of ['/healthz', '/api/v1/nope']) {
        const response = await fetch(`${url}${path}`);
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
        expect(response.headers.get('x-powered-by')).toBeNull();
      }
    });

    it('When a request carries an X-Request-Id, then the answer echoes it; otherwise it gets a new one', async () => {
      const { url } = await each.api(testEnv(), targets);
      const echoed = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'am-1234.abc' } });
      expect(echoed.headers.get('x-request-id')).toBe('am-1234.abc');
      const made = await fetch(`${url}/api/v1/nope`, { headers: { 'x-request-id': 'not valid because spaces' } });
      const id = made.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(((await made.json()) as { error: { requestId: string } }).error.requestId).toBe(id);
    });
  });

  describe('with no targets configured', () => {
    it('When alerts arrive, then they are accepted and counted, nothing is queued, and the mode is visible', async () => {
      const env = testEnv();
      const { url } = await each.api(env, []);
      const response = await postJson(`${url}${webhookPath}`, alertmanagerPayload([{ labels: { alertname: 'A' } }, { labels: { alertname: 'B' } }]));
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({ mode: 'metrics-only', alerts: 2, jobs: [] });

      const stats = await getJson(`${url}/api/v1/publishing/stats`);
      expect(stats.body.mode).toBe('metrics-only');
      expect(stats.body.queues.medium.waiting).toBe(0);
      const metrics = (await getJson(`${url}/metrics`)).body as string;
      expect(metrics).toMatch(/^herald_mode\{mode="metrics-only"\} 1$/m);
      expect(metrics).toMatch(/^herald_alerts_received_total\{source="alertmanager"\} 2$/m);
    });
  });

  describe('when a dependency is down', () => {
    it('When Redis stops, then submissions get 503 with Retry-After, readiness fails, and both recover when it returns', async () => {
      const redis = new LocalRedis({ dataDir: testTempDir('herald-redis-'), appendOnly: true });
      await redis.start();
      each.defer(() => redis.stop());
      const { url } = await each.api(testEnv({ REDIS_URL: redis.url }), targets);
      const payload = () => alertmanagerPayload([{ labels: { alertname: 'A' } }]);
      expect((await postJson(`${url}${webhookPath}`, payload())).status).toBe(202);

      await redis.stop();
      const refused = await postJson(`${url}${webhookPath}`, payload());
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(refused.body.error.code).toBe('service_unavailable');
      const ready = await getJson(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toEqual({ redis: 'unreachable', postgres: 'ok' });

      await redis.start();
      await waitFor(async () => (await getJson(`${url}/readyz`)).status === 200);
      expect((await postJson(`${url}${webhookPath}`, payload())).status).toBe(202);
    });

    it('When PostgreSQL is unreachable, then readiness says so with 503', async () => {
      const { url } = await each.api(testEnv({ DATABASE_URL: 'postgres://nobody:x@127.0.0.1:9/none' }), targets);
      const ready = await getJson(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toEqual({ redis: 'ok', postgres: 'unreachable' });
    });
  });

  describe('bad configuration', () => {
    it.each([
      [{ WORKER_CONCURRENCY: 'many' }, /WORKER_CONCURRENCY/],
      [{ DATABASE_URL: undefined }, /DATABASE_URL/],
      [{ TARGETS_FILE: '/nonexistent/targets.yaml' }, /TARGETS_FILE: cannot read/],
      [{ TARGETS_FILE: writeTemp('targets:\n  - { name: hook, type: webhook, url: "${HOOK_URL}" }\n') }, /targets\[0\] \(hook\)\.url: environment variable HOOK_URL is not set/],
    ])('When a process starts with %j, then it exits with code 2 and one message naming it', async (overrides, message) => {
      for (const role of ['api', 'worker'] as const) {
        const { code, output } = await exitOf(each.spawnRole(role, testEnv(overrides)));
        expect(code).toBe(2);
        expect(output).toMatch(message);
        expect(output.trim().split('\n')).toHaveLength(1);
      }
    });
  });
});

function writeTemp(text: string): string {
  const path = join(testTempDir('herald-targets-'), 'targets.yaml');
  writeFileSync(path, text);
  return path;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
