import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BulkAddScript, FIRING_INDEX_TTL_MS, JOBS_PER_CALL, UnsupportedJobOptionError, type JobToAdd } from '@herald/core';
import { uniquePrefix } from './support/herald';

/*
 * BulkAddScript must leave Redis exactly as BullMQ's own Queue.addBulk does: the same job
 * hashes, the same wait list, the same deduplication keys and events, the same answers.
 * Each comparison adds the same jobs both ways, under two prefixes of one Redis. It is
 * also what fails first should a BullMQ upgrade store jobs differently.
 */

interface Data {
  readonly fingerprint: string;
  readonly n: number;
}

const TIMESTAMP = 1_790_000_000_000;

function job(id: string, fingerprint: string, n: number): JobToAdd<Data, string> {
  return {
    name: 'sink',
    data: { fingerprint, n },
    opts: { jobId: id, timestamp: TIMESTAMP, attempts: 3, backoff: { type: 'herald' }, deduplication: { id: `sink|${fingerprint}`, ttl: 60_000 } },
  };
}

function withParsedOptions(hash: Record<string, string>): Record<string, unknown> {
  return hash.opts === undefined ? hash : { ...hash, opts: JSON.parse(hash.opts) as unknown };
}

/** Everything BullMQ keeps for a queue under `prefix`, with the prefix taken out of keys and values. */
async function snapshot(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const keys = (await redis.keys(`${prefix}:*`)).sort();
  const state: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await redis.type(key);
    const name = key.slice(prefix.length);
    // Redis's JSON encoder, which BullMQ stores options with, keeps no order of keys.
    if (type === 'hash') state[name] = withParsedOptions(await redis.hgetall(key));
    else if (type === 'list') state[name] = await redis.lrange(key, 0, -1);
    else if (type === 'zset') state[name] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'string') state[name] = { value: await redis.get(key), expires: (await redis.pttl(key)) > 0 };
    // Stream entry ids are times; their fields are what a listener reads.
    else if (type === 'stream') state[name] = (await redis.xrange(key, '-', '+')).map(([, fields]) => fields);
    else state[name] = type;
  }
  return JSON.parse(JSON.stringify(state).replaceAll(prefix, '<prefix>')) as Record<string, unknown>;
}

