import { BareSystem } from './bare-system';
import { FULL, QUICK } from './bench-settings';
import { BenchStack } from './bench-stack';
import { median } from './stats';
import type { BenchSystem } from './bench-system';
import { alternateRounds, runTool } from './cost-tool';
import { HeraldSystem } from './herald-system';
import { measureDelivery, type DeliveryRound } from './measurements/delivery';
import { measurePriority } from './measurements/priority';

/*
 * Herald's worker against other builds or settings of itself: the delivery measurement (or
 * the priority one), variant after variant within each round, on the bench's own stack. One
 * `npm run bench` gives two or three rounds per figure, and single rounds on this machine move
 * by ±20 %; this runs as many rounds of one figure as asked (finding 48).
 *
 *   node bench/dist/worker-ab.js [--rounds=6] [--measure=delivery|priority] [--jobs=10000] VARIANT...
 *
 * A VARIANT is `name` or `name:word word …`, each word one of
 *   KEY=VALUE     an environment variable of Herald's worker (HEAP_GROWING_PERCENT=100);
 *   entry=PATH    another build's entry, e.g. a copy of an earlier apps/worker/dist/bundle
 *                 (the copy's folder must be named `bundle`: /tmp/old/bundle/main.js), run
 *                 with the worker's flags (`roleArgs`), so its code caches must be made
 *                 under them (bench/README.md, finding 58);
 *   --flag        a node flag (--require=/tmp/preload.js).
 * `bare` and `contract` run those substrates instead, and take --flags only
 * (`bare:--require=/tmp/preload.js`).
 */

interface Variant {
  readonly system: (stack: BenchStack) => BenchSystem;
  readonly nodeArgs: string;
}

function parseVariant(spec: string): [string, Variant] {
  const [name, words = ''] = spec.split(/:(.*)/s) as [string, string?];
  const env: Record<string, string> = {};
  const flags: string[] = [];
  let entry: string | undefined;
  for (const word of words.split(' ').filter(Boolean)) {
    if (word.startsWith('entry=')) entry = word.slice('entry='.length);
    else if (word.startsWith('-')) flags.push(word);
    else if (/^[A-Z_][A-Z0-9_]*=/.test(word)) env[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
    else throw new Error(`variant ${name}: "${word}" is neither KEY=VALUE, entry=PATH nor a --flag`);
  }
  const nodeArgs = flags.join(' ');
  if (name !== 'bare' && name !== 'contract') return [name, { system: (stack) => new HeraldSystem(stack, { env, entry }), nodeArgs }];
  if (entry !== undefined || Object.keys(env).length > 0) throw new Error(`variant ${name}: takes --flags only`);
  return [name, { system: (stack) => new BareSystem(stack, name === 'contract'), nodeArgs }];
}

function option(name: string, fallback: string): string {
  const given = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return given ? given.slice(name.length + 3) : fallback;
}

async function main(): Promise<void> {
  const rounds = Number(option('rounds', '6'));
  const measure = option('measure', 'delivery');
  const jobs = Number(option('jobs', String(QUICK.delivery.jobs)));
  const variants = Object.fromEntries(process.argv.slice(2).filter((arg) => !arg.startsWith('--')).map(parseVariant));
  if (Object.keys(variants).length === 0 || !['delivery', 'priority'].includes(measure)) {
    throw new Error('usage: worker-ab [--rounds=6] [--measure=delivery|priority] [--jobs=10000] VARIANT...');
  }
  const stack = new BenchStack();
  await stack.start();
  try {
    const settings = { ...QUICK, delivery: { ...QUICK.delivery, jobs } };
    const run = async (variant: Variant) => {
      // RoleProcess reads BENCH_NODE_ARGS when it spawns.
      process.env.BENCH_NODE_ARGS = variant.nodeArgs;
      const system = variant.system(stack);
      if (measure === 'delivery') return deliveryFigures(await measureDelivery(system, { stack, settings }));
      // The full run's priority settings: 10 s of critical alerts during a 20k backlog.
      const round = await measurePriority(system, { stack, settings: { ...settings, priority: FULL.priority } });
      const sorted = round.latenciesInSendOrder.filter((ms): ms is number => ms !== null).sort((a, b) => b - a);
      return {
        'critical p99 ms': round.duringBacklog.p99Ms,
        'critical p50 ms': round.duringBacklog.p50Ms,
        'first ms': round.latenciesInSendOrder[0] ?? Number.NaN,
        'slowest ms': sorted[0] ?? Number.NaN,
        '2nd ms': sorted[1] ?? Number.NaN,
        '3rd ms': sorted[2] ?? Number.NaN,
        'backlog drain ms': round.backlogDrainMs,
      };
    };
    const describe = (figures: Record<string, number>) => Object.entries(figures).map(([key, value]) => `${key} ${value.toFixed(key.endsWith('ms') ? 1 : 0)}`).join('  ');
    const results = await alternateRounds(rounds, variants, run, describe);
    console.log('\nmedians:');
    for (const [name, figures] of results) {
      const keys = Object.keys(figures[0] ?? {});
      console.log(`${name.padEnd(34)} ${describe(Object.fromEntries(keys.map((key) => [key, median(figures.map((f) => f[key]!))])))}`);
    }
    // Round by round against the first variant: the machine's drift between rounds cancels.
    const [[firstName, firstFigures] = ['', []], ...others] = [...results];
    if (others.length > 0) console.log(`\nmedians of the ratio to ${firstName} in the same round:`);
    for (const [name, figures] of others) {
      const keys = Object.keys(figures[0] ?? {});
      const ratios = keys.map((key) => `${key} ${median(figures.map((f, i) => f[key]! / firstFigures[i]![key]!)).toFixed(3)}`);
      console.log(`${name.padEnd(34)} ${ratios.join('  ')}`);
    }
  } finally {
    await stack.stop();
  }
}

function deliveryFigures(round: DeliveryRound): Record<string, number> {
  return {
    'jobs/s': round.jobsPerSecond,
    steady: round.steadyJobsPerSecond,
    'first ms': round.firstDeliveryMs,
    'cpu µs': round.workerCpuMicrosPerJob,
    'redis µs': round.redisCpuMicrosPerJob,
    'main run µs': round.mainThreadRunMicrosPerJob,
    'main wait µs': round.mainThreadWaitMicrosPerJob,
  };
}

runTool(main);
