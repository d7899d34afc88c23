// Error injection: the baseline's traffic, but alerts alternate between team "ok" and team
// "broken", and Herald runs with k6/targets.error-injection.yaml, which sends team "broken"
// to a target that refuses connections. Half of the jobs therefore fail in the workers.
// The thresholds are on the API only: intake must stay as fast and as available as in the
// baseline while the workers retry, open the breaker and park the failing target's jobs.
//
// In Grafana ("Herald" dashboard), watch:
// - Failures → Circuit breaker state: `failing` open (2) and `healthy` closed (0) throughout;
//   Breaker transitions: `failing` cycling open → half-open → open every BREAKER_OPEN_MS.
// - Failures → Parked jobs by reason: `breaker_open` for `failing`, which is what spares it
//   (and the worker slots) from some 750 doomed requests a second; Queues → Delayed grows with them.
// - Failures → DLQ writes and DLQ size: only target `failing`, error type transient: the jobs
//   that ran out of attempts before the breaker opened. A steady stream means it is not opening.
// - Throughput → Delivered by target: `healthy` keeps up with its half of the alerts.
// - Latency → Wait before first attempt: high priority stays low despite the failing half.
// - API → Status codes and Latency by route: as in the baseline run.
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import { WEBHOOK_URL, alertmanagerWebhook, requestParams } from './lib/alertmanager.js';

const accepted = new Counter('webhooks_accepted');

export const options = {
  scenarios: {
    error_injection: {
      executor: 'constant-arrival-rate',
      rate: 500,
      timeUnit: '1s',
      duration: '5m',
      preAllocatedVUs: 100,
      maxVUs: 500,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<50', 'p(99)<150'],
    webhooks_accepted: ['count>0'],
  },
};

export default function () {
  const response = http.post(WEBHOOK_URL, JSON.stringify(alertmanagerWebhook(['ok', 'broken'])), requestParams());
  if (check(response, { 'webhook accepted (202)': (r) => r.status === 202 })) accepted.add(1);
}