describe('BulkAddScript', () => {
  let redis: Redis;
  const queues: Queue<Data, unknown, string>[] = [];

  function queue(prefix: string): Queue<Data, unknown, string> {
    const made = new Queue<Data, unknown, string>('publish-medium', { connection: redis, prefix });
    queues.push(made);
    return made;
  }

  beforeAll(() => {
    redis = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: null });
  });

  afterAll(async () => {
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
  });

  it(`When ${2 * JOBS_PER_CALL + 7} jobs with repeats among them are added, then Redis holds what Queue.addBulk leaves and every job gets the same answer`, async () => {
    // Repeats of a job earlier in the batch and of one already queued, in more than one
    // call, and a job whose id is already taken.
    const first = [job('medium-0', 'fp-0', 0)];
    const batch = Array.from({ length: 2 * JOBS_PER_CALL + 7 }, (_, i) => job(`medium-${i + 1}`, `fp-${i % 90}`, i + 1));
    batch.splice(60, 0, job('medium-0', 'fp-taken-id', 0));
    const viaBullmq = queue(uniquePrefix());
    const viaScript = queue(uniquePrefix());
    const script = new BulkAddScript(viaScript, redis);

    await viaBullmq.addBulk(first);
    await script.addBulk(first);
    const bullmqIds = (await viaBullmq.addBulk(batch)).map((added) => added.id);
    const scriptIds = await script.addBulk(batch);

    expect(scriptIds).toEqual(bullmqIds);
    // The batch repeats 17 fingerprints of its own and fp-0 of the first call.
    expect(scriptIds.filter((id, i) => id !== batch[i]!.opts.jobId)).toHaveLength(18);
    expect(await snapshot(redis, viaScript.opts.prefix!)).toEqual(await snapshot(redis, viaBullmq.opts.prefix!));
    // What a worker reads back is the job as given.
    const stored = await viaScript.getJob('medium-5');
    expect({ name: stored?.name, data: stored?.data, opts: stored?.opts, timestamp: stored?.timestamp, deduplicationId: stored?.deduplicationId }).toEqual({
      name: 'sink',
      data: { fingerprint: 'fp-4', n: 5 },
      opts: { ...batch[4]!.opts },
      timestamp: TIMESTAMP,
      deduplicationId: 'sink|fp-4',
    });
  });

  it('When the queue is paused, or as busy as its global concurrency allows, then jobs wait as Queue.addBulk leaves them, with no marker to wake a worker', async () => {
    for (const hold of [(q: Queue<Data, unknown, string>) => q.pause(), (q: Queue<Data, unknown, string>) => q.setGlobalConcurrency(0)]) {
      const viaBullmq = queue(uniquePrefix());
      const viaScript = queue(uniquePrefix());
      await hold(viaBullmq);
      await hold(viaScript);
      const jobs = [job('medium-1', 'fp-1', 1), job('medium-2', 'fp-2', 2)];

      await viaBullmq.addBulk(jobs);
      await new BulkAddScript(viaScript, redis).addBulk(jobs);

      const state = await snapshot(redis, viaScript.opts.prefix!);
      expect(state).toEqual(await snapshot(redis, viaBullmq.opts.prefix!));
      expect(state[':publish-medium:marker']).toBeUndefined();
    }
  });

  it('When a firing job is queued, then its FiringJobIndex entry is written by the same call, and a repeat that is dropped writes none', async () => {
    const target = queue(uniquePrefix());
    const script = new BulkAddScript(target, redis);
    const indexKey = `${target.opts.prefix!}:firing:sink:fp-fire`;
    const startsAtMs = Date.parse('2026-11-22T10:00:00Z');

    await script.addBulk([{ ...job('medium-fire', 'fp-fire', 1), firing: { indexKey, startsAtMs } }]);
    expect(await redis.get(indexKey)).toBe(`${startsAtMs}|${target.toKey('medium-fire')}`);
    expect(await redis.pttl(indexKey)).toBeGreaterThan(FIRING_INDEX_TTL_MS - 60_000);

    // A repeat of the same notification, even one naming a later episode, changes nothing.
    const ids = await script.addBulk([{ ...job('medium-again', 'fp-fire', 2), firing: { indexKey, startsAtMs: startsAtMs + 1000 } }]);
    expect(ids).toEqual(['medium-fire']);
    expect(await redis.get(indexKey)).toBe(`${startsAtMs}|${target.toKey('medium-fire')}`);
  });

  it('When a job names an option the script does not store as BullMQ would, then the batch is refused and nothing of it is added', async () => {
    const target = queue(uniquePrefix());
    const script = new BulkAddScript(target, redis);
    const refused: JobToAdd<Data, string>[] = [
      { ...job('medium-late', 'fp-late', 1), opts: { jobId: 'medium-late', delay: 1000 } },
      { ...job('medium-urgent', 'fp-urgent', 1), opts: { jobId: 'medium-urgent', priority: 1 } },
      { ...job('medium-forever', 'fp-forever', 1), opts: { jobId: 'medium-forever', deduplication: { id: 'forever' } } },
      { ...job('medium-fixed', 'fp-fixed', 1), opts: { jobId: 'medium-fixed', backoff: 1000 } },
    ];

    for (const bad of refused) {
      await expect(script.addBulk([job('medium-ok', 'fp-ok', 0), bad])).rejects.toThrow(UnsupportedJobOptionError);
    }
    expect(await target.getJobCounts('waiting', 'delayed', 'prioritized')).toEqual({ waiting: 0, delayed: 0, prioritized: 0 });
  });
});
