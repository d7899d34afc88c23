import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLE_NODE_FLAGS, roleEntry } from '@herald/devstack/role-entries';
import { spawnUrgentLaneThread } from '@herald/worker';
import { Harness, exitOf, jobSpec, targetsFrom, testEnv, waitForOutput } from './support/herald';
import { startTargetServer, type TargetServer } from './support/target-server';
import { testTempDir } from './support/temp-dir';

function targetsFile(): string {
  const path = join(testTempDir('herald-targets-'), 'targets.yaml');
  writeFileSync(path, 'targets:\n  - { name: sink, type: webhook, url: "${SINK_URL}/hook" }\n');
  return path;
}

/** The first JSON log line the child prints with this message. */
function logEntry(child: ChildProcess, message: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no "${message}" log line within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.includes(`"message":"${message}"`)) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, unknown>);
      }
    });
  });
}

/** Every whole JSON log line the child prints from now on, so far. */
function collectLog(child: ChildProcess): () => Record<string, unknown>[] {
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return () =>
    output
      .split('\n')
      .slice(0, -1) // the last is empty, or a line still being written
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A thread's nice value, from Linux's /proc (field 19 of stat, counted after the command name). */
function niceOf(pid: number, tid = pid): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

function deliveredJobIds(sink: TargetServer): string[] {
  return sink.requests.map((r) => r.headers['x-herald-job-id'] as string);
}

describe('worker and API processes', () => {
  const harness = new Harness();
  afterEach(() => harness.closeAll());

  it('When a worker is killed with SIGKILL mid-batch, then a new worker delivers every job: none is lost', async () => {
    const sink = await startTargetServer(() => ({ status: 200, delayMs: 100 }));
    harness.defer(() => sink.close());
    const env = testEnv({ WORKER_CONCURRENCY: '10', WORKER_LOCK_MS: '2000', TARGETS_FILE: targetsFile(), SINK_URL: sink.url });
    const queues = harness.queues(env);
    const jobs = Array.from({ length: 200 }, (_, i) => jobSpec('medium', `kill-${i}`));
    await queues.add(jobs);

    const first = harness.spawnRole('worker', env);
    await sink.waitForRequests(30);
    const killed = exitOf(first);
    first.kill('SIGKILL');
    expect((await killed).signal).toBe('SIGKILL');
    const deliveredBeforeKill = new Set(deliveredJobIds(sink)).size;

    harness.spawnRole('worker', env);
    await sink.waitFor(() => new Set(deliveredJobIds(sink)).size === jobs.length, 30_000);

    expect(deliveredBeforeKill).toBeLessThan(jobs.length);
    expect(new Set(deliveredJobIds(sink))).toEqual(new Set(jobs.map((job) => job.jobId)));
    const counts = (await queues.counts()).medium;
    expect(counts.failed).toBe(0);
  });

  it('When a worker gets SIGTERM, then it finishes in-flight deliveries, returns jobs it had not started, and exits 0', async () => {
    const sink = await startTargetServer(() => ({ status: 200, delayMs: 400 }));
    harness.defer(() => sink.close());
    const env = testEnv({ WORKER_CONCURRENCY: '5', TARGETS_FILE: targetsFile(), SINK_URL: sink.url });
    const queues = harness.queues(env);
    const jobs = Array.from({ length: 30 }, (_, i) => jobSpec('medium', `term-${i}`));
    await queues.add(jobs);

    const worker = harness.spawnRole('worker', env);
    const exited = exitOf(worker);
    await sink.waitForRequests(5);
    worker.kill('SIGTERM');
    const { code } = await exited;

    expect(code).toBe(0);
    const inFlight = deliveredJobIds(sink);
    const afterExit = (await queues.counts()).medium;
    expect(afterExit).toMatchObject({ active: 0, failed: 0, completed: inFlight.length });
    expect(afterExit.waiting).toBe(jobs.length - inFlight.length);

    harness.spawnRole('worker', env);
    await sink.waitForRequests(jobs.length, 30_000);
    expect(deliveredJobIds(sink).sort()).toEqual(jobs.map((job) => job.jobId).sort());
  });

  it("When the urgent lane's thread dies, then the worker reports the failure, with the thread's exit code, to the hook that by default exits the process", async () => {
    const laneThread = spawnUrgentLaneThread();
    let reportFailure!: (error: Error) => void;
    const failure = new Promise<Error>((resolve) => (reportFailure = resolve));
    await harness.worker(testEnv(), targetsFrom('targets:\n  - { name: sink, type: webhook, url: "http://127.0.0.1:9/hook" }\n'), { laneThread, onLaneFailure: reportFailure });

    await laneThread.worker.terminate();
    expect((await failure).message).toBe('urgent lane stopped with exit code 1');
  });

  it("When a worker runs an urgent lane, then its main thread runs at the lowest priority (nice 19) while urgent jobs are delivered, and at the lane's level otherwise, busy or not", async () => {
    const sink = await startTargetServer(() => ({ status: 200, delayMs: 300 }));
    harness.defer(() => sink.close());
    const env = testEnv({ LOG_LEVEL: 'debug', WORKER_CONCURRENCY: '4', TARGETS_FILE: targetsFile(), SINK_URL: sink.url });
    const worker = harness.spawnRole('worker', env);
    const log = collectLog(worker);
    const started = logEntry(worker, 'urgent lane started');
    const loweredAtStart = logEntry(worker, 'main thread priority lowered');

    const laneThread = (await started).osThreadId as number;
    expect(laneThread).toEqual(expect.any(Number));
    expect(laneThread).not.toBe(worker.pid);
    const laneNice = niceOf(worker.pid!, laneThread);
    const lowered = Math.min(19, laneNice + 19);
    // Lowered while the lane's thread loads, given back once it fetches. Returning takes
    // CAP_SYS_NICE: root has it (CI, the sessions); other users keep the lowered priority
    // unless a nice ulimit allows more, and the worker says so.
    expect((await loweredAtStart).nice).toBe(lowered);
    if (process.getuid?.() !== 0) {
      await logEntry(worker, 'the main thread keeps its lowered priority: raising it again needs CAP_SYS_NICE or a nice ulimit');
      expect(niceOf(worker.pid!)).toBe(lowered);
      return;
    }
    const restoredAfterStart = logEntry(worker, 'main thread priority restored');
    expect((await restoredAfterStart).nice).toBe(laneNice);
    expect(niceOf(worker.pid!)).toBe(laneNice);

    // Eight slow medium deliveries keep the four slots busy for about 600 ms: the lower
    // queues alone keep their priority.
    const queues = harness.queues(env);
    await queues.add(Array.from({ length: 8 }, (_, i) => jobSpec('medium', `busy-${i}`)));
    await sink.waitForRequests(8);
    expect(niceOf(worker.pid!)).toBe(laneNice);
    expect(log().filter((entry) => entry.message === 'main thread priority lowered')).toHaveLength(1);

    // An urgent job lowers it (the lane does, as the job starts) until the urgent queue has
    // been quiet for a second.
    const loweredForUrgent = logEntry(worker, 'main thread priority lowered');
    const restored = logEntry(worker, 'main thread priority restored');
    await queues.add([jobSpec('high', 'urgent-1')]);
    expect((await loweredForUrgent).lane).toBe('urgent');
    expect(niceOf(worker.pid!)).toBe(lowered);
    // Only the main thread: Linux gives a new thread its creator's nice value for life, so a
    // thread made while the main thread was lowered (libuv's pool, which resolves targets'
    // host names; V8's helpers) would deliver urgent alerts' lookups at nice 19.
    const others = readdirSync(`/proc/${worker.pid}/task`).map(Number).filter((tid) => tid !== worker.pid);
    expect(others.map((tid) => niceOf(worker.pid!, tid))).toEqual(others.map(() => laneNice));
    await sink.waitForRequests(9);
    expect((await restored).nice).toBe(laneNice);
    expect(niceOf(worker.pid!)).toBe(laneNice);
  });

  it('When a worker starts, then both its threads load their code with the code cache the build made for it', async () => {
    const worker = harness.spawnRole('worker', testEnv({ LOG_LEVEL: 'info', TARGETS_FILE: targetsFile(), SINK_URL: 'http://127.0.0.1:9' }));
    const lane = logEntry(worker, 'urgent lane started');
    const started = logEntry(worker, 'worker started');

    expect({ lane: (await lane).codeCache, main: (await started).codeCache }).toEqual({ lane: 'used', main: 'used' });
  });

  it('When a worker is started without its node flags, then it starts, says which are missing, and its code caches are refused', async () => {
    const worker = harness.spawnRole('worker', testEnv({ LOG_LEVEL: 'info', TARGETS_FILE: targetsFile(), SINK_URL: 'http://127.0.0.1:9' }), [roleEntry('worker')]);
    const lane = logEntry(worker, 'urgent lane started');
    const started = logEntry(worker, 'worker started');
    const warned = logEntry(worker, "started without the worker's node flags: it delivers the same, more slowly (`npm run worker` passes them)");

    expect({ lane: (await lane).codeCache, main: (await started).codeCache }).toEqual({ lane: 'rejected', main: 'rejected' });
    expect((await warned).missing).toEqual(ROLE_NODE_FLAGS.worker);
  });

  it('When a worker serves a single queue (no urgent lane), then its main thread keeps its priority', async () => {
    const worker = harness.spawnRole('worker', testEnv({ LOG_LEVEL: 'info', WORKER_QUEUES: 'high', TARGETS_FILE: targetsFile(), SINK_URL: 'http://127.0.0.1:9' }));
    await logEntry(worker, 'worker started');
    expect(niceOf(worker.pid!)).toBe(niceOf(process.pid));
  });

  it('When the API gets SIGTERM, then it stops and exits 0', async () => {
    const api = harness.spawnRole('api', testEnv({ PORT: '0', LOG_LEVEL: 'info' }));
    const exited = exitOf(api);
    await waitForOutput(api, 'api listening');
    api.kill('SIGTERM');
    const { code, output } = await exited;
    expect(code).toBe(0);
    expect(output).toContain('"message":"shutting down"');
  });
});
