import { HttpStatusError, NO_GROUP, classifyError, createHttpDelivery, formatFor, type Alert, type HttpDelivery, type OutboundRequest, type PagerDutyTarget } from '@herald/core';
import { ALL_FIXTURES, BARE_WARNING, FIRING_CRITICAL, GROUP, LONG_DESCRIPTION, RESOLVED_CRITICAL, UNICODE_INFO } from '../../../../test/support/alert-fixtures';
import { PAGERDUTY_MAX_EVENT_BYTES, startPagerDutyImitation, type PagerDutyImitation } from '../../../../test/support/imitations/pagerduty';
import { pagerdutyService } from '../../src/formatters/pagerduty';

const ROUTING_KEY = 'R0UT1NGKEY0123456789ABCDEFGHIJKL';

let imitation: PagerDutyImitation;
let delivery: HttpDelivery;

beforeEach(async () => {
  imitation = await startPagerDutyImitation({ routingKey: ROUTING_KEY });
});

afterEach(() => imitation.close());

beforeAll(() => {
  delivery = createHttpDelivery();
});

afterAll(() => delivery.close());

function pagerdutyTarget(overrides: Partial<PagerDutyTarget> = {}): PagerDutyTarget {
  return {
    name: 'pd-primary',
    type: 'pagerduty',
    routingKey: ROUTING_KEY,
    url: `${imitation.url}/v2/enqueue`,
    timeoutMs: 5000,
    secretFields: ['routingKey'],
    ...overrides,
  };
}

function eventOf(alert: Alert, target = pagerdutyTarget(), group = GROUP): any {
  return JSON.parse(pagerdutyService.format(alert, group, target).body);
}

