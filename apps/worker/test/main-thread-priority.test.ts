import { capturingLogger } from '../../../test/support/log-capture';
import { PriorityRestore, YieldToUrgent, mainThreadPriority, type MainThreadPriority, type ThreadNice } from '../src/main-thread-priority';

const MAIN = 4242;

/** Threads' nice values as Linux keeps them, refusing to raise a priority when `privileged` is false. */
function fakeNice(start: number, privileged = true) {
  const nice = {
    value: start,
    history: [] as number[],
    get(threadId: number) {
      expect(threadId).toBe(MAIN);
      return nice.value;
    },
    set(threadId: number, value: number) {
      expect(threadId).toBe(MAIN);
      if (value < nice.value && !privileged) throw new Error('EACCES: permission denied');
      nice.value = value;
      nice.history.push(value);
    },
  };
  return nice satisfies ThreadNice;
}

/** Base 0, lowered 5, not held: a worker's main thread as it starts. */
function newPriority(): MainThreadPriority {
  return { threadId: MAIN, base: 0, lowered: 5, held: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT) };
}

/**
 * When the urgent queue last started a job, as `urgentTakenAt` reports it (`at` may change
 * between looks); `looks(n)` resolves once PriorityRestore has asked n more times, that is
 * after n more samples.
 */
