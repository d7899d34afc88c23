import { HttpStatusError, classifyError, createHttpDelivery, type Alert, type HttpDelivery, type OutboundRequest, type RootlyTarget } from '@herald/core';
import { ALL_FIXTURES, BARE_WARNING, FIRING_CRITICAL, GROUP, LONG_DESCRIPTION, RESOLVED_CRITICAL, UNICODE_INFO } from '../../../../test/support/alert-fixtures';
import { startRootlyImitation, type RootlyImitation } from '../../../../test/support/imitations/rootly';
import { rootlyService } from '../../src/formatters/rootly';

const TOKEN = 'rootly-test-token-123';

function targetFor(url: string, extra: Partial<RootlyTarget> = {}): RootlyTarget {
  return { name: 'rootly', type: 'rootly', token: TOKEN, url, timeoutMs: 5000, secretFields: ['token'], ...extra };
}

function attributesOf(request: OutboundRequest): Record<string, any> {
  return JSON.parse(request.body).data.attributes;
}

/** The HttpStatusError a delivery failed with; fails the test if it succeeded or failed otherwise. */
async function failureOf(sending: Promise<unknown>): Promise<HttpStatusError> {
  try {
    await sending;
  } catch (error) {
    if (error instanceof HttpStatusError) return error;
    throw error;
  }
  throw new Error('expected the delivery to fail');
}

const CRITICAL_LABELS = [
  { key: 'alertname', value: 'HighRequestLatency' },
  { key: 'severity', value: 'critical' },
  { key: 'service', value: 'checkout' },
  { key: 'instance', value: 'checkout-7d9f:8080' },
  { key: 'job', value: 'api' },
  { key: 'team', value: 'payments' },
];

const CRITICAL_DATA = {
  fingerprint: 'c5b8f0e3a1d24f67',
  annotations: {
    summary: 'p99 latency above 2s on checkout',
    description: 'checkout-7d9f:8080 has had a p99 request latency of 3.4s for the last 10 minutes.',
    runbook_url: 'https://runbooks.example.com/checkout/latency',
    dashboard_url: 'https://grafana.example.com/d/checkout',
  },
  receiver: 'herald',
  groupKey: '{}/{severity=~"critical|warning"}:{alertname="HighRequestLatency"}',
  externalURL: 'http://alertmanager.example.com:9093',
};

