import { Redis } from 'ioredis';
import { BenchStack } from './bench-stack';
import { FULL } from './bench-settings';
import { HeraldSystem } from './herald-system';
import { runE2eLoad } from './measurements/e2e-latency';
import type { MeasureContext } from './measurements/measure-context';
import { summarise } from './stats';

/**
 * Where Herald's end-to-end time goes, stage by stage: the full bench's e2e load
 * (`runE2eLoad`, 500 alerts/s for 20 s), then each completed job's timestamps, which Herald
 * keeps in Redis, set beside the send schedule and the sink's arrivals. Usage:
 *
 *   npm run build && node bench/dist/e2e-stages.js [rounds]
 *
 * Stages (ms): api = scheduled send → the API accepted the alert (`receivedAt`), which
 * includes the generator's lateness; queue = job created → a worker asked for it
 * (`processedOn`); deliver = that → the sink holds the alert. The job is created about a
 * millisecond after `receivedAt` (8 ms at worst in finding 32's runs), so the three nearly
 * add up to the total. Bare keeps no completed jobs, so it has no such split.
 */
interface Stages {
  readonly total: number;
  readonly api: number;
  readonly queue: number;
  readonly deliver: number;
}

/** Each counted alert's stages, from its completed job in Redis (epoch ms) and the bench's clock. */
async function stagesOf(stack: BenchStack, prefix: string, scheduled: ReadonlyMap<string, number>): Promise<Stages[]> {
  const redis = new Redis(stack.redisUrl);
  try {
    const queue = `${prefix}:publish-medium`;
    const ids = await redis.zrange(`${queue}:completed`, 0, -1);
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hmget(`${queue}:${id}`, 'timestamp', 'processedOn', 'data');
    const replies = (await pipeline.exec()) ?? [];
    const epochOf = (benchMs: number) => performance.timeOrigin + benchMs;
    return replies.flatMap(([, reply]) => {
      const [timestamp, processedOn, data] = reply as [string, string, string];
      const { alert, receivedAt } = JSON.parse(data) as { alert: { fingerprint: string }; receivedAt: number };
      const at = scheduled.get(alert.fingerprint);
      const arrival = stack.sink.arrivalOf(alert.fingerprint);
      if (at === undefined || arrival === undefined) return [];
      return [{ total: arrival - at, api: receivedAt - epochOf(at), queue: Number(processedOn) - Number(timestamp), deliver: epochOf(arrival) - Number(processedOn) }];
    });
  } finally {
    redis.disconnect();
  }
}

function report(round: number, stages: readonly Stages[]): void {
  console.log(`round ${round}: ${stages.length} alerts`);
  const keys = ['total', 'api', 'queue', 'deliver'] as const;
  for (const key of keys) {
    const { p50, p95, p99, max } = summarise(stages.map((stage) => stage[key]));
    console.log(`  ${key.padEnd(8)} p50 ${p50.toFixed(1)}  p95 ${p95.toFixed(1)}  p99 ${p99.toFixed(1)}  max ${max.toFixed(1)}`);
  }
  const { p99 } = summarise(stages.map((stage) => stage.total));
  const slowest = stages.filter((stage) => stage.total >= p99);
  const mean = (key: (typeof keys)[number]) => (slowest.reduce((sum, stage) => sum + stage[key], 0) / slowest.length).toFixed(1);
  console.log(`  slowest 1 % (${slowest.length}), means: ${keys.map((key) => `${key} ${mean(key)}`).join('  ')}`);
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 2);
  const stack = new BenchStack();
  await stack.start();
  try {
    const context: MeasureContext = { stack, settings: FULL };
    const system = new HeraldSystem(stack);
    for (let round = 1; round <= rounds; round++) {
      const { prefix, scheduled } = await runE2eLoad(system, context);
      report(round, await stagesOf(stack, prefix, scheduled));
    }
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
