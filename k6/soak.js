// Soak: the baseline's 500 webhooks/s held for an hour, to surface leaks and slow drift
// (memory, Redis growth, event-loop lag) that five minutes cannot show. Same thresholds.
import http from 'k6/http';
import { check } from 'k6';
import { WEBHOOK_URL, alertmanagerWebhook, requestParams } from './lib/alertmanager.js';

export const options = {
  scenarios: {
    soak: {
      executor: 'constant-arrival-rate',
      rate: 500,
      timeUnit: '1s',
      duration: '1h',
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
