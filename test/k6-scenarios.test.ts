import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import vm from 'node:vm';
import { parseTargets } from '@herald/core';
import { Harness, ROOT, targetsFrom, testEnv } from './support/herald';

/**
 * k6 cannot run here, so each scenario is loaded the way k6 would load it, with k6's own
 * modules stubbed: its requests are recorded, then sent to a real Herald API.
 */

const K6 = join(ROOT, 'k6');

interface RecordedRequest {
  readonly url: string;
  readonly body: string;
  readonly params: { headers: Record<string, string> };
}

interface K6Run {
  readonly requests: RecordedRequest[];
  /** Every `check` outcome, by check name. */
  readonly checks: { name: string; passed: boolean }[];
  /** Every `Counter` add, by metric name. */
  readonly counters: Record<string, number>;
  /** The scenario's exports. */
  readonly exports: Record<string, unknown>;
  /** Runs the default function `times` times as VU 1, as successive iterations. */
  iterate(times: number): void;
}

interface Scenario {
  readonly executor: string;
  readonly rate?: number;
  readonly startRate?: number;
  readonly timeUnit: string;
  readonly duration?: string;
  readonly stages?: { target: number; duration: string }[];
  readonly preAllocatedVUs: number;
  readonly maxVUs: number;
}

/**
 * Loads `file` into a fresh context, as one k6 VU: ES module syntax is rewritten, line by
 * line, into calls on a tiny module loader. Only the forms the scenarios use are accepted;
 * any other `import` or `export` fails the load, as would any Node API (there is none).
 */
