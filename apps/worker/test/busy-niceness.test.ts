import { capturingLogger } from '../../../test/support/log-capture';
import { BusyNiceness, type ThreadNice } from '../src/busy-niceness';

/** A thread's nice value as Linux keeps it, refusing to go back down when `privileged` is false. */
function fakeNice(start: number, privileged = true): ThreadNice & { value: number; history: number[] } {
  const nice = {
    value: start,
    history: [] as number[],
    get: () => nice.value,
    set(value: number) {
      if (value < nice.value && !privileged) throw new Error('EACCES: permission denied');
      nice.value = value;
      nice.history.push(value);
    },
  };
  return nice;
}

/**
 * Plays `samples` as the worker's load (busy or not), one per sample, and resolves `played`
 * once the last one was taken; after that the worker reads as quiet.
 */
function scriptedLoad(samples: boolean[]): { isBusy: () => boolean; played: Promise<void> } {
  let taken = 0;
  let done!: () => void;
  const played = new Promise<void>((resolve) => (done = resolve));
  return {
    isBusy() {
      taken += 1;
      if (taken === samples.length) done();
      return samples[taken - 1] ?? false;
    },
    played,
  };
}

const quiet = (n: number) => Array.from({ length: n }, () => false);

describe('BusyNiceness: the main thread yields the CPU while the worker is busy', () => {
  it('When it starts, then the thread drops by `by` nice levels at once, never past 19', () => {
    const { logger } = capturingLogger();
    const nice = fakeNice(0);
    const niceness = new BusyNiceness({ by: 5, logger, nice, isBusy: () => true, sampleMs: 60_000 });
    niceness.start();
    niceness.stop();
    expect(nice.value).toBe(5);
    expect(niceness.isYielding).toBe(true);

    const high = fakeNice(17);
    const capped = new BusyNiceness({ by: 5, logger, nice: high, isBusy: () => true, sampleMs: 60_000 });
    capped.start();
    capped.stop();
    expect(high.value).toBe(19);
  });

  it('When the worker is quiet for ten samples in a row, then the priority comes back; a busy sample in between starts the count again', async () => {
    const { logger, entries } = capturingLogger();
    const nice = fakeNice(0);
    const load = scriptedLoad([...quiet(9), true, ...quiet(10)]);
    const niceness = new BusyNiceness({ by: 5, logger, nice, isBusy: load.isBusy, sampleMs: 1 });
    niceness.start();
    await load.played;
    niceness.stop();

    expect(nice.history).toEqual([5, 0]);
    expect(niceness.isYielding).toBe(false);
    expect(entries().map((e) => [e.message, e.nice])).toEqual([
      ['main thread priority lowered', 5],
      ['main thread priority restored', 0],
    ]);
  });

  it('When a restored worker gets busy again, then its thread is lowered on the first busy sample', async () => {
    const { logger } = capturingLogger();
    const nice = fakeNice(0);
    const load = scriptedLoad([...quiet(10), false, false, true]);
    const niceness = new BusyNiceness({ by: 5, logger, nice, isBusy: load.isBusy, sampleMs: 1 });
    niceness.start();
    await load.played;
    niceness.stop();

    expect(nice.history).toEqual([5, 0, 5]);
    expect(niceness.isYielding).toBe(true);
  });

  it('When the process may not raise its priority again (no CAP_SYS_NICE), then the thread stays lowered, says so once and stops sampling', async () => {
    const { logger, entries } = capturingLogger();
    const nice = fakeNice(0, false);
    const load = scriptedLoad(quiet(10));
    const niceness = new BusyNiceness({ by: 5, logger, nice, isBusy: load.isBusy, sampleMs: 1 });
    niceness.start();
    await load.played;
    const sampling = niceness.isSampling;
    niceness.stop();

    expect(nice.value).toBe(5);
    expect(niceness.isYielding).toBe(true);
    expect(sampling).toBe(false);
    const refused = entries().filter((e) => e.level === 'info');
    expect(refused).toEqual([expect.objectContaining({ message: expect.stringContaining('keeps its lowered priority'), nice: 0, error: expect.stringContaining('EACCES') })]);
  });

  it('When lowering is refused after a restore, then it warns once and stops sampling', async () => {
    const { logger, entries } = capturingLogger();
    const nice = fakeNice(0);
    const set = nice.set;
    // Lowered at start, restored, then refused.
    nice.set = (value) => {
      if (nice.history.length >= 2) throw new Error('EPERM: operation not permitted');
      set(value);
    };
    const load = scriptedLoad([...quiet(10), true]);
    const niceness = new BusyNiceness({ by: 5, logger, nice, isBusy: load.isBusy, sampleMs: 1 });
    niceness.start();
    await load.played;
    const sampling = niceness.isSampling;
    niceness.stop();

    expect(nice.history).toEqual([5, 0]);
    expect(sampling).toBe(false);
    expect(entries().filter((e) => e.level === 'warn')).toEqual([expect.objectContaining({ message: 'could not lower the main thread priority', nice: 5 })]);
  });

  it('When even lowering is refused, then the worker runs on at its priority, with a warning, and samples nothing', () => {
    const { logger, entries } = capturingLogger();
    const nice: ThreadNice = {
      get: () => 0,
      set: () => {
        throw new Error('EPERM: operation not permitted');
      },
    };
    const niceness = new BusyNiceness({ by: 5, logger, nice, isBusy: () => true, sampleMs: 1 });
    niceness.start();
    const sampling = niceness.isSampling;
    niceness.stop();
    expect(niceness.isYielding).toBe(false);
    expect(sampling).toBe(false);
    expect(entries()).toEqual([expect.objectContaining({ level: 'warn', message: 'could not lower the main thread priority' })]);
  });
});
