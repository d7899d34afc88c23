// Spike: 100 webhooks/s, a 30 s climb to 2,000/s held for 2 minutes, then back to 100/s,
// as when a network partition makes every Alertmanager fire at once. Thresholds are looser.
// A 503 from backpressure (a queue over QUEUE_MAX_DEPTH_*, or Redis unreachable) counts as
// a failed request here, although Alertmanager would simply resend it.
import http from 'k6/http';
import { check } from 'k6';
import { WEBHOOK_URL, alertmanagerWebhook, requestParams } from './lib/alertmanager.js';

export const options = {
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      startRate: 100,
      timeUnit: '1s',
      stages: [
        { target: 100, duration: '1m' },
        { target: 2000, duration: '30s' },
        { target: 2000, duration: '2m' },
        { target: 100, duration: '30s' },
        { target: 100, duration: '2m' },
      ],
      // 2,000/s at a 1 s p99 could need 2,000 requests in flight.
      preAllocatedVUs: 300,
      maxVUs: 2000,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.05'],
    http_req_duration: ['p(95)<250', 'p(99)<1000'],
  },
};

export default function () {
  const response = http.post(WEBHOOK_URL, JSON.stringify(alertmanagerWebhook()), requestParams());
  check(response, { 'webhook accepted (202)': (r) => r.status === 202 });
}
