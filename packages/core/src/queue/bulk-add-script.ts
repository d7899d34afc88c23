import { Job, type JobsOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
// BullMQ's scripts, as its own connections load them; the package has no `exports` map and
// ships no types for this file (see bullmq-scripts.d.ts).
import { addStandardJob } from 'bullmq/dist/cjs/scripts';

/**
 * Jobs per script call. A call pays for itself from a few jobs on; it also runs alone in
 * Redis, so it is kept short (about 2–3 ms here) for a worker's fetch or a critical alert
 * waiting behind it.
 */
export const JOBS_PER_CALL = 50;

/** What `Queue.addBulk` takes, with the job id Herald always chooses. */
export interface JobToAdd<D, N extends string> {
  readonly name: N;
  readonly data: D;
  readonly opts: JobsOptions & { readonly jobId: string };
}

/** BullMQ changed how it adds a standard job; the script below would no longer match. */
export class UnsupportedBullmqError extends Error {
  override readonly name = 'UnsupportedBullmqError';
  constructor(detail: string) {
    super(`Herald's bulk add does not match this BullMQ: ${detail}`);
  }
}

const COMMAND = 'heraldAddStandardJobs';

/**
 * BullMQ's own `addStandardJob` script, unchanged, run once per job inside one call. KEYS
 * are the queue's, the same for every job; ARGV[1] is how many arguments each job has,
 * then come each job's in turn. Each job gets the id, error code or deduplicated id that
 * BullMQ's own call would have returned.
 */
const BULK_ADD = `local function addStandardJob(KEYS, ARGV)
${addStandardJob.content}
end
local perJob = tonumber(ARGV[1])
local results = {}
for first = 2, #ARGV, perJob do
  results[#results + 1] = addStandardJob(KEYS, { unpack(ARGV, first, first + perJob - 1) })
end
return results`;

interface BulkAddCommands {
  [COMMAND](...keysThenArgs: unknown[]): Promise<(string | number)[]>;
}

/**
 * BulkAddScript adds jobs as BullMQ's `Queue.addBulk` does, with the same script and the
 * same arguments, but in one Redis call per `JOBS_PER_CALL` jobs instead of one per job.
 *
 * `addBulk` sends one `EVALSHA` of BullMQ's add script per job. Per job, that costs the
 * client a command to build, write and parse, and Redis a command to read and a script
 * call to set up (bench/README.md, finding 45).
 *
 * The arguments are BullMQ's own: `addJobToTransaction` builds them for a transaction it
 * is given, which here records them instead of sending them. Only standard jobs (no delay,
 * priority or parent) are supported; anything else, or a BullMQ that builds its arguments
 * differently, throws UnsupportedBullmqError rather than adding a job in a way BullMQ
 * would not.
 */
export class BulkAddScript<D, R, N extends string> {
  private readonly redis: Redis & BulkAddCommands;

  /** `redis` is the connection to send on; the queue gives the keys and builds each job's arguments. */
  constructor(
    private readonly queue: Queue<D, R, N>,
    redis: Redis,
  ) {
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: addStandardJob.keys, lua: BULK_ADD });
    this.redis = redis as Redis & BulkAddCommands;
  }

  /** The jobs, added in order; each Job's `id` is what BullMQ answered for it (its own, or the one it repeats). */
  async addBulk(jobs: readonly JobToAdd<D, N>[]): Promise<Job<D, R, N>[]> {
    if (jobs.length === 0) return [];
    // As Job.createBulk makes them, less its option checks (`validateOptions`, protected):
    // those are for ids that are integers or hold colons, sizes, priorities and parents,
    // none of which Herald's jobs have (publish-job.ts).
    const made = jobs.map(({ name, data, opts }) => new Job<D, R, N>(this.queue, name, data, opts, opts.jobId));
    const calls = made.map((job) => this.argumentsFor(job));
    const keys = calls[0]!.slice(0, addStandardJob.keys);
    const perJob = calls[0]!.length - addStandardJob.keys;

    const sent: Promise<(string | number)[]>[] = [];
    for (let start = 0; start < calls.length; start += JOBS_PER_CALL) {
      const args: unknown[] = [perJob];
      for (const call of calls.slice(start, start + JOBS_PER_CALL)) {
        if (call.length !== addStandardJob.keys + perJob) throw new UnsupportedBullmqError(`jobs of one batch have ${calls[0]!.length} and ${call.length} arguments`);
        for (let i = addStandardJob.keys; i < call.length; i++) args.push(call[i]);
      }
      sent.push(this.redis[COMMAND](...keys, ...args));
    }
    const ids = (await Promise.all(sent)).flat();
    made.forEach((job, i) => {
      const id = ids[i];
      // Negative codes are for jobs with parents, which Herald never adds.
      if (typeof id !== 'string') throw new UnsupportedBullmqError(`job ${job.id} was answered with code ${String(id)}`);
      job.id = id;
    });
    return made;
  }

  /** BullMQ's arguments for adding one job: the queue's keys, then the job's own. */
  private argumentsFor(job: Job<D, R, N>): unknown[] {
    let recorded: { name: string; args: unknown[] } | undefined;
    const recorder = {
      runCommand(name: string, args: unknown[]) {
        recorded = { name, args };
        return recorder;
      },
    };
    // Recorded synchronously; the promise only reports what the recorder returned.
    this.queue.backend.addJobToTransaction(recorder as never, job.asJSON(), job.id!).catch(() => undefined);
    if (!recorded) throw new UnsupportedBullmqError('addJobToTransaction sent no command');
    if (!recorded.name.startsWith(`${addStandardJob.name}:`)) throw new UnsupportedBullmqError(`job ${job.id} would be added with ${recorded.name}`);
    if (recorded.args.length <= addStandardJob.keys) throw new UnsupportedBullmqError(`${recorded.args.length} arguments for a script of ${addStandardJob.keys} keys`);
    return recorded.args;
  }
}
