import { getPriority, setPriority } from 'node:os';
import { coerceError, type Logger } from '@herald/core';

/** How often the worker's load is read. Short, so a storm that starts is met within one sample. */
const SAMPLE_MS = 100;
/** The priority comes back after this many samples in a row that were not busy: one second. */
const QUIET_SAMPLES = 10;

/** The calling thread's nice value. Linux keeps one per thread; other systems one per process. */
export interface ThreadNice {
  get(): number;
  set(value: number): void;
}

const callingThreadNice: ThreadNice = {
  get: () => getPriority(0),
  set: (value) => setPriority(0, value),
};

export interface BusyNicenessOptions {
  /** How much the thread's nice value rises (its priority drops) while busy. */
  readonly by: number;
  /** Whether the worker is busy now (`startWorker`: half its slots or more in use). */
  readonly isBusy: () => boolean;
  readonly logger: Logger;
  readonly nice?: ThreadNice;
  readonly sampleMs?: number;
}

/**
 * BusyNiceness lowers the calling thread's CPU priority while the worker is busy, and gives
 * it back once the worker has been quiet for a second.
 *
 * The worker's main thread delivers the lower queues. While they have a backlog it is busy
 * all the time, and at a lower priority it yields the cores to the urgent lane, Redis and
 * the API, which a critical alert needs (bench/README.md, finding 29). At moderate load the
 * same lower priority only makes medium and low alerts wait behind every other process on
 * the host (finding 34), so the priority follows the load.
 *
 * The signal is the slots in use, not the event loop's utilisation: at 500 deliveries a
 * second the main thread's loop is already busy about half the time, bare BullMQ's too
 * (finding 34), while its slots are nearly all free; a backlog fills them within one fetch.
 *
 * Linux keeps a nice value per thread, so this leaves the urgent lane's thread and the
 * threads V8 started with the process as they were; a thread created later from this one
 * (libuv's pool, on its first use) keeps the value this one had then. Other systems apply
 * it to the whole process. Lowering one's priority needs no privilege; raising it back
 * needs CAP_SYS_NICE or a `nice` resource limit (RLIMIT_NICE) that allows it. Without
 * either, the thread stays at the lower priority once it took it: the behaviour of a
 * worker that always runs lowered.
 */
export class BusyNiceness {
  private readonly nice: ThreadNice;
  private readonly base: number;
  private readonly lowered: number;
  private timer: NodeJS.Timeout | undefined;
  private isLowered = false;
  private quietSamples = 0;

  constructor(private readonly options: BusyNicenessOptions) {
    this.nice = options.nice ?? callingThreadNice;
    this.base = this.nice.get();
    this.lowered = Math.min(19, this.base + options.by);
  }

  /**
   * Lowers the priority at once, since a worker usually starts into the backlog that
   * brought it up, and then follows the load.
   */
  start(): void {
    if (this.lowered === this.base || !this.change(this.lowered)) return;
    this.timer = setInterval(() => this.sample(), this.options.sampleMs ?? SAMPLE_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Whether the worker's load is still being followed. */
  get isSampling(): boolean {
    return this.timer !== undefined;
  }

  /** Whether the thread runs at its lowered priority now. */
  get isYielding(): boolean {
    return this.isLowered;
  }

  private sample(): void {
    const busy = this.options.isBusy();
    if (!this.isLowered) {
      // Refused (it never is on Linux): stop, rather than warn ten times a second.
      if (busy && !this.change(this.lowered)) this.stop();
      return;
    }
    this.quietSamples = busy ? 0 : this.quietSamples + 1;
    if (this.quietSamples < QUIET_SAMPLES) return;
    // Refused (no CAP_SYS_NICE, RLIMIT_NICE too low): the thread stays lowered for good.
    if (!this.change(this.base)) this.stop();
  }

  /** Sets the thread's nice value; says why and returns false if the system refuses. */
  private change(value: number): boolean {
    const lowering = value !== this.base;
    try {
      this.nice.set(value);
    } catch (error) {
      const detail = { nice: value, error: coerceError(error).message };
      if (lowering) this.options.logger.warn('could not lower the main thread priority', detail);
      else this.options.logger.info('the main thread keeps its lowered priority: raising it again needs CAP_SYS_NICE or a nice ulimit', detail);
      return false;
    }
    this.isLowered = lowering;
    this.quietSamples = 0;
    this.options.logger.debug(lowering ? 'main thread priority lowered' : 'main thread priority restored', { nice: value });
    return true;
  }
}
