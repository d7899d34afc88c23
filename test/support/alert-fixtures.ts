import type { Alert, GroupContext } from '@herald/core';

/** The group context of a real Alertmanager notification. */
export const GROUP: GroupContext = {
  receiver: 'herald',
  groupKey: '{}/{severity=~"critical|warning"}:{alertname="HighRequestLatency"}',
  externalURL: 'http://alertmanager.example.com:9093',
};

/** A critical firing alert with summary, description, runbook and dashboard, as Prometheus sends it. */
export const FIRING_CRITICAL: Alert = {
  fingerprint: 'c5b8f0e3a1d24f67',
  status: 'firing',
  labels: { alertname: 'HighRequestLatency', severity: 'critical', service: 'checkout', instance: 'checkout-7d9f:8080', job: 'api', team: 'payments' },
  annotations: {
    summary: 'p99 latency above 2s on checkout',
    description: 'checkout-7d9f:8080 has had a p99 request latency of 3.4s for the last 10 minutes.',
    runbook_url: 'https://runbooks.example.com/checkout/latency',
    dashboard_url: 'https://grafana.example.com/d/checkout',
  },
  startsAt: '2026-11-22T09:58:31.482917364Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus.example.com:9090/graph?g0.expr=histogram_quantile%280.99%2C+rate%28http_request_duration_seconds_bucket%5B5m%5D%29%29+%3E+2&g0.tab=1',
};

/** The same alert, resolved. */
export const RESOLVED_CRITICAL: Alert = { ...FIRING_CRITICAL, status: 'resolved', endsAt: '2026-11-22T10:21:04.113Z' };

/** A warning with no annotations at all and no generator URL. */
export const BARE_WARNING: Alert = {
  fingerprint: '0a1b2c3d4e5f6071',
  status: 'firing',
  labels: { alertname: 'DiskFilling', severity: 'warning', instance: 'db-2:9100', mountpoint: '/var/lib/postgresql' },
  annotations: {},
  startsAt: '2026-11-22T08:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: null,
};

/** Unicode in labels and annotations: accents, CJK, emoji, right-to-left text. */
export const UNICODE_INFO: Alert = {
  fingerprint: '7f6e5d4c3b2a1908',
  status: 'firing',
  labels: { alertname: 'Dépassement', severity: 'info', region: 'eu-ouest', site: '東京' },
  annotations: { summary: 'Température élevée 🔥 à 東京', description: 'الحرارة مرتفعة — ça chauffe' },
  startsAt: '2026-11-22T07:00:00+01:00',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus.example.com:9090/graph?g0.expr=temp',
};

/** A description far beyond every service's size limit (100,000 characters). */
export const LONG_DESCRIPTION: Alert = {
  ...FIRING_CRITICAL,
  fingerprint: 'ffffeeeeddddcccc',
  annotations: { summary: 'S'.repeat(3000), description: 'lorem ipsum dolor sit amet '.repeat(3704) },
};

export const ALL_FIXTURES = { FIRING_CRITICAL, RESOLVED_CRITICAL, BARE_WARNING, UNICODE_INFO, LONG_DESCRIPTION };