/** A request carrying any event, to show what the imitation refuses. */
function rawRequest(event: unknown): OutboundRequest {
  return { method: 'POST', url: `${imitation.url}/v2/enqueue`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
}

async function failureOf(request: OutboundRequest): Promise<HttpStatusError> {
  const error: unknown = await delivery.send(request, 5000).then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  if (!(error instanceof HttpStatusError)) throw new Error(`expected an HTTP failure, got ${String(error)}`);
  return error;
}

describe('PagerDuty formatter: golden events', () => {
  it('When a critical alert fires, then it becomes a trigger event with every documented field', () => {
    const request = pagerdutyService.format(FIRING_CRITICAL, GROUP, pagerdutyTarget());

    expect(request).toMatchObject({ method: 'POST', url: `${imitation.url}/v2/enqueue`, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(request.body)).toEqual({
      routing_key: 'R0UT1NGKEY0123456789ABCDEFGHIJKL',
      event_action: 'trigger',
      dedup_key: 'c5b8f0e3a1d24f67',
      payload: {
        summary: '[FIRING] HighRequestLatency: p99 latency above 2s on checkout',
        source: 'checkout-7d9f:8080',
        severity: 'critical',
        timestamp: '2026-11-22T09:58:31.482Z',
        component: 'checkout',
        group: 'api',
        class: 'HighRequestLatency',
        custom_details: {
          status: 'firing',
          fingerprint: 'c5b8f0e3a1d24f67',
          startsAt: '2026-11-22T09:58:31.482917364Z',
          labels: { alertname: 'HighRequestLatency', severity: 'critical', service: 'checkout', instance: 'checkout-7d9f:8080', job: 'api', team: 'payments' },
          annotations: {
            summary: 'p99 latency above 2s on checkout',
            description: 'checkout-7d9f:8080 has had a p99 request latency of 3.4s for the last 10 minutes.',
            runbook_url: 'https://runbooks.example.com/checkout/latency',
            dashboard_url: 'https://grafana.example.com/d/checkout',
          },
          receiver: 'herald',
          groupKey: '{}/{severity=~"critical|warning"}:{alertname="HighRequestLatency"}',
          externalURL: 'http://alertmanager.example.com:9093',
        },
      },
      client: 'Alertmanager',
      client_url: 'http://alertmanager.example.com:9093',
      links: [
        {
          href: 'http://prometheus.example.com:9090/graph?g0.expr=histogram_quantile%280.99%2C+rate%28http_request_duration_seconds_bucket%5B5m%5D%29%29+%3E+2&g0.tab=1',
          text: 'Source',
        },
        { href: 'https://runbooks.example.com/checkout/latency', text: 'Runbook' },
        { href: 'https://grafana.example.com/d/checkout', text: 'Dashboard' },
      ],
    });
  });

  it('When the alert resolves, then it becomes a resolve event with only routing_key, event_action and dedup_key', () => {
    expect(eventOf(RESOLVED_CRITICAL)).toEqual({
      routing_key: 'R0UT1NGKEY0123456789ABCDEFGHIJKL',
      event_action: 'resolve',
      dedup_key: 'c5b8f0e3a1d24f67',
    });
  });

  it('When a target of type pagerduty is formatted through formatFor, then the PagerDuty formatter builds it', () => {
    const target = pagerdutyTarget();
    expect(formatFor(FIRING_CRITICAL, GROUP, target)).toEqual(pagerdutyService.format(FIRING_CRITICAL, GROUP, target));
  });
});

describe('PagerDuty formatter: fields', () => {
  it.each([
    ['critical', 'critical'],
    ['CRITICAL', 'critical'],
    ['error', 'error'],
    ['High', 'error'],
    ['warning', 'warning'],
    ['warn', 'warning'],
    ['info', 'info'],
    ['none', 'info'],
    ['page-me-maybe', 'info'],
    ['constructor', 'info'],
  ])('When the severity label is "%s", then the PagerDuty severity is %s', (label, severity) => {
    const alert = { ...FIRING_CRITICAL, labels: { ...FIRING_CRITICAL.labels, severity: label } };
    expect(eventOf(alert).payload.severity).toBe(severity);
  });

  it('When the alert has no severity label, then the PagerDuty severity is info', () => {
    const { severity: _absent, ...labels } = FIRING_CRITICAL.labels;
    expect(eventOf({ ...FIRING_CRITICAL, labels }).payload.severity).toBe('info');
  });

  it('When the target has title and text templates, then the summary is the rendered title and text on one line', () => {
    const target = pagerdutyTarget({ title: '{{ labels.alertname }} on {{ labels.instance }}', text: '{{ annotations.summary }}\n(team {{ labels.team }})' });
    expect(eventOf(FIRING_CRITICAL, target).payload.summary).toBe('HighRequestLatency on checkout-7d9f:8080: p99 latency above 2s on checkout (team payments)');
  });

  it('When the alert has no summary annotation, then the summary is the title alone', () => {
    expect(eventOf(BARE_WARNING).payload.summary).toBe('[FIRING] DiskFilling');
  });

  it('When the summary and description are enormous, then the summary is cut to 1024 characters and the event stays under 512 KB', () => {
    const request = pagerdutyService.format(LONG_DESCRIPTION, GROUP, pagerdutyTarget());
    const event = JSON.parse(request.body);

    expect(event.payload.summary).toHaveLength(1024);
    expect(event.payload.summary.endsWith('…')).toBe(true);
    expect(event.payload.custom_details.annotations.description.length).toBeLessThanOrEqual(8192);
    expect(Buffer.byteLength(request.body)).toBeLessThan(PAGERDUTY_MAX_EVENT_BYTES);
  });

  it('When an emoji straddles the 1024th character, then the summary is cut before it, never through it', () => {
    const alert = { ...FIRING_CRITICAL, annotations: { summary: `${'x'.repeat(1022 - '[FIRING] HighRequestLatency: '.length)}🔥🔥` } };
    const summary: string = eventOf(alert).payload.summary;
    expect(summary.length).toBeLessThanOrEqual(1024);
    expect(summary).toMatch(/x…$/);
  });

  it('When the alert has no instance label, then the source is the Alertmanager host, and without a group it is herald', () => {
    expect(eventOf(UNICODE_INFO).payload.source).toBe('alertmanager.example.com');
    expect(eventOf(UNICODE_INFO, pagerdutyTarget(), NO_GROUP).payload.source).toBe('herald');
  });

  it('When startsAt carries an offset or nanoseconds, then the timestamp is ISO 8601 in UTC with milliseconds', () => {
    expect(eventOf(UNICODE_INFO).payload.timestamp).toBe('2026-11-22T06:00:00.000Z');
    expect(eventOf(FIRING_CRITICAL).payload.timestamp).toBe('2026-11-22T09:58:31.482Z');
  });

  it('When an alert is submitted directly, then client is Herald and no client_url is sent', () => {
    const event = eventOf(BARE_WARNING, pagerdutyTarget(), NO_GROUP);
    expect(event.client).toBe('Herald');
    expect(event).not.toHaveProperty('client_url');
    expect(event).not.toHaveProperty('links');
  });

  it('When the fingerprint is longer than 255 characters, then the dedup_key is its SHA-256, the same for trigger and resolve', () => {
    const firing = { ...FIRING_CRITICAL, fingerprint: 'f'.repeat(300) };
    const trigger = eventOf(firing);
    expect(trigger.dedup_key).toMatch(/^[0-9a-f]{64}$/);
    expect(eventOf({ ...firing, status: 'resolved' }).dedup_key).toBe(trigger.dedup_key);
  });

  it('When the fingerprint is empty, then the dedup_key is the fingerprint Alertmanager would give the labels', () => {
    expect(eventOf({ ...BARE_WARNING, fingerprint: '' }).dedup_key).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('PagerDuty formatter against the Events API imitation', () => {
  it.each(Object.entries(ALL_FIXTURES))('When %s is sent over HTTP, then PagerDuty accepts it with 202', async (_name, alert) => {
    const result = await delivery.send(pagerdutyService.format(alert, GROUP, pagerdutyTarget()), 5000);

    expect(result).toEqual({ httpStatus: 202 });
    expect(imitation.rejections).toEqual([]);
    expect(imitation.events).toHaveLength(1);
  });

  it('When an alert fires and then resolves, then both events share one dedup_key and the incident ends resolved', async () => {
    const target = pagerdutyTarget();
    await delivery.send(pagerdutyService.format(FIRING_CRITICAL, GROUP, target), 5000);
    const dedupKey: string = imitation.events[0].dedup_key;
    expect(imitation.incidents.get(dedupKey)).toBe('triggered');

    await delivery.send(pagerdutyService.format(RESOLVED_CRITICAL, GROUP, target), 5000);

    expect(imitation.events.map((event) => [event.event_action, event.dedup_key])).toEqual([
      ['trigger', dedupKey],
      ['resolve', dedupKey],
    ]);
    expect([...imitation.incidents]).toEqual([[dedupKey, 'resolved']]);
  });

  it('When an event is accepted, then the answer is the documented success JSON with the dedup_key', async () => {
    const request = pagerdutyService.format(FIRING_CRITICAL, GROUP, pagerdutyTarget());
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'success', message: 'Event processed', dedup_key: 'c5b8f0e3a1d24f67' });
  });

  it('When labels and annotations are far beyond 512 KB, then the details are cut until PagerDuty accepts the event', async () => {
    const annotations = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`note_${i}`, '東'.repeat(20_000)]));
    const alert = { ...FIRING_CRITICAL, annotations: { ...FIRING_CRITICAL.annotations, ...annotations } };
    const request = pagerdutyService.format(alert, GROUP, pagerdutyTarget());

    await expect(delivery.send(request, 5000)).resolves.toEqual({ httpStatus: 202 });
    expect(imitation.events[0].payload.custom_details.annotations.note_0.length).toBeLessThan(20_000);
  });

  it('When even the shortest details do not fit, then labels and annotations are left out and the event is still accepted', async () => {
    const annotations = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`note_${i}`, 'x'.repeat(500)]));
    const request = pagerdutyService.format({ ...FIRING_CRITICAL, annotations }, GROUP, pagerdutyTarget());

    await expect(delivery.send(request, 5000)).resolves.toEqual({ httpStatus: 202 });
    expect(imitation.events[0].payload.custom_details).not.toHaveProperty('annotations');
    expect(imitation.events[0].payload.custom_details.omitted).toMatch(/left out/);
  });
});

