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
  /**
   * Slots only rank 0 may take (unless a lower rank is overdue): an urgent job then finds
   * one free even while lower ranks keep the rest busy, instead of waiting for a delivery
   * to end. 0 with a single rank.
   */
  readonly reserved?: number;
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
 * first, so a stream of urgent jobs never starves the rest. `reserved` slots are left
 * to rank 0 (and to overdue jobs).
 */
export class PrioritySlots {
  private readonly waiting: Waiter[][];
  private free: number;
  private closed = false;
  private readonly now: () => number;
  private readonly reserved: number;

  constructor(private readonly options: PrioritySlotsOptions) {
    this.waiting = Array.from({ length: options.ranks }, () => []);
    this.free = options.slots;
    this.now = options.now ?? Date.now;
    this.reserved = options.ranks > 1 ? Math.min(options.reserved ?? 0, options.slots - 1) : 0;
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
    if (this.free > (rank === 0 ? 0 : this.reserved)) {
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
      const next = this.nextWaiter(this.free + 1);
      if (next) next.grant(this.releaser());
      else this.free += 1;
    };
  }

  /** The waiter to hand a freed slot to, when `free` slots would then be free. */
  private nextWaiter(free: number): Waiter | undefined {
    const overdueBefore = this.now() - this.options.maxWaitMs;
    let overdueRank = -1;
    for (let rank = 1; rank < this.waiting.length; rank++) {
      const head = this.waiting[rank]![0];
      if (head && head.waitingSince <= overdueBefore && (overdueRank < 0 || head.waitingSince < this.waiting[overdueRank]![0]!.waitingSince)) {
        overdueRank = rank;
      }
    }
    if (overdueRank >= 0) return this.waiting[overdueRank]!.shift();
    if (this.waiting[0]!.length > 0) return this.waiting[0]!.shift();
    if (free <= this.reserved) return undefined;
    for (const queue of this.waiting) {
      if (queue.length > 0) return queue.shift();
    }
    return undefined;
  }
}
