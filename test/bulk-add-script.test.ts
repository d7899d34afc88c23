import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BulkAddScript, JOBS_PER_CALL, UnsupportedBullmqError, type JobToAdd } from '@herald/core';
import { uniquePrefix } from './support/herald';

/*
 * BulkAddScript must leave Redis exactly as BullMQ's own Queue.addBulk does: the same job
 * hashes, the same wait list, the same deduplication keys and events, the same answers.
 * Each test adds the same jobs both ways, under two prefixes of one Redis, and compares.
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

/** Everything BullMQ keeps for a queue under `prefix`, with the prefix taken out of keys and values. */
async function snapshot(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const keys = (await redis.keys(`${prefix}:*`)).sort();
  const state: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await redis.type(key);
    const name = key.slice(prefix.length);
    if (type === 'hash') state[name] = await redis.hgetall(key);
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
    // Repeats of a job earlier in the batch and of one already queued, in more than one call.
    const first = [job('medium-0', 'fp-0', 0)];
    const batch = Array.from({ length: 2 * JOBS_PER_CALL + 7 }, (_, i) => job(`medium-${i + 1}`, `fp-${i % 90}`, i + 1));
    const viaBullmq = queue(uniquePrefix());
    const viaScript = queue(uniquePrefix());
    const script = new BulkAddScript(viaScript, redis);

    await viaBullmq.addBulk(first);
    await script.addBulk(first);
    const bullmqIds = (await viaBullmq.addBulk(batch)).map((added) => added.id);
    const scriptIds = (await script.addBulk(batch)).map((added) => added.id);

    expect(scriptIds).toEqual(bullmqIds);
    // The batch repeats 17 fingerprints of its own and fp-0 of the first call.
    expect(scriptIds.filter((id, i) => id !== batch[i]!.opts.jobId)).toHaveLength(18);
    expect(await snapshot(redis, viaScript.opts.prefix!)).toEqual(await snapshot(redis, viaBullmq.opts.prefix!));
  });

  it('When a job would be added another way than as a standard job, then the batch is refused and nothing of it is added', async () => {
    const target = queue(uniquePrefix());
    const script = new BulkAddScript(target, redis);
    const delayed: JobToAdd<Data, string> = { ...job('medium-late', 'fp-late', 1), opts: { jobId: 'medium-late', delay: 1000 } };

    await expect(script.addBulk([job('medium-ok', 'fp-ok', 0), delayed])).rejects.toThrow(UnsupportedBullmqError);
    expect(await target.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 0, delayed: 0 });
  });
});
