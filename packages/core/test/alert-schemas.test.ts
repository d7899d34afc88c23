import { createAlertSchemas } from '@herald/core';

const alertmanagerWebhookSchema = createAlertSchemas({ labelsPerAlert: 100 }).webhook;

const webhook = (alert: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  version: '4',
  groupKey: '{}:{alertname="A"}',
  status: 'firing',
  receiver: 'herald',
  alerts: [{ status: 'firing', labels: { alertname: 'A' }, startsAt: '2026-11-22T10:00:00Z', ...alert }],
  ...extra,
});

/** Every error joi reports, as "path: message". */
function errorsOf(value: unknown): string[] {
  const { error } = alertmanagerWebhookSchema.validate(value, { abortEarly: false });
  return error ? error.details.map((detail) => `${detail.path.join('.')}: ${detail.message}`) : [];
}

describe('label and annotation maps in the webhook schema', () => {
  it('When labels and annotations are well formed, then the webhook is valid and the maps are kept as sent', () => {
    const labels = { alertname: 'A', severity: 'critical', __name__: 'up' };
    const { value, error } = alertmanagerWebhookSchema.validate(webhook({ labels, annotations: { 'summary text': 'x', runbook: '' } }));
    expect(error).toBeUndefined();
    expect(value.alerts[0].labels).toEqual(labels);
  });

  it.each([
    ['a label name with a dash', { labels: { 'bad-name': 'x' } }, 'alerts.0.labels.bad-name: "alerts[0].labels.bad-name" is not allowed'],
    ['a label value that is not a string', { labels: { alertname: 7 } }, 'alerts.0.labels.alertname: "alerts[0].labels.alertname" must be a string'],
    ['a label value over 8 KiB', { labels: { alertname: 'x'.repeat(8193) } }, 'alerts.0.labels.alertname: "alerts[0].labels.alertname" length must be less than or equal to 8192 characters long'],
    ['an annotation name over 256 characters', { annotations: { ['k'.repeat(257)]: 'x' } }, `alerts.0.annotations.${'k'.repeat(257)}: "alerts[0].annotations.${'k'.repeat(257)}" is not allowed`],
    ['no labels at all', { labels: {} }, 'alerts.0.labels: "alerts[0].labels" must have at least 1 key'],
  ])('When an alert has %s, then the error names that field', (_case, alert, expected) => {
    expect(errorsOf(webhook(alert))).toEqual([expected]);
  });

  it('When a group map holds a value that is not a string, then the error names it', () => {
    expect(errorsOf(webhook({}, { commonLabels: { team: null } }))).toEqual(['commonLabels.team: "commonLabels.team" must be a string']);
  });

  it('When a label is named __proto__ (as JSON.parse allows), then it is refused rather than kept', () => {
    const body = JSON.parse('{"version":"4","groupKey":"g","status":"firing","receiver":"r","alerts":[{"status":"firing","labels":{"alertname":"A","__proto__":"x"},"startsAt":"2026-11-22T10:00:00Z"}]}');
    expect(errorsOf(body)).toEqual(['alerts.0.labels.__proto__: "alerts[0].labels.__proto__" is not allowed']);
  });
});
