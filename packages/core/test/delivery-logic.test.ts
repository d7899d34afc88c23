import {
  DeliveryTimeoutError,
  FormatError,
  HttpStatusError,
  TransportError,
  backoffDelayMs,
  classifyError,
  createAlertSchemas,
  parseRetryAfter,
} from '@herald/core';

const alertmanagerWebhookSchema = createAlertSchemas({ labelsPerAlert: 100 }).webhook;

describe('backoffDelayMs', () => {
  const settings = { baseMs: 2000, maxMs: 30000 };

  it('When jitter is at its low end, then delays follow base·2^(attempt-1) capped at the maximum', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt, settings, {}, () => 0))).toEqual([2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('When jitter is at its high end, then a delay is at most 20% longer, never shorter', () => {
    expect(backoffDelayMs(2, settings, {}, () => 1)).toBe(4800);
    expect(backoffDelayMs(10, settings, {}, () => 0.999)).toBeLessThanOrEqual(36000);
  });
});

describe('classifyError', () => {
  it.each([408, 429, 500, 502, 503, 504])('When a target answers %d, then the failure is transient', (status) => {
    expect(classifyError(new HttpStatusError(status, null, '')).type).toBe('transient');
  });

  it.each([400, 401, 403, 404, 405, 410, 413, 422])('When a target answers %d, then the failure is permanent', (status) => {
    expect(classifyError(new HttpStatusError(status, null, '')).type).toBe('permanent');
  });

  it.each([301, 409, 418, 501])('When a target answers %d, then the failure is unknown', (status) => {
    expect(classifyError(new HttpStatusError(status, null, ''))).toMatchObject({ type: 'unknown', httpStatus: status });
  });

  it('When the target times out or the connection fails, then the failure is transient', () => {
    expect(classifyError(new DeliveryTimeoutError(100)).type).toBe('transient');
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET']) {
      expect(classifyError(new TransportError(code)).type).toBe('transient');
    }
  });

  it('When a formatter fails, then the failure is permanent; anything else is unknown', () => {
    expect(classifyError(new FormatError('no')).type).toBe('permanent');
    expect(classifyError(new TransportError('ERR_TLS_CERT_ALTNAME_INVALID')).type).toBe('unknown');
    expect(classifyError(new Error('surprise')).type).toBe('unknown');
  });
});

describe('parseRetryAfter', () => {
  it('When Retry-After is seconds or an HTTP date, then it becomes milliseconds, capped at 5 minutes', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('3600', now)).toBe(300_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('alertmanagerWebhookSchema', () => {
  const payload = {
    version: '4',
    groupKey: '{}:{alertname="X"}',
    status: 'firing',
    receiver: 'herald',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am:9093',
    alerts: [{ status: 'firing', labels: { alertname: 'X' }, annotations: {}, startsAt: '2026-11-22T10:00:00.123456789Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'aa' }],
  };

  it('When fields vary by Alertmanager version or are unknown, then the payload is accepted', () => {
    expect(alertmanagerWebhookSchema.validate({ ...payload, truncatedAlerts: 3, notification_reason: 'x', routeLabels: { a: 'b' }, brandNew: 1 }).error).toBeUndefined();
    const { truncatedAlerts: _omitted, ...minimal } = { ...payload, truncatedAlerts: 0 };
    expect(alertmanagerWebhookSchema.validate(minimal).error).toBeUndefined();
  });

  it('When a timestamp has nanoseconds, then it is kept exactly as sent', () => {
    expect(alertmanagerWebhookSchema.validate(payload).value.alerts[0].startsAt).toBe('2026-11-22T10:00:00.123456789Z');
  });

  it.each([
    [{ version: '3' }, 'version'],
    [{ alerts: [] }, 'alerts'],
    [{ alerts: [{ ...payload.alerts[0], status: 'pending' }] }, 'alerts.0.status'],
    [{ alerts: [{ ...payload.alerts[0], labels: {} }] }, 'alerts.0.labels'],
    [{ alerts: [{ ...payload.alerts[0], labels: { alertname: 5 } }] }, 'alerts.0.labels.alertname'],
    [{ alerts: [{ ...payload.alerts[0], startsAt: 'yesterday' }] }, 'alerts.0.startsAt'],
  ])('When %j, then validation fails at %s', (change, path) => {
    const { error } = alertmanagerWebhookSchema.validate({ ...payload, ...change });
    expect(error?.details[0]?.path.join('.')).toBe(path);
  });
});
