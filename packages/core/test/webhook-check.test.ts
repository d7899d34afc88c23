import { createAlertSchemas, createWebhookCheck } from '@herald/core';

const LIMITS = { labelsPerAlert: 8 };
const schemas = createAlertSchemas(LIMITS);
const check = createWebhookCheck(LIMITS);

/** A small deterministic generator (mulberry32), so that a failure names a seed to replay. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = Record<string, unknown>;

/** A webhook as Alertmanager sends it: firing or resolved, 1–5 alerts, optional fields present or not. */
function alertmanagerWebhook(next: () => number): Json {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const alerts = Array.from({ length: 1 + Math.floor(next() * 5) }, (_, i) => {
    const alert: Json = {
      status: pick(['firing', 'resolved']),
      labels: { alertname: `Alert${i}`, severity: pick(['critical', 'warning', 'info']), instance: `10.0.0.${i}:9100`, ...(next() < 0.3 ? { team: '' } : {}) },
      startsAt: pick(['2026-11-22T10:00:00Z', '2026-11-22T10:00:00.123456789+01:00', '2026-11-22t10:00:00z']),
    };
    if (next() < 0.8) alert.annotations = next() < 0.2 ? {} : { summary: 'disk almost full', 'runbook url': 'https://runbooks.example/disk' };
    if (next() < 0.7) alert.endsAt = pick(['0001-01-01T00:00:00Z', '2026-11-22T11:00:00Z', '', null]);
    if (next() < 0.7) alert.generatorURL = pick(['http://prometheus:9090/graph?g0.expr=up', '', null]);
    if (next() < 0.7) alert.fingerprint = pick(['6a1b2c3d4e5f6a7b', '']);
    if (next() < 0.1) alert.extraField = { nested: [1, 2] };
    return alert;
  });
  const webhook: Json = { version: '4', groupKey: '{}:{alertname="Alert0"}', status: pick(['firing', 'resolved']), receiver: pick(['herald', '']), alerts };
  if (next() < 0.7) webhook.truncatedAlerts = pick([0, 3]);
  if (next() < 0.7) webhook.groupLabels = { alertname: 'Alert0' };
  if (next() < 0.7) webhook.commonLabels = { severity: 'critical', 'odd key!': 'any key goes here' };
  if (next() < 0.7) webhook.commonAnnotations = {};
  if (next() < 0.7) webhook.externalURL = pick(['http://alertmanager:9093', '']);
  if (next() < 0.2) webhook.notification_reason = 'new_alerts';
  return webhook;
}

/** Values that are wrong somewhere, or that joi would convert: each replaces one field. */
const ODD_VALUES: readonly unknown[] = [
  undefined, null, '', ' ', 'Firing', '4', 4, -1, -0, 1.5, 2 ** 53, '3', true, [], {}, ['a'], { a: 1 }, { a: 'x' },
  'x'.repeat(41), 'x'.repeat(129), 'x'.repeat(1025), 'x'.repeat(4097), 'x'.repeat(8193),
  '2026-11-22T10:00:00', '2026-11-22 10:00:00Z', '2026-13-40T10:00:00Z', '2026-02-30T10:00:00Z', '2026-11-22T10:00:00.1234567890Z',
  { 'bad-name': 'x' }, { alertname: 7 }, { alertname: 'x'.repeat(8193) }, { ['k'.repeat(257)]: 'x' }, { 'line\nbreak': 'x' },
  Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`l${i}`, 'v'])), Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`l${i}`, 'v'])),
  JSON.parse('{"__proto__": "x"}'), JSON.parse('{"alertname": "A", "__proto__": {"polluted": "yes"}}'),
];

/** Every path to a field of `value`, objects and arrays alike. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => [[...prefix, key], ...pathsOf((value as Json)[key as string], [...prefix, key])]);
}

/** The payload with the field at `path` set to `odd` (removed, for undefined). */
function withField(payload: Json, path: (string | number)[], odd: unknown): Json {
  const copy = structuredClone(payload);
  let parent = copy as Json;
  for (const key of path.slice(0, -1)) parent = parent[key as string] as Json;
  const last = path[path.length - 1] as string;
  if (odd === undefined) delete parent[last];
  else parent[last] = structuredClone(odd);
  return copy;
}

/** joi's verdict and the check's on the same payload, each on a copy of its own (the check fills defaults in place). */
function bothOn(payload: unknown): { joi: { value: unknown; error: unknown }; fast: unknown } {
  const { value, error } = schemas.webhook.validate(structuredClone(payload));
  return { joi: { value, error: error?.message }, fast: check(structuredClone(payload)) };
}

describe('the webhook check beside joi', () => {
  it('When Alertmanager sends a well-formed webhook, then the check accepts it and returns exactly what joi does, defaults included', () => {
    const next = random(1);
    for (let i = 0; i < 500; i++) {
      const payload = alertmanagerWebhook(next);
      const { joi, fast } = bothOn(payload);
      expect({ i, error: joi.error }).toEqual({ i, error: undefined });
      expect({ i, fast }).toEqual({ i, fast: joi.value });
    }
  });

  it('When any one field is missing, of the wrong type, too long or one that joi would convert, then the check accepts only what joi accepts, as joi returns it', () => {
    const next = random(2);
    let declined = 0;
    let accepted = 0;
    for (let i = 0; i < 300; i++) {
      const payload = alertmanagerWebhook(next);
      for (const path of [[], ...pathsOf(payload)]) {
        const odd = ODD_VALUES[Math.floor(next() * ODD_VALUES.length)];
        const mutated = path.length === 0 ? odd : withField(payload, path, odd);
        const { joi, fast } = bothOn(mutated);
        if (fast === undefined) {
          declined += 1;
          continue;
        }
        accepted += 1;
        expect({ path, odd, error: joi.error }).toEqual({ path, odd, error: undefined });
        expect({ path, odd, fast }).toEqual({ path, odd, fast: joi.value });
      }
    }
    // Both kinds occurred: mutations the check refused, and harmless ones (an optional field removed) it took.
    expect(declined).toBeGreaterThan(1000);
    expect(accepted).toBeGreaterThan(1000);
  });

  it('When the check declines a payload, then it leaves it exactly as it came, for joi to judge and word the errors', () => {
    const payload = { version: '4', groupKey: 'g', status: 'firing', receiver: 'r', alerts: [{ status: 'firing', labels: { alertname: 'A' }, startsAt: '2026-11-22T10:00:00Z' }, { status: 'firing', labels: {}, startsAt: '2026-11-22T10:00:00Z' }] };
    const before = structuredClone(payload);

    expect(check(payload)).toBeUndefined();

    expect(payload).toEqual(before);
  });
});
