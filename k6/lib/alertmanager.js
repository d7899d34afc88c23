// Alertmanager webhooks for the k6 scenarios. k6 runs this in its own JavaScript runtime,
// not Node: only standard JavaScript and k6's globals (__ENV, __VU) are available.

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const WEBHOOK_URL = `${BASE_URL}/api/v1/webhooks/alertmanager`;

/** The teams the load is spread over; routing in the default targets ignores them. */
export const TEAMS = ['ops', 'payments', 'platform'];

const RULES = [
  { alertname: 'HighRequestLatency', severity: 'critical', job: 'api', service: 'checkout', port: 8080, expr: 'histogram_quantile(0.99, rate(http_request_duration_seconds_bucket[5m])) > 2' },
  { alertname: 'ErrorBudgetBurn', severity: 'warning', job: 'api', service: 'search', port: 8080, expr: 'sum(rate(http_requests_total{code=~"5.."}[1h])) / sum(rate(http_requests_total[1h])) > 0.01' },
  { alertname: 'CertificateExpiresSoon', severity: 'info', job: 'blackbox', service: 'edge', port: 9115, expr: 'probe_ssl_earliest_cert_expiry - time() < 21 * 86400' },
  { alertname: 'InstanceDown', severity: 'critical', job: 'node', service: 'database', port: 9100, expr: 'up == 0' },
  { alertname: 'DiskWillFillIn4Hours', severity: 'warning', job: 'node', service: 'storage', port: 9100, expr: 'predict_linear(node_filesystem_avail_bytes[1h], 4 * 3600) < 0' },
  { alertname: 'PodRestarting', severity: 'info', job: 'kube-state-metrics', service: 'worker', port: 8080, expr: 'increase(kube_pod_container_status_restarts_total[15m]) > 3' },
];

const ZERO_TIME = '0001-01-01T00:00:00Z';

// Per VU: k6 gives every VU its own copy of this module, so (VU, counter) never repeats in a run.
let sent = 0;

function hex(value, digits) {
  return value.toString(16).padStart(digits, '0').slice(-digits);
}

/** The label (or annotation) pairs every object shares, as Alertmanager's common* fields. */
function common(objects) {
  const shared = {};
  for (const [name, value] of Object.entries(objects[0])) {
    if (objects.every((object) => object[name] === value)) shared[name] = value;
  }
  return shared;
}

/**
 * One Alertmanager v4 webhook body: a group of 1–5 alerts of one rule for one team, as
 * Alertmanager sends it with `group_by: [alertname, team]`. Successive calls take the teams in
 * turn (so with two teams each gets exactly half the alerts of every ten webhooks) and cycle
 * through critical, warning and info rules; about one alert in five is resolved. Fingerprints are
 * 16 hex characters, unique per alert: the VU number, this VU's webhook counter and the
 * alert's place in the group.
 */
export function alertmanagerWebhook(teams = TEAMS) {
  const n = sent++;
  const team = teams[n % teams.length];
  const rule = RULES[Math.floor(n / teams.length) % RULES.length];
  const now = Date.now();
  const alerts = [];
  for (let i = 0; i < 1 + (n % 5); i++) {
    const resolved = (n + i) % 5 === 4;
    const instance = `${rule.service}-${(n + i) % 20}.${team}.svc:${rule.port}`;
    alerts.push({
      status: resolved ? 'resolved' : 'firing',
      labels: { alertname: rule.alertname, severity: rule.severity, instance, job: rule.job, team, service: rule.service },
      annotations: {
        summary: `${rule.alertname} on ${instance}`,
        description: `${rule.service} (${team}) has matched \`${rule.expr}\` for more than 5 minutes.`,
        runbook_url: `https://runbooks.example.com/${rule.alertname.toLowerCase()}`,
      },
      startsAt: new Date(now - (300 + (n % 3600) + 15 * i) * 1000).toISOString(),
      // Alertmanager sends the zero time while an alert fires and the resolve time after.
      endsAt: resolved ? new Date(now).toISOString() : ZERO_TIME,
      generatorURL: `http://prometheus.example.com:9090/graph?g0.expr=${encodeURIComponent(rule.expr)}&g0.tab=1`,
      fingerprint: hex(__VU, 6) + hex(n, 9) + hex(i, 1),
    });
  }
  return {
    version: '4',
    groupKey: `{}:{alertname="${rule.alertname}", team="${team}"}`,
    truncatedAlerts: 0,
    status: alerts.some((alert) => alert.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'herald',
    groupLabels: { alertname: rule.alertname, team },
    commonLabels: common(alerts.map((alert) => alert.labels)),
    commonAnnotations: common(alerts.map((alert) => alert.annotations)),
    externalURL: 'http://alertmanager.example.com:9093',
    alerts,
  };
}

/** Request params for a webhook: JSON, and Herald's bearer token when API_TOKEN is set. */
export function requestParams() {
  const headers = { 'Content-Type': 'application/json' };
  if (__ENV.API_TOKEN) headers.Authorization = `Bearer ${__ENV.API_TOKEN}`;
  return { headers };
}
