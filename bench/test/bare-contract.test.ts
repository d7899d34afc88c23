import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { findFreePort } from '@herald/devstack/free-port';
import { eventually } from '../../test/support/eventually';
import { ROOT, alertmanagerPayload, postJson, uniquePrefix, waitForOutput } from '../../test/support/herald';

/*
 * The bench's Herald/contract ratio is only honest if the "bare + contract" substrate really
 * does what the contract asks: these run its scripts as the bench does (bench/dist) against
 * the test Redis.
 */
const BARE = join(ROOT, 'bench/dist/bare');
const QUEUE = 'bare';

function run(script: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [join(BARE, script)], { env: { PATH: process.env.PATH, REDIS_URL: process.env.TEST_REDIS_URL!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('the bench substrate, bare and bare + contract', () => {
  let redis: Redis;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    redis = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: null });
  });
  afterEach(async () => {
    await stop(child);
    child = undefined;
  });
  afterAll(() => redis.disconnect());

  /** Starts bare-api.js and returns its webhook URL and its queue. */
  async function startApi(env: Record<string, string>): Promise<{ url: string; queue: Queue }> {
    const prefix = uniquePrefix();
    const port = await findFreePort();
    child = run('bare-api.js', { QUEUE_PREFIX: prefix, PORT: String(port), ...env });
    const origin = `http://127.0.0.1:${port}`;
    await eventually(async () => ((await fetch(`${origin}/healthz`).catch(() => undefined))?.ok ? true : undefined), 'bare-api to answer /healthz');
    return { url: `${origin}/webhook`, queue: new Queue(QUEUE, { connection: redis, prefix }) };
  }

  const webhook = alertmanagerPayload([{ labels: { alertname: 'A' } }, { labels: { alertname: 'B' } }]);

  it('When the contract API gets a body that is not an Alertmanager webhook, then it answers 400 and queues nothing', async () => {
    const { url, queue } = await startApi({ BARE_CONTRACT: '1' });

    const answer = await postJson(url, { ...webhook, version: undefined });

    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/version/);
    expect(await queue.count()).toBe(0);
  });

  it('When the contract API gets the same webhook twice, then it queues each alert once', async () => {
    const { url, queue } = await startApi({ BARE_CONTRACT: '1' });

    const first = await postJson(url, webhook);
    const second = await postJson(url, webhook);

    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body.jobs).toEqual(first.body.jobs);
    expect(await queue.count()).toBe(2);
  });

  it('When the bare API gets the same webhook twice, then it queues every alert twice, and an empty body is accepted', async () => {
    const { url, queue } = await startApi({});

    await postJson(url, webhook);
    await postJson(url, webhook);
    const empty = await postJson(url, {});

    expect(empty.status).toBe(202);
    expect(await queue.count()).toBe(4);
  });

  it('When the worker is told to keep completed jobs, then it keeps them by that rule', async () => {
    let received = 0;
    const sink: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const prefix = uniquePrefix();
    const queue = new Queue(QUEUE, { connection: redis, prefix });
    try {
      // As the contract substrate's API adds them: no retention of their own.
      await queue.addBulk(['a', 'b', 'c'].map((name) => ({ name: 'alert', data: { name }, opts: {} })));
      child = run('bare-worker.js', { QUEUE_PREFIX: prefix, SINK_URL: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`, BARE_KEEP_COMPLETED: JSON.stringify({ count: 1 }) });
      await waitForOutput(child, 'bare-worker ready');

      await eventually(async () => (received === 3 && (await queue.getWaitingCount()) + (await queue.getActiveCount()) === 0 ? true : undefined), 'the three jobs to be delivered and finished');

      expect(await queue.getCompletedCount()).toBe(1);
    } finally {
      await stop(child);
      child = undefined;
      await new Promise((resolve) => sink.close(resolve));
    }
  });
});
