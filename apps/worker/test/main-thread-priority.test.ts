import { capturingLogger } from '../../../test/support/log-capture';
import { PriorityRestore, YieldToUrgent, mainThreadPriority, type MainThreadPriority, type ThreadNice } from '../src/main-thread-priority';

const MAIN = 4242;

/**
 * Threads' nice values as Linux keeps them, refusing to raise a priority when `privileged`
 * is false. `reads(n)` resolves once the value was read n times in all.
 */
function fakeNice(start: number, privileged = true) {
  let readCount = 0;
  const readers: { count: number; resolve: () => void }[] = [];
  const nice = {
    value: start,
    history: [] as number[],
    get(threadId: number) {
      expect(threadId).toBe(MAIN);
      readCount += 1;
      for (const reader of readers.filter((r) => r.count <= readCount)) {
        readers.splice(readers.indexOf(reader), 1);
        reader.resolve();
      }
      return nice.value;
    },
    set(threadId: number, value: number) {
      expect(threadId).toBe(MAIN);
      if (value < nice.value && !privileged) throw new Error('EACCES: permission denied');
      nice.value = value;
      nice.history.push(value);
    },
    /** Resolves once `more` further reads happened. */
    reads(more: number): Promise<void> {
      return new Promise((resolve) => readers.push({ count: readCount + more, resolve }));
    },
  };
  return nice satisfies ThreadNice;
}

const priority: MainThreadPriority = { threadId: MAIN, base: 0, lowered: 5 };

describe('mainThreadPriority: the two priorities of the calling thread', () => {
  it('When asked, then it reads the nice value of the thread and lowers by `by`, never past 19; without a thread id (not Linux), or at 19 already, it gives none', () => {
    expect(mainThreadPriority(5, MAIN, fakeNice(0))).toEqual({ threadId: MAIN, base: 0, lowered: 5 });
    expect(mainThreadPriority(5, MAIN, fakeNice(17))).toEqual({ threadId: MAIN, base: 17, lowered: 19 });
    expect(mainThreadPriority(5, undefined, fakeNice(0))).toBeUndefined();
    expect(mainThreadPriority(5, MAIN, fakeNice(19))).toBeUndefined();
  });
});

describe('YieldToUrgent: the urgent lane lowers the main thread', () => {
  it('When an urgent job starts, then the main thread drops to its lowered value; once there, or lower still, it is left alone', () => {
    const { logger, entries } = capturingLogger();
    const nice = fakeNice(0);
    const yielder = new YieldToUrgent(priority, logger, nice);
    yielder.yieldNow();
    yielder.yieldNow();
    expect(nice.history).toEqual([5]);
    expect(entries().map((e) => [e.message, e.nice])).toEqual([['main thread priority lowered', 5]]);

    const reniced = fakeNice(12);
    new YieldToUrgent(priority, logger, reniced).yieldNow();
    expect(reniced.history).toEqual([]);
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
    const yielder = new YieldToUrgent(priority, logger, nice);
    yielder.yieldNow();
    yielder.yieldNow();
    expect(attempts).toBe(1);
    expect(entries()).toEqual([expect.objectContaining({ level: 'warn', message: 'could not lower the main thread priority', nice: 5, error: expect.stringContaining('EPERM') })]);
  });
});

describe('PriorityRestore: the main thread takes its priority back once the urgent queue is quiet', () => {
  it('When the last urgent job started less than `quietMs` ago, then it stays lowered; once longer, its priority comes back', async () => {
    const { logger, entries } = capturingLogger();
    const nice = fakeNice(5);
    let now = 10_000;
    const restore = new PriorityRestore({ priority, urgentTakenAt: () => 9_500, quietMs: 1000, logger, nice, sampleMs: 1, now: () => now });
    restore.start();
    await nice.reads(3);
    expect(nice.history).toEqual([]);

    now = 10_500;
    await nice.reads(3);
    restore.stop();
    expect(nice.history).toEqual([0]);
    expect(entries().map((e) => [e.message, e.nice])).toEqual([['main thread priority restored', 0]]);
  });

  it('When the thread is not at the lowered value (never lowered, or an operator reniced it), then it is left as it is', async () => {
    const { logger } = capturingLogger();
    const nice = fakeNice(12);
    const restore = new PriorityRestore({ priority, urgentTakenAt: () => undefined, quietMs: 1000, logger, nice, sampleMs: 1 });
    restore.start();
    await nice.reads(3);
    restore.stop();
    expect(nice.history).toEqual([]);
  });

  it('When an urgent job starts while the priority is being given back, then the thread is lowered again', async () => {
    const { logger } = capturingLogger();
    const nice = fakeNice(5);
    // Quiet when the restore looks; an urgent job started by the time it has raised the priority.
    let looks = 0;
    const urgentTakenAt = () => (++looks === 1 ? undefined : 20_000);
    const restore = new PriorityRestore({ priority, urgentTakenAt, quietMs: 1000, logger, nice, sampleMs: 1, now: () => 20_000 });
    restore.start();
    await nice.reads(3);
    restore.stop();
    expect(nice.history).toEqual([0, 5]);
  });

  it('When the process may not raise its priority again (no CAP_SYS_NICE), then the thread stays lowered, warns once and stops looking', async () => {
    const { logger, entries } = capturingLogger();
    const nice = fakeNice(5, false);
    const restore = new PriorityRestore({ priority, urgentTakenAt: () => undefined, quietMs: 1000, logger, nice, sampleMs: 1 });
    restore.start();
    await nice.reads(1);
    const sampling = restore.isSampling;
    restore.stop();

    expect(nice.value).toBe(5);
    expect(sampling).toBe(false);
    expect(entries()).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('keeps its lowered priority'), nice: 5, base: 0, error: expect.stringContaining('EACCES') })]);
  });
});
