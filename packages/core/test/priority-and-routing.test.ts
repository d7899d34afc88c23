import { createRouter, fingerprintOf, parseTargets, priorityOf } from '@herald/core';

describe('priorityOf', () => {
  it.each([
    ['firing', { severity: 'critical' }, 'high'],
    ['firing', { severity: 'CRITICAL' }, 'high'],
    ['resolved', { severity: 'critical' }, 'low'],
    ['firing', { severity: 'info' }, 'low'],
    ['firing', { severity: 'None' }, 'low'],
    ['firing', { severity: 'warning' }, 'medium'],
    ['firing', {}, 'medium'],
    ['resolved', {}, 'low'],
  ] as const)('When an alert is %s with labels %j, then its priority is %s', (status, labels, expected) => {
    expect(priorityOf(status, labels)).toBe(expected);
  });
});

describe('fingerprintOf', () => {
  it('When labels are the same in another order, then the fingerprint is the same 16 hex digits', () => {
    const a = fingerprintOf({ alertname: 'HighLatency', instance: 'a:9100', job: 'node' });
    const b = fingerprintOf({ job: 'node', instance: 'a:9100', alertname: 'HighLatency' });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(a).toBe(b);
  });

  it('When a label value differs, then the fingerprint differs', () => {
    expect(fingerprintOf({ alertname: 'A', job: 'x' })).not.toBe(fingerprintOf({ alertname: 'A', job: 'y' }));
  });

  it('When the label set is empty, then it is the FNV-1a 64 offset basis, as in Prometheus', () => {
    expect(fingerprintOf({})).toBe('cbf29ce484222325');
  });
});

describe('createRouter', () => {
  const router = createRouter(
    parseTargets(
      `
targets:
  - { name: all, type: webhook, url: "http://127.0.0.1:1/a" }
  - { name: ops, type: webhook, url: "http://127.0.0.1:1/b", match: { team: ops } }
  - { name: prod-db, type: webhook, url: "http://127.0.0.1:1/c", matchRe: { env: "prod|production", service: "db-.*" } }
  - { name: not-test, type: webhook, url: "http://127.0.0.1:1/d", exclude: { env: test } }
`,
      {},
    ),
  );
  const names = (labels: Record<string, string>) => router.route(labels).map((t) => t.name);

  it('When a target has no matchers, then it gets every alert', () => {
    expect(names({ alertname: 'X' })).toEqual(['all', 'not-test']);
  });

  it('When match is set, then only alerts carrying every pair reach it', () => {
    expect(names({ team: 'ops' })).toContain('ops');
    expect(names({ team: 'dev' })).not.toContain('ops');
  });

  it('When matchRe is set, then expressions are anchored at both ends', () => {
    expect(names({ env: 'prod', service: 'db-main' })).toContain('prod-db');
    expect(names({ env: 'preprod', service: 'db-main' })).not.toContain('prod-db');
    expect(names({ env: 'production', service: 'xdb-main' })).not.toContain('prod-db');
  });

  it('When exclude matches, then the target is skipped', () => {
    expect(names({ env: 'test' })).toEqual(['all']);
  });

  it('When a target is looked up by name, then it is found; unknown names are not', () => {
    expect(router.get('ops')?.type).toBe('webhook');
    expect(router.get('nope')).toBeUndefined();
  });
});
