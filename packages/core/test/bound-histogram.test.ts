import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { BoundHistogram } from '../src/observability/bound-histogram';
import { DURATION_BUCKETS } from '../src/observability/metrics';

const config = { name: 'herald_delivery_duration_seconds', help: 'Duration of one delivery attempt', labelNames: ['target', 'outcome'] as const, buckets: DURATION_BUCKETS };

/** prom-client's own Histogram and a BoundHistogram, each in a registry of its own. */
function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  return {
    theirs,
    ours,
    reference: new Histogram({ ...config, labelNames: [...config.labelNames], buckets: [...config.buckets], registers: [theirs] }),
    bound: new BoundHistogram({ ...config, registers: [ours] }),
  };
}

// Values on bucket bounds, between them, beyond the last, and zero.
const OBSERVATIONS: [Record<'target' | 'outcome', string>, number][] = [
  [{ target: 'ops-slack', outcome: 'success' }, 0.0005],
  [{ target: 'ops-slack', outcome: 'success' }, 0.0031],
  [{ target: 'pd', outcome: 'transient' }, 31],
  [{ target: 'ops-slack', outcome: 'success' }, 0],
  [{ target: 'pd', outcome: 'transient' }, 2.5],
  [{ target: 'ops-slack', outcome: 'permanent' }, 0.25],
];

describe('BoundHistogram', () => {
  it('When it and prom-client\'s Histogram see the same observations, then /metrics text and JSON are the same', async () => {
    const { theirs, ours, reference, bound } = pair();
    const child = bound.labels({ target: 'ops-slack', outcome: 'success' });

    for (const [labels, value] of OBSERVATIONS) {
      reference.observe(labels, value);
      if (labels.target === 'ops-slack' && labels.outcome === 'success') child.observe(value);
      else bound.observe(labels, value);
    }

    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(await ours.metrics()).toContain('herald_delivery_duration_seconds_bucket{le="+Inf",target="pd",outcome="transient"} 2');
  });

  it('When two threads\' registries are aggregated, then the sums are the same as for prom-client\'s', async () => {
    const a = pair();
    const b = pair();
    for (const [labels, value] of OBSERVATIONS) {
      a.reference.observe(labels, value);
      a.bound.observe(labels, value);
      b.reference.observe(labels, value * 2);
      b.bound.observe(labels, value * 2);
    }

    const merged = async (registries: Registry[]) => AggregatorRegistry.aggregate(await Promise.all(registries.map((r) => r.getMetricsAsJSON()))).metrics();

    expect(await merged([a.ours, b.ours])).toBe(await merged([a.theirs, b.theirs]));
  });

  it('When it is reset, then its series leave the export until observed again, through observers handed out before', async () => {
    const { theirs, ours, reference, bound } = pair();
    const child = bound.labels({ target: 'ops-slack', outcome: 'success' });
    const theirChild = reference.labels({ target: 'ops-slack', outcome: 'success' });
    child.observe(0.1);
    theirChild.observe(0.1);
    bound.observe({ target: 'pd', outcome: 'transient' }, 1);
    reference.observe({ target: 'pd', outcome: 'transient' }, 1);

    bound.reset();
    reference.reset();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).not.toContain('_bucket');

    child.observe(0.002);
    theirChild.observe(0.002);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('herald_delivery_duration_seconds_count{target="ops-slack",outcome="success"} 1');
  });

  it('When a label set is wrong or a value is not a number, then it throws, as prom-client does', () => {
    const { bound } = pair();
    expect(() => bound.labels({ target: 'a', outcome: 'success', extra: 'x' } as never)).toThrow('Added label "extra"');
    expect(() => bound.labels({ target: 'a' } as never)).toThrow('Label "outcome"');
    expect(() => bound.labels({ target: 'a', outcome: 'success' }).observe(Number.NaN)).toThrow(TypeError);
    expect(() => new BoundHistogram({ ...config, labelNames: ['le'], registers: [] })).toThrow('le is a reserved label');
  });

  it('When a metric of its name is already registered, then registering it fails', () => {
    const registry = new Registry();
    new Histogram({ name: config.name, help: 'x', registers: [registry] });
    expect(() => new BoundHistogram({ ...config, registers: [registry] })).toThrow('already been registered');
  });
});
