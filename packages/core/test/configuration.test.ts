import { ConfigError, capHeapGrowth, loadEnvConfig, parseTargets, renderTemplate } from '@herald/core';

const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/herald' };

describe('loadEnvConfig', () => {
  it('When only DATABASE_URL is set, then every default of DESIGN.md applies', () => {
    const config = loadEnvConfig(base, '/nonexistent');
    expect(config).toMatchObject({
      port: 8080,
      redisUrl: 'redis://127.0.0.1:6379',
      targetsFile: undefined,
      worker: { concurrency: 50, queues: ['high', 'medium', 'low'], metricsPort: 9464 },
      delivery: { maxAttempts: 5, backoffBaseMs: 2000, backoffMaxMs: 30000 },
      breaker: { failureThreshold: 5, openMs: 30000 },
      priorityMaxWaitMs: 30000,
      dedupTtlMs: 60000,
      queuePrefix: 'herald',
      logLevel: 'info',
      heapGrowingPercent: 100,
    });
  });

  it.each([
    [{ WORKER_CONCURRENCY: 'lots' }, 'WORKER_CONCURRENCY'],
    [{ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY'],
    [{ PORT: '70000' }, 'PORT'],
    [{ REDIS_URL: 'http://nope' }, 'REDIS_URL'],
    [{ REDIS_URL: 'redis//no-colon' }, 'REDIS_URL'],
    [{ DATABASE_URL: 'mysql://u:p@127.0.0.1/herald' }, 'DATABASE_URL'],
    [{ WORKER_QUEUES: 'high,urgent' }, 'WORKER_QUEUES'],
    [{ WORKER_QUEUES: 'low,low' }, 'WORKER_QUEUES'],
    [{ MAX_ATTEMPTS: '-1' }, 'MAX_ATTEMPTS'],
    [{ HEAP_GROWING_PERCENT: '-5' }, 'HEAP_GROWING_PERCENT'],
    [{ HEAP_GROWING_PERCENT: 'half' }, 'HEAP_GROWING_PERCENT'],
    [{ BACKOFF_BASE_MS: '5000', BACKOFF_MAX_MS: '1000' }, 'BACKOFF_BASE_MS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ API_TOKEN: 'short' }, 'API_TOKEN'],
    [{ DATABASE_URL: undefined }, 'DATABASE_URL'],
  ])('When %j, then a ConfigError names %s', (overrides, variable) => {
    const attempt = () => loadEnvConfig({ ...base, ...overrides }, '/nonexistent');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(variable);
  });

  it('When a URL is refused, then the error names the variable and the schemes it takes, never the URL, which may hold a password', () => {
    const attempt = () => loadEnvConfig({ DATABASE_URL: 'mysql://herald:s3cret-pw@db.internal/herald', REDIS_URL: 'redis://:other-s3cret@[::1' }, '/nonexistent');
    expect(attempt).toThrow('"REDIS_URL" must be a valid URL; "DATABASE_URL" must be a URL starting postgres:// or postgresql://');
    expect(attempt).not.toThrow(/s3cret|db\.internal/);
  });

  it('When DATABASE_URL names a Unix socket and REDIS_URL uses TLS, then both are taken as written', () => {
    const config = loadEnvConfig({ DATABASE_URL: 'postgresql:///herald?host=/var/run/postgresql', REDIS_URL: 'rediss://user:pw@cache.internal:6380/2' }, '/nonexistent');
    expect(config).toMatchObject({ databaseUrl: 'postgresql:///herald?host=/var/run/postgresql', redisUrl: 'rediss://user:pw@cache.internal:6380/2' });
  });

  it('When WORKER_QUEUES lists queues in another order, then that order is the priority order', () => {
    expect(loadEnvConfig({ ...base, WORKER_QUEUES: 'low, high' }, '/nonexistent').worker.queues).toEqual(['low', 'high']);
  });
});

describe('capHeapGrowth', () => {
  it('When HEAP_GROWING_PERCENT is 0, then V8 keeps its own rule', () => {
    expect(capHeapGrowth(0, [])).toBe(false);
  });

  it('When the flag is on the command line, then the command line wins', () => {
    expect(capHeapGrowth(50, ['--heap-growing-percent=200'])).toBe(false);
    expect(capHeapGrowth(50, ['--heap_growing_percent=200'])).toBe(false);
  });

  it('When neither says otherwise, then the cap is set', () => {
    expect(capHeapGrowth(50, ['--enable-source-maps'])).toBe(true);
  });
});

describe('parseTargets', () => {
  it('When a value uses ${VAR}, then it is read from the environment and the field is marked secret', () => {
    const [target] = parseTargets('targets:\n  - { name: hook, type: webhook, url: "${HOOK_URL}/x" }\n', { HOOK_URL: 'https://h.example' });
    expect(target).toMatchObject({ name: 'hook', url: 'https://h.example/x', timeoutMs: 5000, secretFields: ['url'] });
  });

  it('When a variable is not set, then the error names the target, the field and the variable', () => {
    expect(() => parseTargets('targets:\n  - { name: hook, type: webhook, url: "${MISSING}" }\n', {})).toThrow(
      'targets[0] (hook).url: environment variable MISSING is not set',
    );
  });

  it.each([
    ['targets:\n  - { name: Bad_Name, type: webhook, url: "http://x" }\n', 'targets[0] (Bad_Name).name'],
    ['targets:\n  - { name: a, type: carrier-pigeon, url: "http://x" }\n', 'targets[0] (a).type must be one of'],
    ['targets:\n  - { name: a, type: webhook, url: "ftp://x" }\n', 'targets[0] (a).url'],
    ['targets:\n  - { name: a, type: webhook, url: "hooks.example/x" }\n', 'targets[0] (a).url: "url" must be a valid URL'],
    ['targets:\n  - { name: a, type: webhook, url: "http://x", timeoutMs: 5 }\n', 'targets[0] (a).timeoutMs'],
    ['targets:\n  - { name: a, type: webhook, url: "http://x", matchRe: { env: "(" } }\n', 'targets[0] (a).matchRe.env'],
    ['targets:\n  - { name: a, type: webhook, url: "http://x", colour: red }\n', 'targets[0] (a).colour'],
    ['targets:\n  - { name: a, type: webhook, url: "http://x" }\n  - { name: a, type: webhook, url: "http://y" }\n', 'used twice'],
    ['targets: [unclosed\n', 'invalid YAML'],
    ['targets:\n  - { name: a, type: webhook, url: "http://x", title: "{{ labels.alertname" }\n', 'targets[0] (a).title'],
    ['targets:\n  - { name: a, type: webhook, url: "http://x", text: "{{ secrets.token }}" }\n', 'targets[0] (a).text'],
    ['targets:\n  - { name: a, type: pagerduty, routingKey: "short" }\n', 'targets[0] (a).routingKey'],
    ['targets:\n  - { name: a, type: slack, url: "http://x", rateLimit: { max: 0, perMs: 1000 } }\n', 'targets[0] (a).rateLimit.max'],
    ['targets:\n  - { name: a, type: slack, url: "http://x", rateLimit: { max: 2, perMs: 100 } }\n', 'targets[0] (a).rateLimit.perMs: "perMs" must be at least 1000 (a second)'],
    ['hooks: []\n', 'top-level "targets:"'],
  ])('When the file is wrong (%#), then the error says %s', (yaml, message) => {
    expect(() => parseTargets(yaml, {})).toThrow(message);
  });

  it('When a target sets no rate limit, then its service\'s published limit applies; its own wins when set', () => {
    const [slack, pd, hook, own] = parseTargets(
      `targets:
  - { name: s, type: slack, url: "https://hooks.slack.com/services/T/B/X" }
  - { name: p, type: pagerduty, routingKey: "0123456789abcdef0123456789abcdef" }
  - { name: w, type: webhook, url: "http://x" }
  - { name: o, type: slack, url: "https://hooks.slack.com/services/T/B/Y", rateLimit: { max: 10, perMs: 60000 } }
`,
      {},
    );
    expect(slack!.rateLimit).toEqual({ max: 1, perMs: 1000 });
    expect(pd).toMatchObject({ rateLimit: { max: 120, perMs: 60_000 }, url: 'https://events.pagerduty.com/v2/enqueue' });
    expect(hook!.rateLimit).toBeUndefined();
    expect(own!.rateLimit).toEqual({ max: 10, perMs: 60_000 });
  });

  it('When a template names fields, then it renders them, missing ones as nothing', () => {
    const [target] = parseTargets('targets:\n  - { name: a, type: webhook, url: "http://x", title: "{{ labels.alertname }} on {{labels.instance}} ({{ status }}){{ annotations.none }}" }\n', {});
    const alert = { fingerprint: 'f', status: 'firing' as const, labels: { alertname: 'Down', instance: 'db-1' }, annotations: {}, startsAt: '2026-01-01T00:00:00Z', endsAt: null, generatorURL: null };
    expect(renderTemplate(target!.title!, alert)).toBe('Down on db-1 (firing)');
  });

  it('When the file is empty or lists no targets, then there are none (metrics-only mode)', () => {
    expect(parseTargets('', {})).toEqual([]);
    expect(parseTargets('targets:\n', {})).toEqual([]);
  });
});