describe('Rootly formatter', () => {
  const target = targetFor('https://api.rootly.com/v1/alerts');

  it('When a critical alert fires, then it becomes exactly this JSON:API create-alert request', () => {
    const request = rootlyService.format(FIRING_CRITICAL, GROUP, target);

    expect({ ...request, body: JSON.parse(request.body) }).toEqual({
      method: 'POST',
      url: 'https://api.rootly.com/v1/alerts',
      headers: { 'content-type': 'application/vnd.api+json', authorization: 'Bearer rootly-test-token-123' },
      body: {
        data: {
          type: 'alerts',
          attributes: {
            source: 'alertmanager',
            summary: '[FIRING] HighRequestLatency',
            description: 'p99 latency above 2s on checkout\ncheckout-7d9f:8080 has had a p99 request latency of 3.4s for the last 10 minutes.',
            external_id: 'c5b8f0e3a1d24f67',
            deduplication_key: 'c5b8f0e3a1d24f67',
            external_url:
              'http://prometheus.example.com:9090/graph?g0.expr=histogram_quantile%280.99%2C+rate%28http_request_duration_seconds_bucket%5B5m%5D%29%29+%3E+2&g0.tab=1',
            started_at: '2026-11-22T09:58:31.482Z',
            labels: CRITICAL_LABELS,
            data: { status: 'firing', ...CRITICAL_DATA },
          },
        },
      },
    });
  });

  it('When the critical alert resolves, then it keeps the same external id and deduplication key and carries ended_at', () => {
    const request = rootlyService.format(RESOLVED_CRITICAL, GROUP, target);

    expect({ ...request, body: JSON.parse(request.body) }).toEqual({
      method: 'POST',
      url: 'https://api.rootly.com/v1/alerts',
      headers: { 'content-type': 'application/vnd.api+json', authorization: 'Bearer rootly-test-token-123' },
      body: {
        data: {
          type: 'alerts',
          attributes: {
            source: 'alertmanager',
            summary: '[RESOLVED] HighRequestLatency',
            description: 'p99 latency above 2s on checkout\ncheckout-7d9f:8080 has had a p99 request latency of 3.4s for the last 10 minutes.',
            external_id: 'c5b8f0e3a1d24f67',
            deduplication_key: 'c5b8f0e3a1d24f67',
            external_url:
              'http://prometheus.example.com:9090/graph?g0.expr=histogram_quantile%280.99%2C+rate%28http_request_duration_seconds_bucket%5B5m%5D%29%29+%3E+2&g0.tab=1',
            started_at: '2026-11-22T09:58:31.482Z',
            ended_at: '2026-11-22T10:21:04.113Z',
            labels: CRITICAL_LABELS,
            data: { status: 'resolved', ...CRITICAL_DATA },
          },
        },
      },
    });
  });

  it('When the same alert is formatted twice, then both requests are identical', () => {
    expect(rootlyService.format(FIRING_CRITICAL, GROUP, target)).toEqual(rootlyService.format(FIRING_CRITICAL, GROUP, target));
  });

  it('When the target sets title and text templates, then they become the summary and the description', () => {
    const templated = targetFor(target.url, { title: '{{ labels.alertname }} on {{ labels.instance }}', text: '{{ annotations.summary }} ({{ status }})' });

    const attributes = attributesOf(rootlyService.format(FIRING_CRITICAL, GROUP, templated));

    expect(attributes.summary).toBe('HighRequestLatency on checkout-7d9f:8080');
    expect(attributes.description).toBe('p99 latency above 2s on checkout (firing)');
  });

  it('When the templates render nothing, then the summary falls back to the default title and the description is left out', () => {
    const blank = targetFor(target.url, { title: '{{ labels.missing }}', text: '{{ annotations.missing }}' });

    const attributes = attributesOf(rootlyService.format(FIRING_CRITICAL, GROUP, blank));

    expect(attributes.summary).toBe('[FIRING] HighRequestLatency');
    expect(attributes).not.toHaveProperty('description');
  });

  it('When an alert has no generator URL and fires, then external_url and ended_at are left out', () => {
    const attributes = attributesOf(rootlyService.format(BARE_WARNING, GROUP, target));

    expect(attributes).not.toHaveProperty('external_url');
    expect(attributes).not.toHaveProperty('ended_at');
    expect(attributes.description).toBe('DiskFilling');
  });

  it('When startsAt has an offset, then started_at is the same instant in UTC', () => {
    expect(attributesOf(rootlyService.format(UNICODE_INFO, GROUP, target)).started_at).toBe('2026-11-22T06:00:00.000Z');
  });

  it('When the summary and description are far too long, then they are cut to 255 and 10,000 characters with an ellipsis', () => {
    const attributes = attributesOf(rootlyService.format(LONG_DESCRIPTION, GROUP, targetFor(target.url, { title: '{{ annotations.summary }}' })));

    expect(attributes.summary).toHaveLength(255);
    expect(attributes.summary.endsWith('…')).toBe(true);
    expect(attributes.description).toHaveLength(10_000);
    expect(attributes.description.endsWith('…')).toBe(true);
    expect(attributes.data.annotations.description).toHaveLength(2000);
  });

  it('When a cut falls inside an emoji, then the half emoji is dropped rather than sent', () => {
    const alert: Alert = { ...FIRING_CRITICAL, annotations: { summary: `${'x'.repeat(253)}🔥🔥` } };

    const attributes = attributesOf(rootlyService.format(alert, GROUP, targetFor(target.url, { title: '{{ annotations.summary }}' })));

    expect(attributes.summary).toBe(`${'x'.repeat(253)}…`);
  });
});

