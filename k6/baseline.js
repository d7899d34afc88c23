// Baseline: a steady 500 webhooks/s (1–5 alerts each, about 1,500 alerts/s) for 5 minutes.
// The API must keep p95 under 50 ms and p99 under 150 ms with under 1 % failed requests.
import http from 'k6/http';
import { check } from 'k6';
import { WEBHOOK_URL, alertmanagerWebhook, requestParams } from './lib/alertmanager.js';

export const options = {
  scenarios: {
    baseline: {
      executor: 'constant-arrival-rate',
      rate: 500,
      timeUnit: '1s',
      duration: '5m',
      // 500/s at a 150 ms p99 keeps about 75 requests in flight; maxVUs leaves room for stalls.
      preAllocatedVUs: 100,
      maxVUs: 500,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<50', 'p(99)<150'],
    checks: ['rate>0.99'],
  },
};

export default function () {
  const response = http.post(WEBHOOK_URL, JSON.stringify(alertmanagerWebhook()), requestParams());
  check(response, { 'webhook accepted (202)': (r) => r.status === 202 });
}
