import type { Registry } from 'prom-client';

/** One label set's observations: counts per bucket (not cumulative), their sum and count. */
interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
  /** Exported only once observed, as prom-client's series are; `reset()` hides it again. */
  shown: boolean;
}

/** What prom-client's registry reads of a metric, in the shape its own Histogram gives. */
interface ExportedValue {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly sharedLabels?: Readonly<Record<string, string>>;
  readonly value: number;
  readonly exemplar?: null;
}

export interface HistogramObserver {
  observe(value: number): void;
}

export interface BoundHistogramConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

/**
 * A Prometheus histogram whose label sets are bound once. prom-client's Histogram converts,
 * validates and hashes the labels on every observation, even through a child from
 * `labels()`: on a worker's delivery path, three observations a job, about 5 µs of each
 * job's CPU (bench/README.md, finding 61). Here `labels()` checks and looks up the label
 * set, and the child's `observe` is a bucket search and three additions.
 *
 * To a registry it is a histogram like prom-client's: `get()` and `getForPromString()`
 * return what prom-client's Histogram returns for the same observations, so the
 * exposition, `getMetricsAsJSON()` and the aggregation of a worker's threads are unchanged
 * (a test compares the two). Exemplars and timers are not offered; nothing here uses them.
 */
export class BoundHistogram<L extends string = string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  private readonly upperBounds: readonly number[];
  private readonly series = new Map<string, Series>();

  constructor(config: BoundHistogramConfig<L>) {
    if (config.labelNames.includes('le' as L)) throw new Error('le is a reserved label keyword');
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    this.upperBounds = [...config.buckets];
    for (const registry of config.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The observer of one label set; every label of the histogram must be given, and no other. */
  labels(labels: Readonly<Record<L, string>>): HistogramObserver {
    const key = this.keyOf(labels);
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { ...labels }, counts: new Float64Array(this.upperBounds.length), sum: 0, count: 0, shown: false };
      this.series.set(key, series);
    }
    const bound = series;
    return { observe: (value) => this.record(bound, value) };
  }

  observe(labels: Readonly<Record<L, string>>, value: number): void {
    this.labels(labels).observe(value);
  }

  /** Drops every series from the export until it is observed again, as prom-client's `reset()` does. */
  reset(): void {
    for (const series of this.series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
      series.shown = false;
    }
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExportedValue[] }> {
    const exported = await this.getForPromString();
    return { ...exported, values: exported.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
  }

  /** Each observed label set, as prom-client lays out a histogram's. */
  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExportedValue[] }> {
    const values: ExportedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const series of this.series.values()) {
      if (!series.shown) continue;
      let cumulative = 0;
      this.upperBounds.forEach((le, index) => {
        cumulative += series.counts[index]!;
        values.push({ labels: { le }, sharedLabels: series.labels, value: cumulative, metricName: bucketName, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: series.labels, value: series.count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels: series.labels, value: series.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: series.labels, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  private record(series: Series, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    series.shown = true;
    const bounds = this.upperBounds;
    for (let index = 0; index < bounds.length; index++) {
      if (value <= bounds[index]!) {
        series.counts[index]! += 1;
        break;
      }
    }
    series.sum += value;
    series.count += 1;
  }

  private keyOf(labels: Readonly<Record<string, string>>): string {
    const names = Object.keys(labels);
    const unknown = names.find((name) => !this.labelNames.includes(name as L));
    if (unknown !== undefined) throw new Error(`Added label "${unknown}" is not included in initial labelset: ${JSON.stringify(this.labelNames)}`);
    const missing = this.labelNames.find((name) => typeof labels[name] !== 'string');
    if (missing !== undefined) throw new Error(`Label "${missing}" of ${this.name} is missing`);
    return this.labelNames.map((name) => labels[name]).join('\u0000');
  }
}