describe('Rootly over HTTP, against the imitation of its alerts API', () => {
  let rootly: RootlyImitation;
  let delivery: HttpDelivery;
  let target: RootlyTarget;

  beforeAll(async () => {
    rootly = await startRootlyImitation({ token: TOKEN });
    delivery = createHttpDelivery();
    target = targetFor(`${rootly.url}/v1/alerts`);
  });

  afterAll(async () => {
    await delivery.close();
    await rootly.close();
  });

  it.each(Object.entries(ALL_FIXTURES))('When %s is sent, then Rootly accepts it with 201', async (name, alert) => {
    const before = rootly.alerts.length;

    await expect(delivery.send(rootlyService.format(alert, GROUP, target), 5000)).resolves.toEqual({ httpStatus: 201 });

    expect(rootly.alerts).toHaveLength(before + 1);
    expect(rootly.alerts.at(-1)!.attributes.external_id).toBe(alert.fingerprint);
  });

  it('When the resolution follows the firing alert, then Rootly treats both as one alert', async () => {
    await delivery.send(rootlyService.format(FIRING_CRITICAL, GROUP, target), 5000);
    await delivery.send(rootlyService.format(RESOLVED_CRITICAL, GROUP, target), 5000);

    const [firing, resolved] = rootly.alerts.slice(-2);
    expect(resolved!.id).toBe(firing!.id);
    expect(resolved!.attributes.ended_at).toBe('2026-11-22T10:21:04.113Z');
  });

  it('When the token is wrong, then Rootly answers 401 and the failure is permanent', async () => {
    const request = rootlyService.format(FIRING_CRITICAL, GROUP, { ...target, token: 'not-the-token' });

    const error = await failureOf(delivery.send(request, 5000));

    expect(error.status).toBe(401);
    expect(classifyError(error, rootlyService.readAnswer)).toEqual({ type: 'permanent', httpStatus: 401, retryAfterMs: null });
  });

  it('When the document is invalid, then Rootly answers 422 and the failure is permanent', async () => {
    const request = rootlyService.format(FIRING_CRITICAL, GROUP, target);
    const document = JSON.parse(request.body);
    delete document.data.attributes.summary;

    const error = await failureOf(delivery.send({ ...request, body: JSON.stringify(document) }, 5000));

    expect(error.status).toBe(422);
    expect(JSON.parse(error.body).errors).toEqual([
      { status: '422', title: 'Invalid Attribute', detail: "can't be blank", source: { pointer: '/data/attributes/summary' } },
    ]);
    expect(classifyError(error, rootlyService.readAnswer)).toEqual({ type: 'permanent', httpStatus: 422, retryAfterMs: null });
  });

  it('When Rootly rate-limits with Retry-After, then the failure is transient and the wait is kept; the retry is accepted', async () => {
    rootly.failNext(1, { status: 429, retryAfterSeconds: 7 });
    const request = rootlyService.format(FIRING_CRITICAL, GROUP, target);

    const error = await failureOf(delivery.send(request, 5000));

    expect(classifyError(error, rootlyService.readAnswer)).toEqual({ type: 'transient', httpStatus: 429, retryAfterMs: 7000 });
    await expect(delivery.send(request, 5000)).resolves.toEqual({ httpStatus: 201 });
  });

  it('When Rootly fails with 500, then the failure is transient', async () => {
    rootly.failNext(1, { status: 500 });

    const error = await failureOf(delivery.send(rootlyService.format(FIRING_CRITICAL, GROUP, target), 5000));

    expect(classifyError(error, rootlyService.readAnswer)).toEqual({ type: 'transient', httpStatus: 500, retryAfterMs: null });
  });

  const malformed: [string, (attributes: Record<string, any>, data: Record<string, any>) => void, string][] = [
    ['the resource type is not "alerts"', (_, data) => (data.type = 'incidents'), '/data/type'],
    ['the summary is blank', (attributes) => (attributes.summary = '  '), '/data/attributes/summary'],
    ['the summary is 256 characters', (attributes) => (attributes.summary = 's'.repeat(256)), '/data/attributes/summary'],
    ['the description is 10,001 characters', (attributes) => (attributes.description = 'd'.repeat(10_001)), '/data/attributes/description'],
    ['the source is not in the documented enum', (attributes) => (attributes.source = 'prometheus'), '/data/attributes/source'],
    ['the status is "resolved", which create does not take', (attributes) => (attributes.status = 'resolved'), '/data/attributes/status'],
    ['the labels are a map instead of a list', (attributes) => (attributes.labels = { severity: 'critical' }), '/data/attributes/labels'],
    ['a label value is an object', (attributes) => (attributes.labels = [{ key: 'a', value: { b: 1 } }]), '/data/attributes/labels'],
    ['started_at is not a date-time', (attributes) => (attributes.started_at = 'yesterday'), '/data/attributes/started_at'],
    ['external_url is not a URL', (attributes) => (attributes.external_url = 'prometheus:9090'), '/data/attributes/external_url'],
    ['an attribute is not documented', (attributes) => (attributes.severity = 'critical'), '/data/attributes/severity'],
  ];

  it.each(malformed)('When %s, then the imitation refuses the document with 422', async (_, spoil, pointer) => {
    const request = rootlyService.format(FIRING_CRITICAL, GROUP, target);
    const document = JSON.parse(request.body);
    spoil(document.data.attributes, document.data);
    const before = rootly.alerts.length;

    const error = await failureOf(delivery.send({ ...request, body: JSON.stringify(document) }, 5000));

    expect(error.status).toBe(422);
    expect(JSON.parse(error.body).errors.map((e: { source: { pointer: string } }) => e.source.pointer)).toContain(pointer);
    expect(rootly.alerts).toHaveLength(before);
  });

  it('When the content type is plain JSON or the body is not JSON, then the imitation refuses the request', async () => {
    const request = rootlyService.format(FIRING_CRITICAL, GROUP, target);

    const plainJson = await failureOf(delivery.send({ ...request, headers: { ...request.headers, 'content-type': 'application/json' } }, 5000));
    const notJson = await failureOf(delivery.send({ ...request, body: '{"data":' }, 5000));

    expect(plainJson.status).toBe(415);
    expect(notJson.status).toBe(400);
  });
});
