import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { deduplicationId, loadEnvConfig, type JobSpec } from '@herald/core';
import { BARE_JOB_OPTIONS } from './bare/bare-settings';
import { apiJobSpecs } from './herald-system';
import { alertmanagerAlert, nextFingerprint, TAG } from './payloads';
import { median } from './stats';
import { alternateRounds, runTool, scriptTime, withThrowawayRedis } from './cost-tool';

/**
 * What Redis spends adding one job, by what the job carries (finding 35). For each variant,
 * 10,000 jobs go through BullMQ's `addBulk` in tens, as the API adds a 10-alert webhook, on
 * a throwaway redis-server; `INFO commandstats` gives the time Redis itself spent in the add
 * script per call, which the machine's other work hardly moves.
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

/** `DEDUP_TTL_MS`'s default, from the configuration code (which needs some database URL to read it). */
const dedupTtlMs = loadEnvConfig({ DATABASE_URL: 'postgres://127.0.0.1/unused' }).dedupTtlMs;

/** A Herald job for one fresh alert, exactly as the API builds it (deduplication on, at the default TTL). */
function heraldJob(ttlMs = dedupTtlMs): JobSpec {
  return apiJobSpecs([alertmanagerAlert(nextFingerprint(TAG.load), 'warning')], undefined, ttlMs)[0]!;
}

const VARIANTS: Record<string, () => JobToAdd> = {
  'bare (bare-api.ts)': () => ({ name: 'alert', data: alertmanagerAlert(nextFingerprint(TAG.load), 'warning'), opts: BARE_JOB_OPTIONS }),
  'Herald (as the API adds it)': () => {
    const spec = heraldJob();
    return { name: spec.data.target, data: spec.data, opts: spec.opts };
  },
  'Herald without deduplication': () => {
    const spec = heraldJob(0);
    return { name: spec.data.target, data: spec.data, opts: spec.opts };
  },
  "Herald's options, bare's data": () => ({ name: 'sink', data: alertmanagerAlert(nextFingerprint(TAG.load), 'warning'), opts: heraldJob().opts }),
  "bare's options, Herald's data": () => ({ name: 'alert', data: heraldJob().data, opts: BARE_JOB_OPTIONS }),
};

/** Redis's own time per call of the add script (µs), and the bytes the jobs left in memory. */
async function measure(admin: Redis, url: string, queueName: string, make: () => JobToAdd): Promise<{ usPerAdd: number; bytesPerJob: number }> {
  await admin.flushall();
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection });
  try {
    // The first add loads the scripts; it is not counted.
    await queue.addBulk([make()]);
    const before = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    await admin.config('RESETSTAT');
    for (let added = 0; added < JOBS; added += BATCH) await queue.addBulk(Array.from({ length: BATCH }, make));
    const { calls, usec } = await scriptTime(admin);
    if (calls !== JOBS) throw new Error(`expected ${JOBS} add script calls, Redis counted ${calls}`);
    const after = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    return { usPerAdd: usec / JOBS, bytesPerJob: (after - before) / JOBS };
  } finally {
    await queue.close();
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
    console.log(`\nMedians of ${rounds} rounds, ${JOBS} jobs each, added in tens (Redis time in the add script, memory per job):`);
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
