import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { deduplicationId, loadEnvConfig, PublishingQueues, type JobSpec } from '@herald/core';
import { BARE_JOB_OPTIONS } from './bare/bare-settings';
import { apiJobSpecs } from './herald-system';
import { alertmanagerAlert, nextFingerprint, TAG } from './payloads';
import { median } from './stats';
import { alternateRounds, runTool, scriptTime, withThrowawayRedis } from './cost-tool';

/**
 * What Redis spends adding one job, by what the job carries (finding 35), and as Herald's
 * API adds it (finding 52). For each variant, 10,000 jobs are added in tens, as the API adds
 * a 10-alert webhook, on a throwaway redis-server: through BullMQ's `addBulk`, one script
 * call per job, or through Herald's PublishingQueues, one call per ten. `INFO commandstats`
 * gives the time Redis itself spent in the add scripts, which the machine's other work
 * hardly moves.
 *
 * Then the deduplication key on its own (finding 50): a script that only sets a fresh key
 * as BullMQ's deduplication does, beside one that does nothing, so that what deduplication
 * costs an add splits into the key itself and the rest (its options). Usage:
 *
 *   npm run build && node bench/dist/add-cost.js [rounds]
 */
const JOBS = 10_000;
const BATCH = 10;

interface JobToAdd {
  readonly name: string;
  readonly data: unknown;
  readonly opts: JobsOptions;
}

/** Ten jobs at a time into a queue on `connection`, one way or another; `scriptCalls` per ten. */
interface Adder {
  readonly scriptCalls: number;
  addTen(): Promise<unknown>;
  close(): Promise<void>;
}
type Variant = (connection: Redis, queueName: string) => Adder;

/** BullMQ's `addBulk` of ten jobs from `make`: one add script call per job. */
function viaAddBulk(make: () => JobToAdd): Variant {
  return (connection, queueName) => {
    const queue = new Queue(queueName, { connection });
    return { scriptCalls: BATCH, addTen: () => queue.addBulk(Array.from({ length: BATCH }, make)), close: () => queue.close() };
  };
}

/** `DEDUP_TTL_MS`'s default, from the configuration code (which needs some database URL to read it). */
const dedupTtlMs = loadEnvConfig({ DATABASE_URL: 'postgres://127.0.0.1/unused' }).dedupTtlMs;

/** A Herald job for one fresh alert, exactly as the API builds it (deduplication on, at the default TTL). */
function heraldJob(ttlMs = dedupTtlMs): JobSpec {
  return apiJobSpecs([alertmanagerAlert(nextFingerprint(TAG.load), 'warning')], undefined, ttlMs)[0]!;
}

/** Herald's job as the API builds it, added through BullMQ's `addBulk` instead of Herald's script. */
function heraldViaAddBulk(ttlMs: number): Variant {
  return viaAddBulk(() => {
    const spec = heraldJob(ttlMs);
    return { name: spec.data.target, data: spec.data, opts: spec.opts };
  });
}

const VARIANTS: Record<string, Variant> = {
  'bare (bare-api.ts)': viaAddBulk(() => ({ name: 'alert', data: alertmanagerAlert(nextFingerprint(TAG.load), 'warning'), opts: BARE_JOB_OPTIONS })),
  'Herald (as the API adds it)': (connection, queueName) => {
    // The queue's name is the prefix here: PublishingQueues names its own three queues.
    const queues = new PublishingQueues(connection, queueName);
    return { scriptCalls: 1, addTen: () => queues.add(Array.from({ length: BATCH }, () => heraldJob())), close: () => queues.close() };
  },
  "Herald's job through addBulk": heraldViaAddBulk(dedupTtlMs),
  "Herald's job, addBulk, no dedup": heraldViaAddBulk(0),
  "Herald's options, bare's data": viaAddBulk(() => ({ name: 'sink', data: alertmanagerAlert(nextFingerprint(TAG.load), 'warning'), opts: heraldJob().opts })),
  "bare's options, Herald's data": viaAddBulk(() => ({ name: 'alert', data: heraldJob().data, opts: BARE_JOB_OPTIONS })),
};

