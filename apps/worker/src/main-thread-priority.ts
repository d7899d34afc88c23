import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { Logger } from '@herald/core';
// Not the package's root: the urgent lane's thread loads this, and no configuration parser.
import { coerceError } from '@herald/core/delivery';

/** How often the main thread looks whether the urgent queue went quiet. */
const SAMPLE_MS = 100;

/**
 * Nice values by OS thread id. Linux keeps one per thread, and `setpriority` takes a thread
 * id where it takes a process id, so one thread may lower another of its process.
 */
export interface ThreadNice {
  get(threadId: number): number;
  set(threadId: number, value: number): void;
}

export const osThreadNice: ThreadNice = {
  get: (threadId) => getPriority(threadId),
  set: (threadId, value) => setPriority(threadId, value),
};

/** The calling thread's OS thread id, from Linux's /proc/thread-self ("<pid>/task/<tid>"); undefined elsewhere. */
export function osThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The worker main thread's two priorities, and whether Herald holds it lowered: plain data
 * and shared memory, posted to the urgent lane's thread.
 */
export interface MainThreadPriority {
  readonly threadId: number;
  /** Its nice value when the worker started, which it keeps while the urgent queue is quiet. */
  readonly base: number;
  /** Its nice value while the urgent queue is active. */
  readonly lowered: number;
  /**
   * Int32: 1 while Herald holds the thread at `lowered`. Only that is given back: a thread an
   * operator set to the same value (`renice 19`) is indistinguishable from it otherwise.
   */
  readonly held: SharedArrayBuffer;
}

/**
 * The priorities of the thread `threadId` (`osThreadId()`), lowering by `by` nice levels
 * (never past 19). Undefined when there is nothing to change: without a thread id, where a
 * nice value belongs to the whole process (any system but Linux) and lowering the main thread
 * would lower the urgent lane's thread with it, or for a thread already at 19.
 */
export function mainThreadPriority(by: number, threadId: number | undefined, nice: ThreadNice = osThreadNice): MainThreadPriority | undefined {
  if (threadId === undefined) return undefined;
  const base = nice.get(threadId);
  const lowered = Math.min(19, base + by);
  return lowered === base ? undefined : { threadId, base, lowered, held: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT) };
}

/**
 * YieldToUrgent is the urgent lane's half of strict priority on the CPU: when an urgent job
 * starts, the worker's main thread, which delivers the lower queues, drops to its lowered
 * priority. When the host's cores are saturated it then yields them to the urgent lane,
 * Redis and the API, which a critical alert needs (bench/README.md, finding 29).
 *
 * Only while urgent jobs run. Lowered whenever its own queues kept it busy (finding 34), the
 * main thread also gave its core away when nothing urgent waited, and a backlog of lower jobs
 * drained 8–10 % slower for it (finding 48). The lane lowers it itself, at once, rather than
 * leaving it to the main thread's next look, so the first urgent job of a burst has it too.
 * Lowering another thread of one's own process needs no privilege.
 */
export class YieldToUrgent {
  private readonly held: Int32Array;
  private refused = false;

  constructor(
    private readonly priority: MainThreadPriority,
    private readonly logger: Logger,
    private readonly nice: ThreadNice = osThreadNice,
  ) {
    this.held = new Int32Array(priority.held);
  }

  /** Lowers the main thread now, if it runs at its own priority (`base`). */
  yieldNow(): void {
    if (this.refused) return;
    const { threadId, base, lowered } = this.priority;
    try {
      // Lowered already, or an operator reniced it (`renice -p <pid>` moves only this
      // thread): leave it. Lowered from there, PriorityRestore would return it to `base`
      // and the operator's value would be lost.
      if (this.nice.get(threadId) !== base) return;
      this.nice.set(threadId, lowered);
      Atomics.store(this.held, 0, 1);
    } catch (error) {
      this.refused = true;
      this.logger.warn('could not lower the main thread priority', { nice: lowered, error: coerceError(error).message });
      return;
    }
    this.logger.debug('main thread priority lowered', { nice: lowered });
  }
}

export interface PriorityRestoreOptions {
  readonly priority: MainThreadPriority;
  /** When the urgent queue last started a job (epoch ms); undefined if it never did (`SlotLedger`). */
  readonly urgentTakenAt: () => number | undefined;
  /** The urgent queue counts as quiet once it started no job for this long. */
  readonly quietMs: number;
  readonly logger: Logger;
  readonly nice?: ThreadNice;
  readonly sampleMs?: number;
  readonly now?: () => number;
}

/**
 * PriorityRestore is the main thread's half: it gives the thread its priority back once the
 * urgent queue has been quiet for `quietMs`, looking every 100 ms.
 *
 * It only undoes `YieldToUrgent`'s lowering (`MainThreadPriority.held`): a thread an
 * operator reniced, before or while it was lowered, is left alone. Raising a priority needs
 * CAP_SYS_NICE or a `nice` resource limit (RLIMIT_NICE) that allows it. Without either, the
 * thread stays lowered from the first urgent job on, and this stops looking.
 */
export class PriorityRestore {
  private readonly nice: ThreadNice;
  private readonly now: () => number;
  private readonly yielder: YieldToUrgent;
  private readonly held: Int32Array;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PriorityRestoreOptions) {
    this.nice = options.nice ?? osThreadNice;
    this.now = options.now ?? Date.now;
    this.yielder = new YieldToUrgent(options.priority, options.logger, this.nice);
    this.held = new Int32Array(options.priority.held);
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), this.options.sampleMs ?? SAMPLE_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Whether it still looks (false once raising was refused). */
  get isSampling(): boolean {
    return this.timer !== undefined;
  }

  private sample(): void {
    const { priority, logger } = this.options;
    if (this.urgentActive() || Atomics.load(this.held, 0) !== 1) return;
    // Cleared before the thread is raised, not after: the lane may lower it again as soon as
    // it is raised, and the flag it then sets must stay.
    Atomics.store(this.held, 0, 0);
    const current = this.nice.get(priority.threadId);
    if (current !== priority.lowered) {
      logger.info('the main thread was reniced while lowered; it keeps the value it was given', { nice: current });
      return;
    }
    try {
      this.nice.set(priority.threadId, priority.base);
    } catch (error) {
      Atomics.store(this.held, 0, 1);
      // A warning: at nice 19 for good, the lower queues get only what other work leaves.
      logger.warn('the main thread keeps its lowered priority: raising it again needs CAP_SYS_NICE or a nice ulimit', {
        nice: priority.lowered,
        base: priority.base,
        error: coerceError(error).message,
      });
      this.stop();
      return;
    }
    logger.debug('main thread priority restored', { nice: priority.base });
    // An urgent job that started in between found the thread still lowered and left it.
    if (this.urgentActive()) this.yielder.yieldNow();
  }

  private urgentActive(): boolean {
    const last = this.options.urgentTakenAt();
    return last !== undefined && this.now() - last < this.options.quietMs;
  }
}
