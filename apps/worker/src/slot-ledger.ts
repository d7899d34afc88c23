/** Where the counts live in `SlotLedgerInit.counts`: slots in use, then one wake counter per pool. */
const BUSY = 0;
const FIRST_WAKE = 1;
/** A rank's head when none of its jobs waits. */
const NONE = -1n;

/**
 * `Atomics.waitAsync` (Node 16 on); TypeScript declares it only from lib es2024, which
 * would also admit what Node 20 lacks.
 */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** Everything a ledger is made of: plain data and shared memory, so it can be posted to a thread. */
export interface SlotLedgerInit {
  /** How many jobs may run at once across every pool (`WORKER_CONCURRENCY`). */
  readonly slots: number;
  /** Slots only rank 0 may take, unless a lower rank is overdue. */
  readonly reserved: number;
  /** The reserve while rank 0 is active: it took a slot within the last `activeWindowMs`. */
  readonly reservedWhileActive: number;
  readonly activeWindowMs: number;
  /** A lower-rank job that has waited this long is served before higher ranks. */
  readonly maxWaitMs: number;
  /** The pool that owns each rank; rank 0 is the most urgent. */
  readonly owners: readonly number[];
  /** Int32: slots in use, then a wake counter per pool. */
  readonly counts: SharedArrayBuffer;
  /** BigInt64 per rank: when its oldest waiting job started waiting (epoch ms), -1 when none waits. */
  readonly heads: SharedArrayBuffer;
  /** BigInt64: when rank 0 last took a slot (epoch ms), -1 before it ever did. */
  readonly lastUrgentTake: SharedArrayBuffer;
}

/** What `SlotLedger.create` needs; without `reservedWhileActive`, the reserve never grows. */
export type SlotLedgerOptions = Pick<SlotLedgerInit, 'slots' | 'reserved' | 'maxWaitMs' | 'owners'> &
  Partial<Pick<SlotLedgerInit, 'reservedWhileActive' | 'activeWindowMs'>>;

/**
 * SlotLedger is the one account of a worker process's delivery slots, kept in shared
 * memory so that pools in different threads (the urgent lane and the main thread) obey
 * one limit and one order. Each pool publishes when the oldest job of each of its ranks
 * started waiting; any pool may then decide, from the same numbers, whether a slot is
 * its rank's to take. The rule is the same as in a single pool: an overdue lower rank
 * first, else the most urgent waiting rank, with `reserved` slots left to rank 0.
 *
 * While rank 0 is active, its reserve grows to `reservedWhileActive`: every delivery the
 * lower ranks run keeps commands queued in Redis and requests in the host's other
 * processes, and an urgent job's own round trips wait behind them (bench/README.md,
 * finding 36).
 */
export class SlotLedger {
  private readonly counts: Int32Array;
  private readonly heads: BigInt64Array;
  private readonly lastUrgentTake: BigInt64Array;
  private readonly pools: number;