/** Redis's own time in the add scripts per job (µs), and the bytes the jobs left in memory. */
async function measure(admin: Redis, url: string, queueName: string, variant: Variant): Promise<{ usPerAdd: number; bytesPerJob: number }> {
  await admin.flushall();
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const adder = variant(connection, queueName);
  try {
    // The first add loads the scripts; it is not counted.
    await adder.addTen();
    const before = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    await admin.config('RESETSTAT');
    for (let added = 0; added < JOBS; added += BATCH) await adder.addTen();
    const { calls, usec } = await scriptTime(admin);
    const expected = (JOBS / BATCH) * adder.scriptCalls;
    if (calls !== expected) throw new Error(`expected ${expected} add script calls, Redis counted ${calls}`);
    const after = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    return { usPerAdd: usec / JOBS, bytesPerJob: (after - before) / JOBS };
  } finally {
    await adder.close();
    // BullMQ leaves a connection it was given open.
    connection.disconnect();
  }
}

/**
 * What BullMQ's deduplication does to Redis for a new alert, and nothing else: one SET of a
 * fresh key with a time to live, only if it does not exist (`deduplicateJobWithoutReplace`).
 */
const KEY_SCRIPTS = {
  'an empty script': 'return 1',
  'a fresh deduplication key': "return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX')",
} as const;

interface DedupKeyCommand {
  dedupKey(key: string, jobId: string, ttlMs: number): Promise<unknown>;
}

/** Sends `lua` the key BullMQ would make for a fresh alert (`<prefix>:<queue>:de:<deduplication id>`). */
function sendFreshKey(to: DedupKeyCommand): Promise<unknown> {
  const { jobId, data } = heraldJob();
  return to.dedupKey(`bull:add-cost:de:${deduplicationId(data.target, data.alert)}`, jobId, dedupTtlMs);
}

/** Redis's own time per call of `lua`, called once per fresh deduplication key, in tens. */
async function measureKeyScript(admin: Redis, url: string, lua: string): Promise<number> {
  await admin.flushall();
  const connection = new Redis(url) as Redis & DedupKeyCommand;
  connection.defineCommand('dedupKey', { numberOfKeys: 1, lua });
  try {
    // The first call loads the script; it is not counted.
    await sendFreshKey(connection);
    await admin.config('RESETSTAT');
    for (let added = 0; added < JOBS; added += BATCH) {
      // ioredis gives a pipeline the commands defined on its connection; its types do not.
      const pipeline = connection.pipeline() as unknown as DedupKeyCommand & { exec(): Promise<unknown> };
      for (let i = 0; i < BATCH; i++) void sendFreshKey(pipeline);
      await pipeline.exec();
    }
    const { calls, usec } = await scriptTime(admin);
    if (calls !== JOBS) throw new Error(`expected ${JOBS} script calls, Redis counted ${calls}`);
    return usec / JOBS;
  } finally {
    connection.disconnect();
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  await withThrowawayRedis('add-cost', async (redis, admin) => {
    const results = await alternateRounds(
      rounds,
      VARIANTS,
      (make, round) => measure(admin, redis.url, `add-cost-${round}`, make),
      ({ usPerAdd, bytesPerJob }) => `${usPerAdd.toFixed(1).padStart(6)} µs/add  ${Math.round(bytesPerJob).toString().padStart(5)} B/job`,
    );
    console.log(`\nMedians of ${rounds} rounds, ${JOBS} jobs each, added in tens (Redis time in the add scripts per job, memory per job):`);
    for (const [name, runs] of results) {
      console.log(`  ${name.padEnd(34)} ${median(runs.map((r) => r.usPerAdd)).toFixed(1).padStart(6)} µs/add  ${Math.round(median(runs.map((r) => r.bytesPerJob))).toString().padStart(5)} B/job`);
    }

    console.log('\nThe deduplication key on its own:');
    const keys = await alternateRounds(rounds, KEY_SCRIPTS, (lua) => measureKeyScript(admin, redis.url, lua), (us) => `${us.toFixed(1).padStart(6)} µs/call`);
    console.log(`\nMedians of ${rounds} rounds, ${JOBS} calls each, in tens (Redis time in the script):`);
    for (const [name, runs] of keys) console.log(`  ${name.padEnd(34)} ${median(runs).toFixed(1).padStart(6)} µs/call`);
  });
}

runTool(main);
