import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { FIRING_INDEX_TTL_MS, RECORD_FIRING_LUA } from './firing-job-index';

/**
 * Jobs per script call. A call pays for itself from a few jobs on; it also runs alone in
 * Redis, so it is kept short (about 1 ms here) for a worker's fetch or a critical alert
 * waiting behind it.
 */
export const JOBS_PER_CALL = 50;

/** One job: what `Queue.addBulk` takes, with the job id Herald always chooses. */
export interface JobToAdd<D, N extends string> {
  readonly name: N;
  readonly data: D;
  readonly opts: JobsOptions & { readonly jobId: string };
  /**
   * For a firing alert: its FiringJobIndex key and `startsAt` (epoch ms). The job is
   * recorded there in the call that queues it; a repeat that is dropped is not.
   */
  readonly firing?: { readonly indexKey: string; readonly startsAtMs: number };
}

/** A job option BulkAddScript does not store as BullMQ would; the batch is refused, not added differently. */
export class UnsupportedJobOptionError extends Error {
  override readonly name = 'UnsupportedJobOptionError';
  constructor(jobId: string, detail: string) {
    super(`job ${jobId} cannot be added by Herald's bulk add: ${detail}`);
  }
}

/** The options a standard job may name, which BullMQ stores as they are but for the renamed `deduplication`. */
const STORED_AS_GIVEN = new Set(['jobId', 'timestamp', 'attempts', 'backoff']);
const ARGS_PER_JOB = 9;
const COMMAND = 'heraldAddJobs';

/*
 * What BullMQ's `addStandardJob` script (BullMQ 6.7) does for one job without a parent,
 * delay, priority or repeat, and with deduplication by a key that expires, for each job of
 * the call; the lookups that are the same for every job (event stream length, paused or
 * maxed queue) are made once per call, as is the wake-up marker. Each job is answered
 * with its id, or with the id of the job its deduplication id repeats.
 *
 * KEYS: the queue's wait, meta, id, active, events and marker keys.
 * ARGV[1]: the prefix of the queue's job keys; ARGV[2]: the firing index's time to live
 * (ms); then ARGS_PER_JOB per job: id, name, data (JSON), options (as BullMQ stores them),
 * timestamp, deduplication id or '', its time to live (ms), FiringJobIndex key or '', the
 * alert's startsAt (ms).
 */
const ADD_JOBS = `local rcall = redis.call
${RECORD_FIRING_LUA}
local waitKey, metaKey, eventsKey = KEYS[1], KEYS[2], KEYS[5]
local prefix, firingTtl = ARGV[1], ARGV[2]
-- BullMQ counts every add in the id key, its own ids or not.
rcall('INCRBY', KEYS[3], (#ARGV - 2) / ${ARGS_PER_JOB})
-- getOrSetMaxEvents
local maxEvents = rcall('HGET', metaKey, 'opts.maxLenEvents')
if not maxEvents then
  maxEvents = 10000
  rcall('HSET', metaKey, 'opts.maxLenEvents', maxEvents)
end
-- isQueuePausedOrMaxed
local pausedOrMaxed = false
local meta = rcall('HMGET', metaKey, 'paused', 'concurrency')
if meta[1] then
  pausedOrMaxed = true
elseif meta[2] then
  pausedOrMaxed = rcall('LLEN', KEYS[4]) >= tonumber(meta[2])
end
local answers, queued = {}, 0
for first = 3, #ARGV, ${ARGS_PER_JOB} do
  local jobId, name, data, opts, timestamp, dedupId, dedupTtl, firingKey, startsAt = unpack(ARGV, first, first + ${ARGS_PER_JOB - 1})
  local jobKey = prefix .. jobId
  local answer = jobId
  if rcall('EXISTS', jobKey) == 1 then
    -- handleDuplicatedJob
    rcall('XADD', eventsKey, 'MAXLEN', '~', maxEvents, '*', 'event', 'duplicated', 'jobId', jobId)
  elseif dedupId ~= '' and not rcall('SET', prefix .. 'de:' .. dedupId, jobId, 'PX', dedupTtl, 'NX') then
    -- deduplicateJobWithoutReplace, for a key that expires
    answer = rcall('GET', prefix .. 'de:' .. dedupId)
    rcall('XADD', eventsKey, 'MAXLEN', '~', maxEvents, '*', 'event', 'deduplicated', 'jobId', answer, 'deduplicationId', dedupId, 'deduplicatedJobId', jobId)
  else
    -- storeJob, addJobInTargetList and the waiting event
    if dedupId ~= '' then
      rcall('HMSET', jobKey, 'name', name, 'data', data, 'opts', opts, 'timestamp', timestamp, 'delay', 0, 'priority', 0, 'deid', dedupId)
    else
      rcall('HMSET', jobKey, 'name', name, 'data', data, 'opts', opts, 'timestamp', timestamp, 'delay', 0, 'priority', 0)
    end
    rcall('XADD', eventsKey, '*', 'event', 'added', 'jobId', jobId, 'name', name)
    rcall('LPUSH', waitKey, jobId)
    rcall('XADD', eventsKey, 'MAXLEN', '~', maxEvents, '*', 'event', 'waiting', 'jobId', jobId)
    if firingKey ~= '' then recordFiring(firingKey, startsAt, jobKey, firingTtl) end
    queued = queued + 1
  end
  answers[#answers + 1] = answer
end
-- addBaseMarkerIfNeeded
if queued > 0 and not pausedOrMaxed then rcall('ZADD', KEYS[6], 0, '0') end
return answers`;

