import { Queue, Worker, type JobsOptions, type KeepJobs } from 'bullmq';
import { Redis } from 'ioredis';
import { COMPLETED_JOB_RETENTION } from '@herald/core';
import { BARE_JOB_OPTIONS } from './bare/bare-settings';
import { apiJobSpecs } from './herald-system';
import { cpuSeconds } from './machine';
import { alertmanagerAlert, nextFingerprint, TAG } from './payloads';
import { median } from './stats';
import { alternateRounds, runTool, scriptTime, withThrowawayRedis } from './cost-tool';

/**
 * What Redis spends finishing one job and fetching the next, by the job and by what becomes
 * of it (finding 38). For each variant 10,000 jobs are queued, then a BullMQ Worker at
 * concurrency 50 whose processor returns at once drains them; Redis's time in the scripts
 * (`INFO commandstats`) and its CPU time are divided by the jobs. Without deliveries, the
 * machine's two cores are not shared with a sink or a load generator. Usage:
 *
 *   npm run build && node bench/dist/finish-cost.js [rounds]
 */
const JOBS = 10_000;
const RECEIPT = { httpStatus: 200, durationMs: 3 };

interface Variant {
  readonly job: () => { name: string; data: unknown; opts: JobsOptions };
  /** The Worker's rule; a job's own `removeOnComplete` overrides it. */
  readonly removeOnComplete: KeepJobs;
  readonly returns: unknown;
}

const bareJob = () => ({ name: 'alert', data: alertmanagerAlert(nextFingerprint(TAG.load), 'warning'), opts: BARE_JOB_OPTIONS });
const heraldJob = () => {
  const spec = apiJobSpecs([alertmanagerAlert(nextFingerprint(TAG.load), 'warning')], undefined, 0)[0]!;
  return { name: spec.data.target, data: spec.data, opts: spec.opts };
};
/** Bare's job without its own rule, so that the Worker's decides. */
const bareJobKept = () => {
  const { removeOnComplete: _rule, ...opts } = BARE_JOB_OPTIONS;
  return { ...bareJob(), opts };
};
const REMOVED: KeepJobs = { count: 0 };

const VARIANTS: Record<string, Variant> = {
  'bare (removed at completion)': { job: bareJob, removeOnComplete: REMOVED, returns: undefined },
  'Herald (kept 24 h / 20,000)': { job: heraldJob, removeOnComplete: COMPLETED_JOB_RETENTION, returns: RECEIPT },
  'Herald, removed at completion': { job: heraldJob, removeOnComplete: REMOVED, returns: RECEIPT },
  "bare's job, kept as Herald keeps": { job: bareJobKept, removeOnComplete: COMPLETED_JOB_RETENTION, returns: undefined },
};

/** Redis's time in scripts and its CPU time per job (µs) while a Worker drains the variant's jobs. */
async function measure(admin: Redis, url: string, redisPid: number, queueName: string, variant: Variant): Promise<{ scriptUs: number; cpuUs: number }> {
  await admin.flushall();
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection });
  const workerConnection = connection.duplicate();
  let worker: Worker | undefined;
  try {
    for (let added = 0; added < JOBS; added += 1000) await queue.addBulk(Array.from({ length: 1000 }, variant.job));
    await admin.config('RESETSTAT');
    const cpuBefore = cpuSeconds(redisPid);
    let completed = 0;
    const drained = new Promise<void>((resolve) => {
      worker = new Worker(queueName, async () => variant.returns, { connection: workerConnection, concurrency: 50, removeOnComplete: variant.removeOnComplete });
      worker.on('completed', () => {
        if (++completed === JOBS) resolve();
      });
    });
    await drained;
    const cpuUs = ((cpuSeconds(redisPid) - cpuBefore) * 1e6) / JOBS;
    return { scriptUs: (await scriptTime(admin)).usec / JOBS, cpuUs };
  } finally {
    await worker?.close();
    await queue.close();
    // BullMQ leaves a connection it was given open.
    workerConnection.disconnect();
    connection.disconnect();
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  await withThrowawayRedis('finish-cost', async (redis, admin) => {
    const results = await alternateRounds(
      rounds,
      VARIANTS,
      (variant, round) => measure(admin, redis.url, redis.pid!, `finish-cost-${round}`, variant),
      ({ scriptUs, cpuUs }) => `${scriptUs.toFixed(1).padStart(6)} µs in scripts  ${cpuUs.toFixed(1).padStart(6)} µs Redis CPU  per job`,
    );
    console.log(`\nMedians of ${rounds} rounds, ${JOBS} jobs each, drained at concurrency 50 (per job: Redis time in scripts, Redis CPU):`);
    for (const [name, runs] of results) {
      console.log(`  ${name.padEnd(34)} ${median(runs.map((r) => r.scriptUs)).toFixed(1).padStart(6)} µs  ${median(runs.map((r) => r.cpuUs)).toFixed(1).padStart(6)} µs`);
    }
  });
}

runTool(main);