  static create(options: SlotLedgerOptions): SlotLedger {
    const pools = Math.max(...options.owners) + 1;
    const heads = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT * options.owners.length);
    new BigInt64Array(heads).fill(NONE);
    const lastUrgentTake = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
    new BigInt64Array(lastUrgentTake).fill(NONE);
    // A reserve needs a lower rank to hold back, and leaves them at least one slot.
    const reserve = (slots: number) => (options.owners.length > 1 ? Math.max(0, Math.min(slots, options.slots - 1)) : 0);
    const reserved = reserve(options.reserved);
    return new SlotLedger({
      ...options,
      reserved,
      reservedWhileActive: Math.max(reserved, reserve(options.reservedWhileActive ?? 0)),
      activeWindowMs: options.activeWindowMs ?? 0,
      counts: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (FIRST_WAKE + pools)),
      heads,
      lastUrgentTake,
    });
  }

  constructor(readonly init: SlotLedgerInit) {
    this.counts = new Int32Array(init.counts);
    this.heads = new BigInt64Array(init.heads);
    this.lastUrgentTake = new BigInt64Array(init.lastUrgentTake);
    this.pools = Math.max(...init.owners) + 1;
  }

  /** Slots in use, in every pool. */
  get busy(): number {
    return Atomics.load(this.counts, BUSY);
  }

  /** The ranks a pool owns, most urgent first. */
  ranksOf(pool: number): number[] {
    return this.init.owners.flatMap((owner, rank) => (owner === pool ? [rank] : []));
  }

  /**
   * Takes a slot for a job of `rank` that has waited since `waitingSince` if the rule gives
   * it one now. The job counts as waiting in its rank even when its pool has not published it.
   */
  tryTake(rank: number, waitingSince: number, now: number): boolean {
    for (;;) {
      const busy = Atomics.load(this.counts, BUSY);
      if (!this.mayTake(rank, waitingSince, busy, now)) return false;
      // Another thread may have taken or returned a slot since the load: then decide again.
      if (Atomics.compareExchange(this.counts, BUSY, busy, busy + 1) !== busy) continue;
      if (rank === 0) Atomics.store(this.lastUrgentTake, 0, BigInt(now));
      return true;
    }
  }

  /** Returns a slot, and wakes the other pools that have jobs waiting for one. */
  giveBack(pool: number): void {
    Atomics.sub(this.counts, BUSY, 1);
    this.wakeOthers(pool);
  }

  /**
   * Publishes when `rank`'s oldest waiting job started waiting (undefined: none waits). A
   * rank that stops waiting may let another pool's rank go ahead, so those pools are woken.
   */
  setHead(pool: number, rank: number, waitingSince: number | undefined): void {
    const head = waitingSince === undefined ? NONE : BigInt(waitingSince);
    const before = Atomics.exchange(this.heads, rank, head);
    if (before !== NONE && head !== before) this.wakeOthers(pool);
  }

  /** How often this pool has been woken so far; pass it to `wake` so no wake-up falls between. */
  wakeCount(pool: number): number {
    return Atomics.load(this.counts, FIRST_WAKE + pool);
  }

  /** Resolves once another pool wakes this one after `seen` wake-ups. Keeps no process alive. */
  async wake(pool: number, seen: number): Promise<void> {
    const waiting = waitAsync(this.counts, FIRST_WAKE + pool, seen);
    if (waiting.async) await waiting.value;
  }

  /**
   * While rank 0 is active, when its larger reserve lapses (epoch ms): lower-rank jobs it
   * holds back may take a slot then, even if no slot is freed meanwhile.
   */
  activeUntil(now: number): number | undefined {
    const { reserved, reservedWhileActive, activeWindowMs } = this.init;
    const last = this.urgentTakenAt();
    if (last === undefined || reservedWhileActive === reserved) return undefined;
    const until = last + activeWindowMs;
    return until > now ? until : undefined;
  }

  /** When rank 0 last took a slot (epoch ms); undefined if it never did. */
  urgentTakenAt(): number | undefined {
    const last = Atomics.load(this.lastUrgentTake, 0);
    return last === NONE ? undefined : Number(last);
  }

  /** Whether another pool exists that can wake this one. */
  get shared(): boolean {
    return this.pools > 1;
  }

  private wakeOthers(pool: number): void {
    for (let other = 0; other < this.pools; other++) {
      if (other === pool || !this.hasWaiting(other)) continue;
      Atomics.add(this.counts, FIRST_WAKE + other, 1);
      Atomics.notify(this.counts, FIRST_WAKE + other);
    }
  }

  private hasWaiting(pool: number): boolean {
    return this.init.owners.some((owner, rank) => owner === pool && Atomics.load(this.heads, rank) !== NONE);
  }

  private mayTake(rank: number, waitingSince: number, busy: number, now: number): boolean {
    const { slots, reserved, reservedWhileActive, maxWaitMs } = this.init;
    // When each rank's oldest job started waiting; undefined when none waits.
    const headOf = (r: number) => {
      const published = Atomics.load(this.heads, r);
      const since = published === NONE ? undefined : Number(published);
      if (r !== rank) return since;
      return since === undefined ? waitingSince : Math.min(since, waitingSince);
    };
    // An overdue lower rank goes first, the longest waiting of them, into any free slot.
    const overdueBefore = now - maxWaitMs;
    let overdue = -1;
    let overdueSince = Infinity;
    for (let r = 1; r < this.heads.length; r++) {
      const since = headOf(r);
      if (since !== undefined && since <= overdueBefore && since < overdueSince) {
        overdue = r;
        overdueSince = since;
      }
    }
    if (overdue >= 0) return overdue === rank && busy < slots;
    // Otherwise the most urgent rank with a job waiting.
    for (let r = 0; r < rank; r++) if (headOf(r) !== undefined) return false;
    if (rank === 0) return busy < slots;
    return busy < slots - (this.activeUntil(now) === undefined ? reserved : reservedWhileActive);
  }
}