describe('PagerDuty answers, classified', () => {
  it('When PagerDuty answers 400 invalid event, then the failure is permanent', async () => {
    const error = await failureOf(pagerdutyService.format(FIRING_CRITICAL, GROUP, pagerdutyTarget({ routingKey: 'WRONGKEY0123456789ABCDEFGHIJKLMN' })));

    expect(error.status).toBe(400);
    expect(JSON.parse(error.body)).toEqual({ status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid routing key'] });
    expect(classifyError(error, pagerdutyService.readAnswer)).toEqual({ type: 'permanent', httpStatus: 400, retryAfterMs: null });
  });

  it('When PagerDuty throttles with 429, then the failure is transient', async () => {
    imitation.failNext(1, 'throttled');
    const error = await failureOf(pagerdutyService.format(FIRING_CRITICAL, GROUP, pagerdutyTarget()));

    expect(error.status).toBe(429);
    expect(classifyError(error, pagerdutyService.readAnswer).type).toBe('transient');
  });

  it('When PagerDuty fails with 500, then the failure is transient, and the next attempt is accepted', async () => {
    imitation.failNext(1, 'server-error');
    const request = pagerdutyService.format(FIRING_CRITICAL, GROUP, pagerdutyTarget());
    const error = await failureOf(request);

    expect(error.status).toBe(500);
    expect(classifyError(error, pagerdutyService.readAnswer).type).toBe('transient');
    await expect(delivery.send(request, 5000)).resolves.toEqual({ httpStatus: 202 });
  });
});

describe('The Events API imitation refuses what PagerDuty refuses', () => {
  const valid = () => eventOf(FIRING_CRITICAL);

  it.each<[string, (event: any) => void, string]>([
    ['the summary is missing', (event) => delete event.payload.summary, "'payload.summary' is required"],
    ['the summary is longer than 1024 characters', (event) => (event.payload.summary = 's'.repeat(1025)), "'payload.summary' is longer than 1024 characters"],
    ['the source is missing', (event) => delete event.payload.source, "'payload.source' is required"],
    ['the severity is not one of the four', (event) => (event.payload.severity = 'high'), "'payload.severity' must be one of critical, error, warning, info"],
    ['the routing key is not 32 characters', (event) => (event.routing_key = 'short'), "'routing_key' is the wrong length (should be 32 characters)"],
    ['the routing key is not the integration key', (event) => (event.routing_key = 'X'.repeat(32)), 'Invalid routing key'],
    ['the event action is unknown', (event) => (event.event_action = 'close'), "'event_action' must be one of trigger, acknowledge, resolve"],
    ['the dedup_key is longer than 255 characters', (event) => (event.dedup_key = 'd'.repeat(256)), "'dedup_key' is longer than 255 characters"],
    ['the timestamp is not ISO 8601', (event) => (event.payload.timestamp = '22/11/2026 09:58'), "'payload.timestamp' must be an ISO 8601 date-time"],
    ['a link has no href', (event) => (event.links = [{ text: 'Runbook' }]), "'links[0].href' is required and must be a URL"],
    ['a field is misspelt', (event) => (event.dedupKey = event.dedup_key), "'dedupKey' is not an Events API v2 field"],
    ['a trigger has no payload', (event) => delete event.payload, "'payload' is required for a trigger event"],
  ])('When %s, then the imitation answers 400 invalid event', async (_case, spoil, message) => {
    const event = valid();
    spoil(event);
    const error = await failureOf(rawRequest(event));

    expect(error.status).toBe(400);
    expect(imitation.rejections).toEqual([{ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: [message] } }]);
    expect(imitation.events).toEqual([]);
  });

  it('When a resolve has no dedup_key, then the imitation answers 400', async () => {
    const error = await failureOf(rawRequest({ routing_key: ROUTING_KEY, event_action: 'resolve' }));
    expect(error.status).toBe(400);
    expect(imitation.rejections[0]!.body.errors).toEqual(["'dedup_key' is required to resolve"]);
  });

  it('When the body is not JSON, then the imitation answers 400 Unrecognized object', async () => {
    const error = await failureOf({ ...rawRequest({}), body: 'routing_key=x' });
    expect(error.status).toBe(400);
    expect(imitation.rejections[0]!.body).toEqual({ status: 'Unrecognized object', message: 'Event object format is unrecognized', errors: ['JSON parse error'] });
  });

  it('When the body is over 512 KB, then the imitation answers 413', async () => {
    const event = valid();
    event.payload.custom_details = { blob: 'x'.repeat(PAGERDUTY_MAX_EVENT_BYTES) };
    const error = await failureOf(rawRequest(event));
    expect(error.status).toBe(413);
    expect(classifyError(error, pagerdutyService.readAnswer).type).toBe('permanent');
  });

  it('When a resolve arrives for a dedup_key with no open incident, then it is accepted and dropped', async () => {
    await delivery.send(rawRequest({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'never-triggered' }), 5000);
    expect(imitation.incidents.has('never-triggered')).toBe(false);
  });
});
