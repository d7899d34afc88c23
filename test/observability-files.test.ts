import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { createApiMetrics, createWorkerMetrics } from '@herald/core';
import { registerDeadLetterGauge, registerQueueDepthGauge } from '../apps/api/src/scrape-gauges';

/**
 * The dashboard, the alerting rules and the operations guide are checked against the code:
 * every metric and label they query is one the API or a worker registers, every PromQL
 * expression parses with Prometheus's own grammar, and every runbook link lands on a heading.
 */

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const SEVERITIES = ['critical', 'warning', 'info'];
const HISTOGRAM_SUFFIXES = ['_bucket', '_count', '_sum'];
/** Labels Prometheus attaches to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];
/** Series Prometheus makes itself, which rules (not the dashboard) may use. */
const PROMETHEUS_SERIES = ['up'];
/** Stand-ins for Grafana's variables, so that dashboard queries are plain PromQL. */
const GRAFANA_SAMPLES: Record<string, string> = {
  priority: 'high',
  target: 'ops-webhook',
  __rate_interval: '1m',
  __interval: '30s',
  __range: '1h',
};

interface RegisteredMetric {
  readonly histogram: boolean;
  readonly labels: readonly string[];
}

/** Every metric the API and a worker register, read from the code that registers them. */
function registeredMetrics(): Map<string, RegisteredMetric> {
  const api = new Registry();
  createApiMetrics(api);
  // Their collect functions (which would use these) run only when metrics are scraped.
  registerQueueDepthGauge(api, {} as never);
  registerDeadLetterGauge(api, {} as never);
  const worker = new Registry();
  createWorkerMetrics(worker);

  const metrics = new Map<string, RegisteredMetric>();
  for (const metric of [...api.getMetricsAsArray(), ...worker.getMetricsAsArray()]) {
    const labelNames: unknown = (metric as unknown as { labelNames?: unknown }).labelNames;
    const labels = Array.isArray(labelNames) ? labelNames.map(String) : [];
    const known = metrics.get(metric.name);
    // By type, not class: the worker's delivery histograms are BoundHistograms.
    const histogram = (metric as unknown as { type?: string }).type === 'histogram';
    metrics.set(metric.name, { histogram, labels: [...new Set([...(known?.labels ?? []), ...labels])] });
  }
  return metrics;
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

function descendants(node: SyntaxNode, name: string): SyntaxNode[] {
  return children(node).flatMap((child) => [...(child.name === name ? [child] : []), ...descendants(child, name)]);
}

interface Selector {
  readonly metric: string;
  readonly labels: readonly string[];
}

interface ParsedExpr {
  readonly errors: readonly string[];
  readonly selectors: readonly Selector[];
  /** Labels of each `by (…)` clause, with the selectors it aggregates. */
  readonly groupings: readonly { readonly labels: readonly string[]; readonly selectors: readonly Selector[] }[];
}

/** Parses with the Prometheus Lezer grammar: syntax errors, metric selectors and `by` labels. */
function parsePromQL(expr: string): ParsedExpr {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.from + 20)}…`);
    },
  });
  const text = (node: SyntaxNode) => expr.slice(node.from, node.to);
  const selectorOf = (node: SyntaxNode): Selector | null => {
    const identifier = children(node).find((child) => child.name === 'Identifier');
    if (!identifier) return null;
    return { metric: text(identifier), labels: descendants(node, 'LabelMatchers').flatMap((m) => descendants(m, 'LabelName')).map(text) };
  };
  const selectorsIn = (node: SyntaxNode) =>
    descendants(node, 'VectorSelector')
      .map(selectorOf)
      .filter((s): s is Selector => s !== null);

  const top = tree.topNode;
  const groupings = descendants(top, 'AggregateExpr').flatMap((aggregate) =>
    children(aggregate)
      .filter((child) => child.name === 'AggregateModifier' && child.getChild('By'))
      .map((modifier) => ({ labels: descendants(modifier, 'LabelName').map(text), selectors: selectorsIn(aggregate) })),
  );
  return { errors, selectors: selectorsIn(top), groupings };
}

/**
 * What is wrong with an expression's use of metrics: unknown names, label matchers on labels
 * the metric does not have, and `by` labels that none of the aggregated metrics carry.
 */
function metricProblems(expr: string, registered: Map<string, RegisteredMetric>, extraSeries: readonly string[]): string[] {
  const parsed = parsePromQL(expr);
  const problems = [...parsed.errors];
  const labelsOf = (name: string): readonly string[] | null => {
    if (extraSeries.includes(name)) return [];
    const direct = registered.get(name);
    if (direct) return [...direct.labels, ...TARGET_LABELS];
    for (const suffix of HISTOGRAM_SUFFIXES) {
      const base = name.endsWith(suffix) ? registered.get(name.slice(0, -suffix.length)) : undefined;
      if (base?.histogram) return [...base.labels, ...TARGET_LABELS, ...(suffix === '_bucket' ? ['le'] : [])];
    }
    return null;
  };
  if (parsed.selectors.length === 0) problems.push('selects no metric');
  for (const { metric, labels } of parsed.selectors) {
    const known = labelsOf(metric);
    if (!known) {
      problems.push(`${metric} is not registered by the API or the worker`);
      continue;
    }
    if (extraSeries.includes(metric)) continue;
    for (const label of labels) if (!known.includes(label)) problems.push(`${metric} has no label "${label}"`);
  }
  for (const { labels, selectors } of parsed.groupings) {
    const available = new Set(selectors.flatMap(({ metric }) => (extraSeries.includes(metric) ? TARGET_LABELS : (labelsOf(metric) ?? []))));
    for (const label of labels) if (!available.has(label)) problems.push(`by (${label}) groups on a label none of ${selectors.map((s) => s.metric).join(', ')} has`);
  }
  return problems;
}

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

function loadRules(): Rule[] {
  const file = parse(read('prometheus/alerts.yml')) as { groups: { name: string; rules: Rule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

interface Panel {
  readonly id?: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { type?: string; uid?: string } | string | null;
  readonly targets?: { expr?: string; datasource?: { uid?: string } | null }[];
  readonly panels?: Panel[];
}

interface TemplateVariable {
  readonly name: string;
  readonly type: string;
  readonly query: string | { query?: string };
  readonly multi?: boolean;
  readonly includeAll?: boolean;
  readonly datasource?: { uid?: string } | null;
}

interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly panels: Panel[];
  readonly templating: { list: TemplateVariable[] };
}

function loadDashboard(): Dashboard {
  return JSON.parse(read('grafana/dashboards/herald.json')) as Dashboard;
}

/** Every panel, including those folded inside collapsed rows. */
function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

function panelExprs(dashboard: Dashboard): { where: string; expr: string }[] {
  return allPanels(dashboard).flatMap((panel) => (panel.targets ?? []).filter((t) => t.expr).map((t) => ({ where: `panel "${panel.title}"`, expr: t.expr! })));
}

function variableQuery(variable: TemplateVariable): string {
  return typeof variable.query === 'string' ? variable.query : (variable.query.query ?? '');
}

/** Replaces Grafana's `$name`, `${name}` and `${name:format}` with sample values. */
function substituteGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{([A-Za-z_]\w*)(?::[^}]*)?\}|\$([A-Za-z_]\w*)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const value = GRAFANA_SAMPLES[(braced ?? bare)!];
    if (value === undefined) throw new Error(`unknown Grafana variable ${whole} in: ${expr}`);
    return value;
  });
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to dashes, repeats numbered. */
function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function onPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not in this directory
    }
  }
  return null;
}

describe('observability files', () => {
  const registered = registeredMetrics();
  const rules = loadRules();
  const dashboard = loadDashboard();
  const operations = read('docs/operations.md');

  it('When the registries are read, then they hold the metrics the dashboard and rules are built on', () => {
    for (const name of ['herald_queue_jobs', 'herald_dlq_entries', 'herald_jobs_enqueued_total', 'herald_jobs_completed_total', 'herald_breaker_state', 'process_cpu_seconds_total']) {
      expect(registered.has(name)).toBe(true);
    }
    expect(registered.get('herald_job_wait_seconds')).toEqual({ histogram: true, labels: expect.arrayContaining(['priority']) });
    expect(registered.get('herald_queue_jobs')).toEqual({ histogram: false, labels: expect.arrayContaining(['queue', 'state']) });
  });

  it('When a broken or unknown expression is checked, then the checker says so', () => {
    expect(parsePromQL('sum(rate(herald_jobs_completed_total[5m])').errors).not.toEqual([]);
    expect(parsePromQL('max by (queue) (herald_queue_jobs) >').errors).not.toEqual([]);
    expect(metricProblems('sum(rate(herald_jobs_delivered_total[5m]))', registered, [])).toEqual([
      'herald_jobs_delivered_total is not registered by the API or the worker',
    ]);
    expect(metricProblems('herald_queue_jobs{priority="high"}', registered, [])).toEqual(['herald_queue_jobs has no label "priority"']);
    expect(metricProblems('sum by (queue) (rate(herald_jobs_enqueued_total[5m]))', registered, [])).toEqual([
      'by (queue) groups on a label none of herald_jobs_enqueued_total has',
    ]);
    expect(metricProblems('histogram_quantile(0.9, sum by (le, priority) (rate(herald_job_e2e_seconds_bucket[5m])))', registered, [])).toEqual([]);
    expect(metricProblems('up{job="herald-api"} == 0', registered, [])).toEqual(['up is not registered by the API or the worker']);
    expect(metricProblems('up{job="herald-api"} == 0', registered, PROMETHEUS_SERIES)).toEqual([]);
  });

  describe('alerting rules (prometheus/alerts.yml)', () => {
    it('When the rules are read, then there are at least 12 of them, uniquely named, each with a for: duration', () => {
      expect(rules.length).toBeGreaterThanOrEqual(12);
      expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
      expect(rules.filter((rule) => !/^\d+[smh]$/.test(rule.for ?? '')).map((rule) => rule.alert)).toEqual([]);
    });

    it('When each rule is read, then it has a severity and a summary, description and runbook', () => {
      const problems = rules.flatMap((rule) => [
        ...(SEVERITIES.includes(rule.labels?.severity ?? '') ? [] : [`${rule.alert}: severity ${rule.labels?.severity} is not one of ${SEVERITIES.join(', ')}`]),
        ...['summary', 'description', 'runbook'].filter((key) => !rule.annotations?.[key]?.trim()).map((key) => `${rule.alert}: no ${key} annotation`),
      ]);
      expect(problems).toEqual([]);
    });

    it('When each runbook link is followed, then it lands on its own heading of docs/operations.md', () => {
      const anchors = markdownAnchors(operations);
      const targets = rules.map((rule) => {
        const match = /(?:^|\/)docs\/operations\.md#([\w-]+)$/.exec(rule.annotations?.runbook ?? '');
        return { alert: rule.alert, anchor: match?.[1] ?? null, exists: match ? anchors.has(match[1]!) : false };
      });
      expect(targets.filter((t) => !t.exists)).toEqual([]);
      expect(new Set(targets.map((t) => t.anchor)).size).toBe(rules.length);
    });

    it('When each expression is parsed with the Prometheus grammar, then it is valid PromQL over registered metrics and labels', () => {
      const problems = rules.flatMap((rule) => metricProblems(rule.expr, registered, PROMETHEUS_SERIES).map((p) => `${rule.alert}: ${p}`));
      expect(problems).toEqual([]);
    });
  });

  describe('dashboard (grafana/dashboards/herald.json)', () => {
    it('When the dashboard is read, then it is "Herald" (uid herald) with the rows operators look for', () => {
      expect({ uid: dashboard.uid, title: dashboard.title }).toEqual({ uid: 'herald', title: 'Herald' });
      const rows = allPanels(dashboard).filter((p) => p.type === 'row').map((p) => p.title);
      expect(rows).toEqual(expect.arrayContaining(['Queues', 'Throughput', 'Latency', 'Failures', 'API']));
      expect(allPanels(dashboard).some((p) => p.type === 'stat' && /mode/i.test(p.title))).toBe(true);
      const ids = allPanels(dashboard).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('When a panel has queries, then it and each query use the datasource uid prometheus or inherit it', () => {
      const wrong = allPanels(dashboard)
        .filter((panel) => panel.targets?.length)
        .flatMap((panel) => {
          const uidOf = (ds: Panel['datasource']) => (ds == null ? null : typeof ds === 'string' ? ds : (ds.uid ?? null));
          const panelUid = uidOf(panel.datasource);
          const targetUids = panel.targets!.map((t) => uidOf(t.datasource) ?? panelUid);
          return [panelUid, ...targetUids].filter((uid) => uid !== null && uid !== 'prometheus').map((uid) => `${panel.title}: ${uid}`);
        });
      expect(wrong).toEqual([]);
      const datasources = parse(read('grafana/provisioning/datasources/prometheus.yaml')) as { datasources: Record<string, unknown>[] };
      // Panels without a datasource fall back to the default one: it must be this one.
      expect(datasources.datasources).toEqual([
        expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090', isDefault: true }),
      ]);
      const providers = parse(read('grafana/provisioning/dashboards/herald.yaml')) as { providers: Record<string, unknown>[] };
      expect(providers.providers).toEqual([expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }) })]);
    });

    it('When the template variables are read, then priority and target are multi-value with All, and queries use both', () => {
      const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
      const priority = variables.get('priority');
      const target = variables.get('target');
      expect(priority).toMatchObject({ type: 'custom', multi: true, includeAll: true });
      expect(variableQuery(priority!).split(',').map((s) => s.trim())).toEqual(['high', 'medium', 'low']);
      expect(target).toMatchObject({ type: 'query', multi: true, includeAll: true, datasource: { uid: 'prometheus' } });
      expect(variableQuery(target!)).toMatch(/^label_values\(\s*\w+\s*,\s*target\s*\)$/);

      const exprs = panelExprs(dashboard).map((e) => e.expr);
      expect(exprs.filter((e) => /\$\{?priority\b/.test(e)).length).toBeGreaterThan(0);
      expect(exprs.filter((e) => /\$\{?target\b/.test(e)).length).toBeGreaterThan(0);
    });

    it('When every panel query and variable query is parsed with the Prometheus grammar, then it is valid PromQL over registered metrics and labels', () => {
      const exprs = panelExprs(dashboard);
      expect(exprs.length).toBeGreaterThan(20);
      const problems = exprs.flatMap(({ where, expr }) => metricProblems(substituteGrafanaVariables(expr), registered, []).map((p) => `${where}: ${p}`));

      for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
        const query = variableQuery(variable);
        const labelValues = /^label_values\((.+),\s*(\w+)\s*\)$/.exec(query);
        if (!labelValues) {
          problems.push(`variable ${variable.name}: not a label_values(selector, label) query: ${query}`);
          continue;
        }
        const [, selector, label] = labelValues;
        problems.push(...metricProblems(`${selector!}{${label!}!=""}`, registered, []).map((p) => `variable ${variable.name}: ${p}`));
      }
      expect(problems).toEqual([]);
    });
  });

  describe('operations guide (docs/operations.md)', () => {
    it('When a link inside the guide points at a section, then that section exists', () => {
      const anchors = markdownAnchors(operations);
      const links = [...operations.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
      expect(links.length).toBeGreaterThan(0);
      expect(links.filter((anchor) => !anchors.has(anchor))).toEqual([]);
    });

    it('When the guide is read, then it covers scaling, replay, the dashboard, Redis durability and the runbook', () => {
      const anchors = markdownAnchors(operations);
      for (const section of ['scaling-workers', 'replaying-the-dead-letter-queue', 'reading-the-dashboard', 'redis-durability', 'runbook']) {
        expect({ section, exists: anchors.has(section) }).toEqual({ section, exists: true });
      }
      expect(operations).toContain('docker compose up -d --scale worker=4');
      expect(operations).toContain('appendfsync always');
    });
  });

  describe('Prometheus configuration (prometheus/prometheus.yml)', () => {
    it('When the scrape config is read, then it scrapes the API and DNS-discovered workers, loads alerts.yml and alerts Alertmanager', () => {
      interface ScrapeConfig {
        job_name: string;
        static_configs?: { targets: string[] }[];
        dns_sd_configs?: { names: string[]; type: string; port: number }[];
      }
      const config = parse(read('prometheus/prometheus.yml')) as {
        rule_files: string[];
        alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
        scrape_configs: ScrapeConfig[];
      };
      const jobs = new Map(config.scrape_configs.map((c) => [c.job_name, c]));
      expect(jobs.get('herald-api')?.static_configs?.flatMap((s) => s.targets)).toEqual(['api:8080']);
      expect(jobs.get('herald-worker')?.dns_sd_configs).toEqual([expect.objectContaining({ names: ['worker'], type: 'A', port: 9464 })]);
      expect(config.rule_files).toEqual(['alerts.yml']);
      expect(config.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets))).toEqual(['alertmanager:9093']);
    });
  });

  const promtool = onPath('promtool');
  const withPromtool = promtool ? describe : describe.skip;

  withPromtool('with promtool on the PATH', () => {
    const run = (...args: string[]) => {
      const result = spawnSync(promtool!, args, { cwd: ROOT, encoding: 'utf8' });
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    };

    it('When promtool checks the rules and the config, then both pass', () => {
      expect(run('check', 'rules', 'prometheus/alerts.yml')).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
      expect(run('check', 'config', 'prometheus/prometheus.yml')).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
    });

    it('When promtool evaluates the rules on recorded series, then the alerts that rely on reasoning fire exactly when they should', () => {
      // promtool compares annotations too; these tests are about expressions, so they are dropped.
      const dir = mkdtempSync(join(tmpdir(), 'herald-rules-'));
      try {
        const bare = { groups: [{ name: 'herald', rules: rules.map(({ annotations: _annotations, ...rule }) => rule) }] };
        writeFileSync(join(dir, 'rules.json'), JSON.stringify(bare));
        writeFileSync(join(dir, 'tests.json'), JSON.stringify(RULE_TESTS));
        const result = run('test', 'rules', join(dir, 'tests.json'));
        expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

const api = (instance: string) => `job="herald-api", instance="${instance}"`;
const worker = 'job="herald-worker", instance="10.0.0.5:9464"';

/** `promtool test rules` cases, written as JSON (YAML's superset) beside a copy of the rules. */
const RULE_TESTS = {
  rule_files: ['rules.json'],
  evaluation_interval: '15s',
  tests: [
    {
      // Two API replicas up; only one of them can read Redis and PostgreSQL.
      interval: '15s',
      input_series: [
        { series: `up{${api('api-1:8080')}}`, values: '1x40' },
        { series: `up{${api('api-2:8080')}}`, values: '1x40' },
        { series: `herald_queue_jobs{${api('api-1:8080')}, queue="publish-high", state="waiting"}`, values: '0x40' },
        { series: `herald_dlq_entries{${api('api-1:8080')}, replayed="false"}`, values: '0x40' },
      ],
      alert_rule_test: [
        { eval_time: '5m', alertname: 'HeraldRedisUnreachable', exp_alerts: [{ exp_labels: { severity: 'critical', job: 'herald-api', instance: 'api-2:8080' } }] },
        { eval_time: '5m', alertname: 'HeraldPostgresUnreachable', exp_alerts: [{ exp_labels: { severity: 'warning', job: 'herald-api', instance: 'api-2:8080' } }] },
        { eval_time: '5m', alertname: 'HeraldApiDown', exp_alerts: [] },
        { eval_time: '5m', alertname: 'HeraldNoWorkerRunning', exp_alerts: [{ exp_labels: { severity: 'critical' } }] },
      ],
    },
    {
      // A target's first DLQ write creates its counter at 1; a target that only ever failed.
      interval: '1m',
      input_series: [
        { series: `up{${worker}}`, values: '1x40' },
        { series: `herald_dlq_writes_total{${worker}, target="pd", error_type="permanent"}`, values: '_x19 1x20' },
        { series: `herald_jobs_failed_total{${worker}, priority="high", target="pd", error_type="permanent"}`, values: '_x19 1+1x20' },
        { series: `herald_jobs_completed_total{${worker}, priority="high", target="slack"}`, values: '0+10x40' },
      ],
      alert_rule_test: [
        { eval_time: '19m', alertname: 'HeraldDeadLetterQueueGrowing', exp_alerts: [] },
        { eval_time: '22m', alertname: 'HeraldDeadLetterQueueGrowing', exp_alerts: [{ exp_labels: { severity: 'warning', target: 'pd', error_type: 'permanent' } }] },
        { eval_time: '39m', alertname: 'HeraldDeadLetterQueueGrowing', exp_alerts: [] },
        { eval_time: '35m', alertname: 'HeraldDeliveryFailureRatioHigh', exp_alerts: [{ exp_labels: { severity: 'warning', target: 'pd' } }] },
        { eval_time: '35m', alertname: 'HeraldNoWorkerRunning', exp_alerts: [] },
      ],
    },
    {
      // A breaker that stays broken shows half-open for a moment at each probe.
      interval: '15s',
      input_series: [
        { series: `herald_breaker_state{${worker}, target="pd"}`, values: '2 2 2 2 1 2 2 2 2 1 2 2 2 2 1 2 2 2 2 1 2' },
        { series: `herald_breaker_state{${worker}, target="slack"}`, values: '0x20' },
      ],
      alert_rule_test: [{ eval_time: '5m', alertname: 'HeraldCircuitBreakerOpen', exp_alerts: [{ exp_labels: { severity: 'critical', target: 'pd' } }] }],
    },
    {
      // Only high-priority workers run: low jobs wait with nobody to take them.
      interval: '1m',
      input_series: [
        { series: `herald_queue_jobs{${api('api-1:8080')}, queue="publish-high", state="waiting"}`, values: '3x20' },
        { series: `herald_queue_jobs{${api('api-1:8080')}, queue="publish-low", state="waiting"}`, values: '40x20' },
        { series: `herald_job_wait_seconds_count{${worker}, priority="high"}`, values: '0+5x20' },
        { series: `herald_jobs_completed_total{${worker}, priority="high", target="pd"}`, values: '0+5x20' },
      ],
      alert_rule_test: [
        {
          eval_time: '15m',
          alertname: 'HeraldQueueNotConsumed',
          exp_alerts: [{ exp_labels: { severity: 'critical', queue: 'publish-low', priority: 'low' } }],
        },
      ],
    },
  ],
};
