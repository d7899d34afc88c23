import { SlotLedger } from './slot-ledger';

/** Thrown to jobs still waiting for a slot when the pool closes for shutdown. */
export class SlotsClosedError extends Error {
  override readonly name = 'SlotsClosedError';
  constructor() {
    super('worker is shutting down');
  }
}

/** A pool that is the only one of its worker: it owns every rank of its ledger. */
export interface SinglePoolOptions {
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
 * PrioritySlots is one thread's share of a worker's delivery slots: the jobs of the ranks
 * it owns wait here, first come first served within a rank, and the shared `SlotLedger`
 * decides which rank a free slot goes to (the most urgent waiting, unless a lower one is
 * overdue), whichever thread frees it. A pool whose job can run only after another
 * thread frees a slot is woken through the ledger.
 */
export class PrioritySlots {
  private readonly waiting = new Map<number, Waiter[]>();
  private closed = false;
  private watching = false;
  private reserveTimer: NodeJS.Timeout | undefined;

  static single(options: SinglePoolOptions): PrioritySlots {
    const ledger = SlotLedger.create({
      slots: options.slots,
      reserved: options.reserved ?? 0,
      maxWaitMs: options.maxWaitMs,
      owners: Array.from({ length: options.ranks }, () => 0),
    });
    return new PrioritySlots(ledger, 0, options.now);
  }

  constructor(
    readonly ledger: SlotLedger,
    private readonly pool: number,
    private readonly now: () => number = Date.now,
  ) {
    for (const rank of ledger.ranksOf(pool)) this.waiting.set(rank, []);
  }

  /** Slots in use, by every pool of the worker. */
  get busy(): number {
    return this.ledger.busy;
  }

  /**
   * Resolves with a release function once a slot is this job's. `waitingSince` is
   * when the job started waiting for one (epoch ms), which the starvation guard reads.
   */
  acquire(rank: number, waitingSince: number): Promise<() => void> {
    if (this.closed) return Promise.reject(new SlotsClosedError());
    const queue = this.waiting.get(rank);
    if (!queue) return Promise.reject(new RangeError(`rank ${rank} is not this pool's`));
    if (queue.length === 0 && this.ledger.tryTake(rank, waitingSince, this.now())) return Promise.resolve(this.releaser());
    return new Promise((grant, reject) => {
      queue.push({ waitingSince, grant, reject });
      if (queue.length === 1) this.ledger.setHead(this.pool, rank, waitingSince);
      this.dispatch();
    });
  }

  /** Refuses new waiters and fails the waiting ones; running jobs keep their slots. */
  close(): void {
    this.closed = true;
    clearTimeout(this.reserveTimer);
    for (const [rank, queue] of this.waiting) {
      const refused = queue.splice(0);
      if (refused.length > 0) this.ledger.setHead(this.pool, rank, undefined);
      for (const waiter of refused) waiter.reject(new SlotsClosedError());
    }
  }

  /**
   * Jobs held back by the urgent rank's larger reserve may go once it lapses, though no slot
   * is freed then (slow deliveries may hold every other one for their whole timeout).
   */
  private recheckWhenReserveLapses(): void {
    if (this.reserveTimer || !this.hasWaiters()) return;
    const now = this.now();
    const until = this.ledger.activeUntil(now);
    if (until === undefined) return;
    this.reserveTimer = setTimeout(() => {
      this.reserveTimer = undefined;
      this.dispatch();
    }, until - now).unref();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.ledger.giveBack(this.pool);
      this.dispatch();
    };
  }

  private hasWaiters(): boolean {
    for (const queue of this.waiting.values()) if (queue.length > 0) return true;
    return false;
  }

  /** Grants every slot the ledger gives this pool's waiters now, then watches for more. */
  private dispatch(): void {
    const seen = this.ledger.wakeCount(this.pool);
    let granted = true;
    while (granted) {
      granted = false;
      for (const [rank, queue] of this.waiting) {
        const head = queue[0];
        if (!head || !this.ledger.tryTake(rank, head.waitingSince, this.now())) continue;
        queue.shift();
        this.ledger.setHead(this.pool, rank, queue[0]?.waitingSince);
        head.grant(this.releaser());
        granted = true;
        break;
      }
    }
    this.recheckWhenReserveLapses();
    // A slot freed by another thread's pool reaches these waiters only through a wake-up.
    if (this.watching || !this.ledger.shared || !this.hasWaiters()) return;
    this.watching = true;
    void this.ledger.wake(this.pool, seen).then(() => {
      this.watching = false;
      this.dispatch();
    });
  }
}