function urgentClock(at: () => number | undefined) {
  let count = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    urgentTakenAt(): number | undefined {
      count += 1;
      for (const waiter of waiters.filter((w) => w.count <= count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return at();
    },
    looks(more: number): Promise<void> {
      return new Promise((resolve) => waiters.push({ count: count + more, resolve }));
    },
  };
}

describe('mainThreadPriority: the two priorities of the calling thread', () => {
  it('When asked, then it reads the nice value of the thread and lowers by `by`, never past 19; without a thread id (not Linux), or at 19 already, it gives none', () => {
    expect(mainThreadPriority(5, MAIN, fakeNice(0))).toEqual({ threadId: MAIN, base: 0, lowered: 5, held: expect.any(SharedArrayBuffer) });
    expect(mainThreadPriority(5, MAIN, fakeNice(17))).toEqual(expect.objectContaining({ threadId: MAIN, base: 17, lowered: 19 }));
    expect(mainThreadPriority(5, undefined, fakeNice(0))).toBeUndefined();
    expect(mainThreadPriority(5, MAIN, fakeNice(19))).toBeUndefined();
  });
});

describe('YieldToUrgent: the urgent lane lowers the main thread', () => {
  it('When an urgent job starts, then the main thread drops to its lowered value from its own; once there, or reniced by an operator to any other value, it is left alone', () => {
    const { logger, entries } = capturingLogger();
    const nice = fakeNice(0);
    const yielder = new YieldToUrgent(newPriority(), logger, nice);
    yielder.yieldNow();
    yielder.yieldNow();
    expect(nice.history).toEqual([5]);
    expect(entries().map((e) => [e.message, e.nice])).toEqual([['main thread priority lowered', 5]]);

    for (const operators of [12, 3, -5]) {
      const reniced = fakeNice(operators);
      new YieldToUrgent(newPriority(), logger, reniced).yieldNow();
      expect(reniced.history).toEqual([]);
    }
  });

  it('When lowering is refused, then it warns once and tries no more', () => {
    const { logger, entries } = capturingLogger();
    let attempts = 0;
    const nice: ThreadNice = {
      get: () => 0,
      set: () => {
        attempts += 1;
        throw new Error('EPERM: operation not permitted');
      },
    };
    const yielder = new YieldToUrgent(newPriority(), logger, nice);
    yielder.yieldNow();
    yielder.yieldNow();
    expect(attempts).toBe(1);
    expect(entries()).toEqual([expect.objectContaining({ level: 'warn', message: 'could not lower the main thread priority', nice: 5, error: expect.stringContaining('EPERM') })]);
  });
});

describe('PriorityRestore: the main thread takes its priority back once the urgent queue is quiet', () => {
  /** A thread the lane has lowered, as the restore finds it. */
  function lowered(privileged = true) {
    const { logger, entries } = capturingLogger();
    const priority = newPriority();
    const nice = fakeNice(0, privileged);
    new YieldToUrgent(priority, logger, nice).yieldNow();
    return { priority, nice, logger, entries: () => entries().filter((e) => e.message !== 'main thread priority lowered') };
  }

  it('When the last urgent job started less than `quietMs` ago, then it stays lowered; once longer, its priority comes back', async () => {
    const { priority, nice, logger, entries } = lowered();
    let now = 10_000;
    const clock = urgentClock(() => 9_500);
    const restore = new PriorityRestore({ priority, urgentTakenAt: clock.urgentTakenAt, quietMs: 1000, logger, nice, sampleMs: 1, now: () => now });
    restore.start();
    await clock.looks(3);
    expect(nice.value).toBe(5);

    now = 10_500;
    await clock.looks(3);
    restore.stop();
    expect(nice.history).toEqual([5, 0]);
    expect(entries().map((e) => [e.message, e.nice])).toEqual([['main thread priority restored', 0]]);
  });

  it('When the thread was not lowered by the lane (at its own value, or an operator reniced it, to the lowered value too), then it is left as it is', async () => {
    const { logger } = capturingLogger();
    for (const operators of [0, 12, 5]) {
      const nice = fakeNice(operators);
      const clock = urgentClock(() => undefined);
      const restore = new PriorityRestore({ priority: newPriority(), urgentTakenAt: clock.urgentTakenAt, quietMs: 1000, logger, nice, sampleMs: 1 });
      restore.start();
      await clock.looks(3);
      restore.stop();
      expect(nice.history).toEqual([]);
    }
  });

  it('When an operator renices the thread while the lane holds it lowered, then the value is theirs: neither given back nor lowered again', async () => {
    const { priority, nice, logger, entries } = lowered();
    nice.value = 12;
    const clock = urgentClock(() => undefined);
    const restore = new PriorityRestore({ priority, urgentTakenAt: clock.urgentTakenAt, quietMs: 1000, logger, nice, sampleMs: 1 });
    restore.start();
    await clock.looks(3);
    restore.stop();
    new YieldToUrgent(priority, logger, nice).yieldNow();
    expect(nice.history).toEqual([5]);
    expect(nice.value).toBe(12);
    expect(entries()).toEqual([expect.objectContaining({ level: 'info', message: expect.stringContaining('reniced while lowered'), nice: 12 })]);
  });

  it('When an urgent job starts while the priority is being given back, then the thread is lowered again', async () => {
    const { priority, nice, logger } = lowered();
    // Quiet when the restore looks; an urgent job started by the time it has raised the priority.
    let looks = 0;
    const clock = urgentClock(() => (++looks === 1 ? undefined : 20_000));
    const restore = new PriorityRestore({ priority, urgentTakenAt: clock.urgentTakenAt, quietMs: 1000, logger, nice, sampleMs: 1, now: () => 20_000 });
    restore.start();
    await clock.looks(3);
    restore.stop();
    expect(nice.history).toEqual([5, 0, 5]);
  });

  it('When the process may not raise its priority again (no CAP_SYS_NICE), then the thread stays lowered, warns once and stops looking', async () => {
    const { priority, nice, logger, entries } = lowered(false);
    const clock = urgentClock(() => undefined);
    const restore = new PriorityRestore({ priority, urgentTakenAt: clock.urgentTakenAt, quietMs: 1000, logger, nice, sampleMs: 1 });
    restore.start();
    await clock.looks(1);
    const sampling = restore.isSampling;
    restore.stop();

    expect(nice.value).toBe(5);
    expect(sampling).toBe(false);
    expect(entries()).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('keeps its lowered priority'), nice: 5, base: 0, error: expect.stringContaining('EACCES') })]);
  });
});