function loadK6Script(file: string, env: Record<string, string>): K6Run {
  const requests: RecordedRequest[] = [];
  const checks: { name: string; passed: boolean }[] = [];
  const counters: Record<string, number> = {};
  const k6Modules: Record<string, Record<string, unknown>> = {
    'k6/http': {
      default: {
        post(url: string, body: string, params: RecordedRequest['params']) {
          requests.push({ url, body, params });
          return { status: 202, body: '{}' };
        },
      },
    },
    k6: {
      check(value: unknown, sets: Record<string, (value: unknown) => boolean>) {
        let all = true;
        for (const [name, predicate] of Object.entries(sets)) {
          const passed = predicate(value) === true;
          checks.push({ name, passed });
          all &&= passed;
        }
        return all;
      },
      sleep() {},
    },
    'k6/metrics': {
      Counter: class {
        constructor(private readonly name: string) {
          counters[name] = 0;
        }
        add(value: number) {
          counters[this.name]! += value;
        }
      },
    },
  };
  const context = vm.createContext({ __ENV: { ...env }, __VU: 1, __ITER: 0, console });
  const loaded = new Map<string, Record<string, unknown>>();

  function load(path: string): Record<string, unknown> {
    const cached = loaded.get(path);
    if (cached) return cached;
    const exports: Record<string, unknown> = {};
    loaded.set(path, exports);
    const where = relative(ROOT, path);
    const exported: string[] = [];
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .map((line, i) => {
        let match: RegExpMatchArray | null;
        if ((match = line.match(/^import (\w+) from '([^']+)';$/))) return `const ${match[1]} = __import(${JSON.stringify(match[2])}, ['default']).default;`;
        if ((match = line.match(/^import \{ ([\w, ]+) \} from '([^']+)';$/))) {
          const names = match[1]!.split(', ');
          return `const { ${names.join(', ')} } = __import(${JSON.stringify(match[2])}, ${JSON.stringify(names)});`;
        }
        if ((match = line.match(/^export (const|function) (\w+)\b(.*)$/))) {
          exported.push(match[2]!);
          return `${match[1]} ${match[2]}${match[3]}`;
        }
        if ((match = line.match(/^export default function (\(.*)$/))) {
          exported.push('default');
          return `function __default${match[1]}`;
        }
        if (/^\s*(import|export)\b/.test(line)) throw new Error(`${where}:${i + 1}: this loader does not understand "${line.trim()}"`);
        return line;
      });
    const assignments = exported.map((name) => `__exports[${JSON.stringify(name)}] = ${name === 'default' ? '__default' : name};`);
    const source = `(function (__import, __exports) { 'use strict';\n${lines.join('\n')}\n${assignments.join(' ')}\n})`;
    const moduleFunction = new vm.Script(source, { filename: path, lineOffset: -1 }).runInContext(context) as (
      importer: (specifier: string, names: string[]) => Record<string, unknown>,
      exports: Record<string, unknown>,
    ) => void;
    moduleFunction((specifier, names) => {
      const target = specifier.startsWith('./') || specifier.startsWith('../') ? load(resolve(dirname(path), specifier)) : k6Modules[specifier];
      if (!target) throw new Error(`${where}: imports "${specifier}", which is neither a stubbed k6 module nor a relative file`);
      const missing = names.filter((name) => !(name in target));
      if (missing.length > 0) throw new Error(`${where}: "${specifier}" does not export ${missing.join(', ')}`);
      return target;
    }, exports);
    return exports;
  }

  const exports = load(file);
  return {
    requests,
    checks,
    counters,
    exports,
    iterate(times) {
      const run = exports.default as () => void;
      for (let i = 0; i < times; i++) {
        context.__ITER = i;
        run();
      }
    },
  };
}

interface Expectation {
  readonly file: string;
  readonly executor: string;
  /** As written in the README's table. */
  readonly rate: string;
  readonly duration: string;
  readonly failed: string;
  readonly p95: string;
  readonly p99: string;
}

const EXPECTED: Expectation[] = [
  { file: 'baseline.js', executor: 'constant-arrival-rate', rate: '500/s', duration: '5m', failed: 'rate<0.01', p95: 'p(95)<50', p99: 'p(99)<150' },
  { file: 'spike.js', executor: 'ramping-arrival-rate', rate: '100 → 2000 → 100/s', duration: '6m', failed: 'rate<0.05', p95: 'p(95)<250', p99: 'p(99)<1000' },
  { file: 'soak.js', executor: 'constant-arrival-rate', rate: '500/s', duration: '1h', failed: 'rate<0.01', p95: 'p(95)<50', p99: 'p(99)<150' },
  { file: 'error-injection.js', executor: 'constant-arrival-rate', rate: '500/s', duration: '5m', failed: 'rate<0.01', p95: 'p(95)<50', p99: 'p(99)<150' },
];

/** The README's table row for a scenario, as cells. */
function readmeRow(file: string): string[] {
  const line = readFileSync(join(K6, 'README.md'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`| \`${file}\``));
  if (!line) throw new Error(`k6/README.md has no table row for ${file}`);
  return line.split('|').slice(1, -1).map((cell) => cell.trim());
}

/** A scenario's rate and total duration, in the README's notation. */
function describeScenario(scenario: Scenario): { rate: string; duration: string } {
  expect(scenario.timeUnit).toBe('1s');
  if (scenario.executor === 'constant-arrival-rate') return { rate: `${scenario.rate}/s`, duration: scenario.duration! };
  const targets = scenario.stages!.map((stage) => stage.target);
  const seconds = scenario.stages!.reduce((sum, stage) => sum + Number(stage.duration.slice(0, -1)) * (stage.duration.endsWith('m') ? 60 : 1), 0);
  return { rate: `${scenario.startRate} → ${Math.max(...targets)} → ${targets.at(-1)}/s`, duration: `${seconds / 60}m` };
}

const webhookPath = '/api/v1/webhooks/alertmanager';

/** Sends a recorded k6 request to Herald exactly as k6 would: its URL, headers and body. */
async function replay(request: RecordedRequest): Promise<{ status: number; body: any }> {
  const response = await fetch(request.url, { method: 'POST', headers: request.params.headers, body: request.body });
  return { status: response.status, body: await response.json() };
}

describe('the k6 scenarios', () => {
  const harness = new Harness();
  afterAll(() => harness.closeAll());
  let url: string;
  beforeAll(async () => {
    url = (await harness.api(testEnv(), targetsFrom('targets:\n  - { name: sink, type: webhook, url: "http://127.0.0.1:9/" }\n'))).url;
  });

  describe.each(EXPECTED)('$file', (expected) => {
    it('When loaded, then it has one arrival-rate scenario and the thresholds the README documents', () => {
      const { options } = loadK6Script(join(K6, expected.file), {}).exports as { options: { scenarios: Record<string, Scenario>; thresholds: Record<string, string[]> } };
      const scenarios = Object.values(options.scenarios);
      expect(scenarios).toHaveLength(1);
      const scenario = scenarios[0]!;
      expect(scenario.executor).toBe(expected.executor);
      expect(describeScenario(scenario)).toEqual({ rate: expected.rate, duration: expected.duration });
      expect(scenario.preAllocatedVUs).toBeGreaterThan(0);
      expect(scenario.maxVUs).toBeGreaterThanOrEqual(scenario.preAllocatedVUs);
      expect(options.thresholds.http_req_failed).toEqual([expected.failed]);
      expect(options.thresholds.http_req_duration).toEqual([expected.p95, expected.p99]);

      const [, executor, rate, duration, thresholds] = readmeRow(expected.file);
      expect({ executor, rate, duration }).toEqual({ executor: `\`${expected.executor}\``, rate: expected.rate, duration: expected.duration });
      for (const threshold of [expected.failed, expected.p95, expected.p99]) expect(thresholds).toContain(`\`${threshold}\``);
    });

    it('When its default function runs, then every webhook it posts is accepted by a real Herald API with 202', async () => {
      const run = loadK6Script(join(K6, expected.file), { BASE_URL: url });
      run.iterate(10);
      expect(run.requests).toHaveLength(10);
      for (const request of run.requests) {
        expect(request.url).toBe(`${url}${webhookPath}`);
        const response = await replay(request);
        expect(response).toEqual({ status: 202, body: expect.objectContaining({ alerts: JSON.parse(request.body).alerts.length }) });
      }
      expect(run.checks).toHaveLength(10);
      expect(run.checks.every((c) => c.passed)).toBe(true);
    });
  });

  it('When BASE_URL is unset, then the scenarios post to the API of `npm start`', () => {
    const run = loadK6Script(join(K6, 'baseline.js'), {});
    run.iterate(1);
    expect(run.requests[0]!.url).toBe(`http://127.0.0.1:8080${webhookPath}`);
  });

  it('When webhooks are built, then they mix severities and resolved alerts and every fingerprint is unique', () => {
    const run = loadK6Script(join(K6, 'baseline.js'), { BASE_URL: url });
    run.iterate(20);
    const bodies = run.requests.map((request) => JSON.parse(request.body));
    const alerts = bodies.flatMap((body) => body.alerts);
    expect(new Set(bodies.map((body) => body.alerts.length))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(new Set(alerts.map((alert) => alert.labels.severity))).toEqual(new Set(['critical', 'warning', 'info']));
    expect(alerts.filter((alert) => alert.status === 'resolved').length).toBeGreaterThan(0);
    expect(alerts.filter((alert) => alert.status === 'firing').length).toBeGreaterThan(alerts.length / 2);
    for (const alert of alerts) {
      expect(alert.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(Object.keys(alert.labels).sort()).toEqual(['alertname', 'instance', 'job', 'service', 'severity', 'team']);
      expect(Object.keys(alert.annotations).sort()).toEqual(['description', 'runbook_url', 'summary']);
      expect(alert.endsAt === '0001-01-01T00:00:00Z').toBe(alert.status === 'firing');
    }
    expect(new Set(alerts.map((alert) => alert.fingerprint)).size).toBe(alerts.length);
  });

  describe('with API_TOKEN set', () => {
    const token = 'k6-token-0123456789abcdef';
    let secured: string;
    beforeAll(async () => {
      secured = (await harness.api(testEnv({ API_TOKEN: token }), targetsFrom('targets:\n  - { name: sink, type: webhook, url: "http://127.0.0.1:9/" }\n'))).url;
    });

    it('When k6 is given the same API_TOKEN, then it sends it as a bearer token and the webhook is accepted', async () => {
      const run = loadK6Script(join(K6, 'baseline.js'), { BASE_URL: secured, API_TOKEN: token });
      run.iterate(1);
      expect(run.requests[0]!.params.headers.Authorization).toBe(`Bearer ${token}`);
      expect((await replay(run.requests[0]!)).status).toBe(202);
    });

    it('When k6 is not given the token, then it sends no Authorization header and Herald answers 401', async () => {
      const run = loadK6Script(join(K6, 'baseline.js'), { BASE_URL: secured });
      run.iterate(1);
      expect(run.requests[0]!.params.headers).not.toHaveProperty('Authorization');
      expect((await replay(run.requests[0]!)).status).toBe(401);
    });
  });

  describe('error injection', () => {
    const targetsYaml = readFileSync(join(K6, 'targets.error-injection.yaml'), 'utf8');

    it('When its targets file is parsed, then it has a healthy and a failing webhook target split by team', () => {
      const targets = parseTargets(targetsYaml, {});
      expect(targets.map((t) => ({ name: t.name, type: t.type, match: t.match }))).toEqual([
        { name: 'healthy', type: 'webhook', match: { team: 'ok' } },
        { name: 'failing', type: 'webhook', match: { team: 'broken' } },
      ]);
    });

    it('When its webhooks reach an API with that targets file, then half the jobs go to each target, none unrouted, and each 202 is counted', async () => {
      const injected = (await harness.api(testEnv(), parseTargets(targetsYaml, {}))).url;
      const run = loadK6Script(join(K6, 'error-injection.js'), { BASE_URL: injected });
      run.iterate(10);
      const jobs: Record<string, number> = { healthy: 0, failing: 0 };
      for (const request of run.requests) {
        const response = await replay(request);
        expect(response.status).toBe(202);
        expect(response.body.unrouted).toEqual([]);
        for (const job of response.body.jobs as { target: string }[]) jobs[job.target]! += 1;
      }
      expect(jobs.healthy).toBeGreaterThan(0);
      expect(jobs.healthy).toBe(jobs.failing);
      expect(run.counters).toEqual({ webhooks_accepted: 10 });
    });
  });
});