interface AddJobsCommand {
  [COMMAND](...keysThenArgs: (string | number)[]): Promise<string[]>;
}

/**
 * BulkAddScript adds standard BullMQ jobs in one Redis call per `JOBS_PER_CALL` jobs, and
 * leaves Redis as BullMQ's `Queue.addBulk` would: the same job hashes, wait list,
 * deduplication keys, events and answers (test/bulk-add-script.test.ts compares the two).
 *
 * `addBulk` runs BullMQ's add script once per job, and that script did, for every job,
 * what is the same for all of them, and decoded and re-encoded each job's options in Lua:
 * about 10 µs of Redis's time per job that the API's ingest shares the two cores with
 * (bench/README.md, findings 45, 50 and 52). Here the options are encoded once, in
 * JavaScript, into the JSON BullMQ stores; and the FiringJobIndex entry of a firing job is
 * written in the same call, so it can no longer go missing.
 *
 * Only the options Herald's jobs use are supported (STORED_AS_GIVEN and a deduplication
 * id with a time to live); any other throws UnsupportedJobOptionError before anything is
 * sent, rather than adding a job BullMQ would have added otherwise.
 */
export class BulkAddScript<D, N extends string> {
  private readonly redis: Redis & AddJobsCommand;
  private readonly keys: readonly string[];
  private readonly jobKeyPrefix: string;

  /** `redis` is the connection to send on; `queue` gives the keys. */
  constructor(queue: Queue<D, unknown, N>, redis: Redis) {
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 6, lua: ADD_JOBS });
    this.redis = redis as Redis & AddJobsCommand;
    const { keys } = queue;
    this.keys = [keys.wait!, keys.meta!, keys.id!, keys.active!, keys.events!, keys.marker!];
    this.jobKeyPrefix = keys['']!;
  }

  /** The jobs, added in order; for each, its id or the id of the queued job it repeats. */
  async addBulk(jobs: readonly JobToAdd<D, N>[]): Promise<string[]> {
    const now = Date.now();
    // Every job's arguments are made before any call is sent, so a refused job adds nothing.
    const calls: (string | number)[][] = [];
    jobs.forEach((job, i) => {
      if (i % JOBS_PER_CALL === 0) calls.push([...this.keys, this.jobKeyPrefix, FIRING_INDEX_TTL_MS]);
      this.pushArguments(calls[calls.length - 1]!, job, now);
    });
    return (await Promise.all(calls.map((args) => this.redis[COMMAND](...args)))).flat();
  }

  /** Appends one job's arguments (ADD_JOBS above), or throws UnsupportedJobOptionError. */
  private pushArguments(args: (string | number)[], { name, data, opts, firing }: JobToAdd<D, N>, now: number): void {
    const { deduplication, ...given } = opts;
    for (const [option, value] of Object.entries(given)) {
      if (value !== undefined && !STORED_AS_GIVEN.has(option)) throw new UnsupportedJobOptionError(opts.jobId, `option ${option}`);
    }
    if (typeof opts.backoff === 'number') throw new UnsupportedJobOptionError(opts.jobId, 'a backoff given as a number (BullMQ stores it as an object)');
    let dedupId = '';
    let dedupTtl = 0;
    if (deduplication) {
      const { id, ttl, ...others } = deduplication;
      if (Object.keys(others).length > 0 || !(typeof ttl === 'number' && ttl > 0)) {
        throw new UnsupportedJobOptionError(opts.jobId, 'deduplication other than by an id with a time to live');
      }
      dedupId = id;
      dedupTtl = ttl;
    }
    // BullMQ's Job defaults `attempts` to 0 and stores `deduplication` as `de`; the
    // order of keys is not kept (Redis's JSON encoder never kept it either).
    const stored = deduplication ? { attempts: 0, ...given, de: deduplication } : { attempts: 0, ...given };
    args.push(
      opts.jobId,
      name,
      JSON.stringify(data === undefined ? {} : data),
      JSON.stringify(stored),
      opts.timestamp ?? now,
      dedupId,
      dedupTtl,
      firing?.indexKey ?? '',
      firing?.startsAtMs ?? 0,
    );
  }
}
