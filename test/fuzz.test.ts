import fc from 'fast-check';
import { Harness, alertmanagerPayload, targetsFrom, testEnv } from './support/herald';

const ADMIN = 'admin-token-0123456789';

/** A JSON path in a payload, for mutations. */
type Path = (string | number)[];

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: any = Array.isArray(root) ? [...root] : typeof root === 'object' && root !== null ? { ...root } : {};
  const [head, ...rest] = path;
  copy[head as string] = setAt(copy[head as string], rest, value);
  return copy;
}

function deleteAt(root: unknown, path: Path): unknown {
  if (path.length === 0 || typeof root !== 'object' || root === null) return root;
  const copy: any = Array.isArray(root) ? [...root] : { ...root };
  const [head, ...rest] = path;
  if (rest.length === 0) delete copy[head as string];
  else copy[head as string] = deleteAt(copy[head as string], rest);
  return copy;
}

/** Values that have broken JSON APIs before: wrong types, extremes, prototype keys, odd text. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', '\u0000', 'NaN', '-1', '1e309', '2026-13-45T99:99:99Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999Z', 'true', 'null', '{}', '[]'),
  fc.constantFrom(-1, 0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1),
  fc.integer({ min: 1000, max: 300_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 50, max: 3000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown),
  fc.constantFrom('__proto__', 'constructor', 'prototype').map((key) => JSON.parse(`{"${key}": {"polluted": true}, "alertname": "x"}`) as unknown),
);

const paths: Path[] = [
  [],
  ['version'],
  ['groupKey'],
  ['status'],
  ['receiver'],
  ['truncatedAlerts'],
  ['alerts'],
  ['alerts', 0],
  ['alerts', 0, 'status'],
  ['alerts', 0, 'labels'],
  ['alerts', 0, 'labels', 'alertname'],
  ['alerts', 0, 'labels', '__proto__'],
  ['alerts', 0, 'labels', 'constructor'],
  ['alerts', 0, 'annotations'],
  ['alerts', 0, 'annotations', 'summary'],
  ['alerts', 0, 'startsAt'],
  ['alerts', 0, 'endsAt'],
  ['alerts', 0, 'fingerprint'],
  ['alerts', 0, 'generatorURL'],
  ['alerts', 1],
  ['externalURL'],
  ['__proto__'],
  ['constructor'],
];

const webhookBody: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.constantFrom(...paths), hostileValue, fc.boolean())
      .map(([path, value, remove]) => {
        const valid = alertmanagerPayload([{ labels: { alertname: 'Fuzz', severity: 'warning' } }, { labels: { alertname: 'Fuzz2' } }]);
        return JSON.stringify(remove ? deleteAt(valid, path) : setAt(valid, path, value));
      }),
  },
);

const submitBody: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc
    .tuple(fc.constantFrom<Path>([], ['labels'], ['labels', 'alertname'], ['labels', '__proto__'], ['status'], ['startsAt'], ['targets'], ['targets', 0], ['fingerprint'], ['annotations']), hostileValue)
    .map(([path, value]) => JSON.stringify(setAt({ labels: { alertname: 'Fuzz' }, targets: ['sink'] }, path, value))),
);

const queryValue = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('true', 'false', '0', '-1', '1e9', '%00', '30d', '0s', 'NaN', '[]', '__proto__'));
const queryString = fc
  .dictionary(fc.constantFrom('target', 'errorType', 'priority', 'replayed', 'limit', 'cursor', 'olderThan', 'force', 'state', '__proto__', 'x'), queryValue, { maxKeys: 5 })
  .map((params) => new URLSearchParams(params as Record<string, string>).toString());

/** One DLQ or job request with generated parts. */
const dlqRequest = fc.oneof(
  queryString.map((q) => ({ method: 'GET', path: `/api/v1/publishing/dlq?${q}` })),
  queryString.map((q) => ({ method: 'DELETE', path: `/api/v1/publishing/dlq?${q}` })),
  fc.tuple(fc.oneof(fc.uuid(), fc.string({ maxLength: 60 })), queryString).map(([id, q]) => ({ method: 'POST', path: `/api/v1/publishing/dlq/${encodeURIComponent(id)}/replay?${q}` })),
  fc.oneof(fc.uuid(), fc.string({ maxLength: 60 })).map((id) => ({ method: 'GET', path: `/api/v1/publishing/dlq/${encodeURIComponent(id)}` })),
  fc.jsonValue({ maxDepth: 3 }).map((body) => ({ method: 'POST', path: '/api/v1/publishing/dlq/replay', body: JSON.stringify(body) })),
  fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('high-x', 'low-00000000-0000-0000-0000-000000000000', '..%2F..')).map((id) => ({ method: 'GET', path: `/api/v1/publishing/jobs/${encodeURIComponent(id)}` })),
  queryString.map((q) => ({ method: 'GET', path: `/api/v1/publishing/jobs?${q}` })),
);

describe('fuzzing the API', () => {
  const harness = new Harness();
  let url: string;
  /** Answers seen, by status class, so the generators are shown to reach both acceptance and refusal. */
  const seen: Record<string, number> = {};

  beforeAll(async () => {
    const env = testEnv({ DATABASE_URL: await harness.database(), ADMIN_TOKEN: ADMIN });
    url = (await harness.api(env, targetsFrom('targets:\n  - { name: sink, type: webhook, url: "http://127.0.0.1:9/" }\n'))).url;
  });
  afterAll(() => harness.closeAll());

  /** Sends a request; fails the property on any 5xx or a 4xx without the JSON error shape. */
  async function expectNoServerError(method: string, path: string, body?: string, contentType = 'application/json'): Promise<void> {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': contentType, authorization: `Bearer ${ADMIN}` },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.text();
    seen[`${method} ${Math.floor(response.status / 100)}xx`] = (seen[`${method} ${Math.floor(response.status / 100)}xx`] ?? 0) + 1;
    if (response.status >= 500) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    if (response.status >= 400) {
      const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof parsed.error?.code !== 'string' || typeof parsed.error.message !== 'string') {
        throw new Error(`${method} ${path} answered ${response.status} without the error shape: ${text.slice(0, 300)}`);
      }
    }
  }

  it('When thousands of hostile webhook bodies arrive, then none gets a 5xx and every refusal has the error shape', async () => {
    await fc.assert(
      fc.asyncProperty(webhookBody, (body) => expectNoServerError('POST', '/api/v1/webhooks/alertmanager', body)),
      { numRuns: 2000 },
    );
    expect(seen['POST 2xx']).toBeGreaterThan(100);
    expect(seen['POST 4xx']).toBeGreaterThan(500);
  });

  it('When thousands of hostile submissions arrive, some not even declared as JSON, then none gets a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(submitBody, fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''), (body, type) =>
        expectNoServerError('POST', '/api/v1/publishing/submit', body, type),
      ),
      { numRuns: 1500 },
    );
  });

  it('When DLQ and job endpoints get generated query strings, ids and bodies, then none gets a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(dlqRequest, (request) => expectNoServerError(request.method, request.path, 'body' in request ? request.body : undefined)),
      { numRuns: 1500 },
    );
  });

  it('When the fuzzing is over, then the process is still up and its memory is bounded', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(process.memoryUsage().heapUsed).toBeLessThan(768 * 1024 * 1024);
  });
});
