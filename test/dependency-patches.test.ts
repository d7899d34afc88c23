import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ioredisPipelinesPatched } from '../packages/core/src/queue/ioredis-patch';

const ROOT = resolve(__dirname, '..');

/**
 * Runs a script in a fresh node with V8's scavenge tracing, and returns the share of what it
 * allocated that V8 promoted, over the later half of the scavenges between the script's
 * `herald:start` and `herald:end` lines: the first ones still promote what loading the
 * packages and compiling their code left.
 */
function promotedShareOfWarmScavenges(script: string): number {
  const trace = execFileSync(process.execPath, ['--trace-gc-nvp', '-e', script], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const during = trace.slice(trace.indexOf('herald:start'), trace.indexOf('herald:end'));
  const scavenges = during.split('\n').filter((line) => line.includes('gc=s '));
  const warm = scavenges.slice(Math.floor(scavenges.length / 2));
  const field = (line: string, name: string) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(line)?.[1] ?? 0);
  expect(warm.length).toBeGreaterThanOrEqual(4);
  return warm.reduce((sum, line) => sum + field(line, 'promoted'), 0) / warm.reduce((sum, line) => sum + field(line, 'allocated'), 0);
}

/**
 * Herald patches ioredis (patches/ioredis+5.11.1.patch, applied by patch-package on install):
 * its pipelines each defined a `length` accessor of their own, with a closure over the
 * pipeline. V8 kept the hidden class that made in old space until a full collection, and
 * with it the pipeline, its commands and their replies: everything BullMQ's `addBulk` made
 * survived every scavenge and was promoted, and the API ran a full collection every second
 * or two at 500 webhooks/s (bench/README.md, finding 44). BullMQ's `augmentTransaction` did
 * the same with fresh closures stored on each pipeline (patches/bullmq+6.7.0.patch).
 */
describe('the ioredis and BullMQ patches', () => {
  it('When a role starts, then it finds the ioredis patch in place (it warns when it is not), and a pipeline still counts its commands', () => {
    expect(ioredisPipelinesPatched()).toBe(true);
    const redis = new Redis(process.env.TEST_REDIS_URL!, { lazyConnect: true });
    try {
      const pipeline = redis.pipeline();
      pipeline.set('herald:patch-check', '1').get('herald:patch-check');
      // `length` now comes from the prototype's getter.
      expect((pipeline as unknown as { length: number }).length).toBe(2);
    } finally {
      redis.disconnect();
    }
  });

  it('When a process adds 6,000 jobs with BullMQ, one `addBulk` each, then their objects die young too', () => {
    // BullMQ's own patch (patches/bullmq+6.7.0.patch): it gave each of its pipelines
    // closures of their own, which kept them alive the same way. Unpatched, about 6 % of what
    // it allocated was promoted at this rate; patched, about 1 % (jobs in flight).
    const script = `
      const { Queue } = require('bullmq');
      const queue = new Queue('patch-gc-${Date.now()}', { connection: { url: ${JSON.stringify(process.env.TEST_REDIS_URL)} }, prefix: 'herald-patch-gc' });
      let sent = 0;
      const next = () => {
        for (let i = 0; i < 3 && sent < 6000; i++, sent++) queue.addBulk([{ name: 'x', data: { sent, pad: 'x'.repeat(1000) } }]);
        if (sent < 6000) setTimeout(next, 1);
        else setTimeout(() => { console.log('herald:end'); void queue.obliterate({ force: true }).then(() => queue.close()); }, 50);
      };
      queue.waitUntilReady().then(() => { console.log('herald:start'); next(); });`;
    expect(promotedShareOfWarmScavenges(script)).toBeLessThan(0.03);
  });

  it('When a process sends 6,000 pipelines, then their objects die young: once it has warmed up, V8 promotes almost nothing of what they allocate', () => {
    // A fresh node, so that nothing else of the test runner's allocates; V8's own tracing
    // reports, per scavenge, what it allocated since the last one and what it promoted.
    const script = `
      const { Redis } = require('ioredis');
      const redis = new Redis(${JSON.stringify(process.env.TEST_REDIS_URL)});
      let sent = 0;
      const next = () => {
        for (let i = 0; i < 3 && sent < 6000; i++, sent++) {
          redis.pipeline().set('herald:patch-gc:' + (sent % 100), JSON.stringify({ sent, pad: 'x'.repeat(3000) })).exec();
        }
        if (sent < 6000) setTimeout(next, 1);
        else redis.quit().then(() => console.log('herald:end'));
      };
      redis.once('ready', () => { console.log('herald:start'); next(); });`;
    // Unpatched, a quarter to a third of it was promoted at each scavenge; patched, under 0.1 %.
    expect(promotedShareOfWarmScavenges(script)).toBeLessThan(0.01);
  });

  it('When a BullMQ Worker at concurrency 50 starts with 50 jobs waiting, then it starts the first as soon as it has it, not once it has fetched all fifty', async () => {
    // A Worker fetches jobs one after another until each of its slots has one. Unpatched, it
    // started none of them before the last fetch: fifty round trips to Redis before the first
    // delivery after a start, or after a burst reaches an idle worker (patches/bullmq+6.7.0.patch).
    const prefix = 'herald-patch-fetch';
    const name = `fetch-${Date.now()}`;
    const connection = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: null });
    const counter = new Redis(process.env.TEST_REDIS_URL!);
    const queue = new Queue(name, { connection, prefix });
    await queue.addBulk(Array.from({ length: 50 }, (_, i) => ({ name: 'x', data: { i } })));
    let activeWhenFirstStarted: Promise<number> | undefined;
    let finished = 0;
    let allFinished!: () => void;
    const done = new Promise<void>((resolve) => (allFinished = resolve));
    const worker = new Worker(
      name,
      async () => {
        // Jobs fetched so far are in the active list: read once, as the first job starts.
        activeWhenFirstStarted ??= counter.llen(`${prefix}:${name}:active`);
        await activeWhenFirstStarted;
        if (++finished === 50) allFinished();
      },
      { connection, prefix, concurrency: 50 },
    );
    try {
      await done;
      if (process.env.HERALD_TEST_REPORT) console.log(`active when the first job started: ${await activeWhenFirstStarted}`);
      expect(await activeWhenFirstStarted).toBeLessThan(10);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
      counter.disconnect();
    }
  });
});
