/** Thrown to jobs still waiting for a slot when the pool closes for shutdown. */
export class SlotsClosedError extends Error {
  override readonly name = 'SlotsClosedError';
  constructor() {
    super('worker is shutting down');
  }
}

export interface PrioritySlotsOptions {
  /** How many jobs may run at once (`WORKER_CONCURRENCY`). */
  readonly slots: number;
  /** How many ranks there are; rank 0 is the most urgent. */
  readonly ranks: number;
  /** A lower-rank waiter that has waited this long is served before higher ranks. */
  readonly maxWaitMs: number;
  readonly now?: () => number;
}

interface Waiter {
  readonly waitingSince: number;
  readonly grant: (release: () => void) => void;
  readonly reject: (error: Error) => void;
}

/**
 * PrioritySlots is a worker's pool of delivery slots shared by its queues. A free slot
 * goes to the most urgent rank with a job waiting, first come first served within a
 * rank, except that a lower rank whose oldest job has waited `maxWaitMs` is served
 * first, so a stream of urgent jobs never starves the rest.
 */
export class PrioritySlots {
  private readonly waiting: Waiter[][];
  private free: number;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: PrioritySlotsOptions) {
    this.waiting = Array.from({ length: options.ranks }, () => []);
    this.free = options.slots;
    this.now = options.now ?? Date.now;
  }

  /** Slots in use. */
  get busy(): number {
    return this.options.slots - this.free;
  }

  /**
   * Resolves with a release function once a slot is this job's. `waitingSince` is
   * when the job started waiting for one (epoch ms), which the starvation guard reads.
   */
  acquire(rank: number, waitingSince: number): Promise<() => void> {
    if (this.closed) return Promise.reject(new SlotsClosedError());
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((grant, reject) => {
      this.waiting[rank]!.push({ waitingSince, grant, reject });
    });
  }

  /** Refuses new waiters and fails the waiting ones; running jobs keep their slots. */
  close(): void {
    this.closed = true;
    for (const queue of this.waiting) {
      for (const waiter of queue.splice(0)) waiter.reject(new SlotsClosedError());
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.nextWaiter();
      if (next) next.grant(this.releaser());
      else this.free += 1;
    };
  }

  private nextWaiter(): Waiter | undefined {
    const overdueBefore = this.now() - this.options.maxWaitMs;
    let overdueRank = -1;
    for (let rank = 1; rank < this.waiting.length; rank++) {
      const head = this.waiting[rank]![0];
      if (head && head.waitingSince <= overdueBefore && (overdueRank < 0 || head.waitingSince < this.waiting[overdueRank]![0]!.waitingSince)) {
        overdueRank = rank;
      }
    }
    if (overdueRank >= 0) return this.waiting[overdueRank]!.shift();
    for (const queue of this.waiting) {
      if (queue.length > 0) return queue.shift();
    }
    return undefined;
  }
}
