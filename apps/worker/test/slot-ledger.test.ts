import { PrioritySlots, SlotLedger } from '@herald/worker';

/**
 * Two pools on one ledger, as in a worker with an urgent lane: pool 1 owns rank 0
 * (high), pool 0 ranks 1 and 2 (medium, low). Both live in this thread here; the
 * wake-ups between them go through `Atomics.waitAsync` all the same.
 */
function twoPools(options: { slots: number; reserved?: number; reservedWhileActive?: number; activeWindowMs?: number; maxWaitMs?: number; now?: () => number }) {
  const ledger = SlotLedger.create({
    slots: options.slots,
    reserved: options.reserved ?? 0,
    reservedWhileActive: options.reservedWhileActive,
    activeWindowMs: options.activeWindowMs,
    maxWaitMs: options.maxWaitMs ?? 30_000,
    owners: [1, 0, 0],
  });
  const order: string[] = [];
  const releases = new Map<string, () => void>();
  const now = options.now ?? (() => 0);
  const pools = [new PrioritySlots(ledger, 0, now), new PrioritySlots(ledger, 1, now)];
  const request = (name: string, rank: number, waitingSince = 0) => {
    const granted = pools[rank === 0 ? 1 : 0]!.acquire(rank, waitingSince).then((release) => {
      order.push(name);
      releases.set(name, release);
    });
    return granted;
  };
  return { ledger, order, request, release: (name: string) => releases.get(name)!() };
}

/** One turn of the event loop: long enough for any grant that needs no wake-up to show. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

/**
 * For the one check that a wake-up grants nothing: there is no event to wait for, so this
 * gives a wrong grant, which would come through `Atomics.notify`, time to show.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('SlotLedger shared by two pools', () => {
  it('When the lower pool holds every slot, then a slot it frees goes to the urgent pool waiting in the other thread', async () => {
    const pools = twoPools({ slots: 2 });
    await Promise.all([pools.request('low1', 2), pools.request('low2', 2)]);
    const high1 = pools.request('high1', 0);
    void pools.request('low3', 2);
    await flush();
    expect(pools.order).toEqual(['low1', 'low2']);

    // Should low3 take the freed slot instead, high1 never gets one and the test times out.
    pools.release('low1');
    await high1;
    expect(pools.order).toEqual(['low1', 'low2', 'high1']);
    expect(pools.ledger.busy).toBe(2);
  });

  it('When the urgent pool frees a slot and has nothing waiting, then the lower pool is woken and takes it', async () => {
    const pools = twoPools({ slots: 1 });
    await pools.request('high1', 0);
    const medium1 = pools.request('medium1', 1);
    await flush();
    expect(pools.order).toEqual(['high1']);

    pools.release('high1');
    await medium1;
    expect(pools.order).toEqual(['high1', 'medium1']);
  });

  it('When lower ranks fill every unreserved slot, then the urgent pool still gets the reserved one at once', async () => {
    const pools = twoPools({ slots: 3, reserved: 1 });
    await Promise.all([pools.request('low1', 2), pools.request('medium1', 1)]);
    void pools.request('low2', 2);
    await flush();
    expect(pools.order).toEqual(['low1', 'medium1']);

    await pools.request('high1', 0);
    expect(pools.ledger.busy).toBe(3);
    // Freed by the urgent pool, the reserved slot is not the waiting low job's.
    pools.release('high1');
    await settle();
    expect(pools.order).toEqual(['low1', 'medium1', 'high1']);
    expect(pools.ledger.busy).toBe(2);
  });

  it('When a lower-rank job is overdue, then a slot the urgent pool frees goes to it before the next urgent job', async () => {
    let now = 10_000;
    const pools = twoPools({ slots: 1, maxWaitMs: 1000, now: () => now });
    await pools.request('high1', 0, now);
    const oldLow = pools.request('old-low', 2, 8_500);
    const high2 = pools.request('high2', 0, now);

    pools.release('high1');
    await oldLow;
    expect(pools.order).toEqual(['high1', 'old-low']);
    now = 10_100;
    pools.release('old-low');
    await high2;
    expect(pools.order).toEqual(['high1', 'old-low', 'high2']);
  });

  it('When the urgent rank took a slot within its active window, then lower ranks get only the slots its larger reserve leaves, and the rest once the window lapses', async () => {
    let now = 1_000;
    const pools = twoPools({ slots: 4, reserved: 1, reservedWhileActive: 2, activeWindowMs: 40, now: () => now });
    await pools.request('high1', 0, now);
    await pools.request('low1', 2, now);
    // Two of four slots busy: the usual reserve (1) would let medium1 in, the active one (2) does not.
    const medium1 = pools.request('medium1', 1, now);
    await flush();
    expect(pools.order).toEqual(['high1', 'low1']);
    expect(pools.ledger.activeUntil(now)).toBe(1_040);

    // No slot is freed: the pool looks again when the window lapses, on a timer of its own.
    now = 1_040;
    await medium1;
    expect(pools.order).toEqual(['high1', 'low1', 'medium1']);
    expect(pools.ledger.activeUntil(now)).toBeUndefined();
    expect(pools.ledger.busy).toBe(3);
  });

  it('When a lower-rank job is overdue, then it takes a slot the urgent rank holds back while active', async () => {
    const now = 10_000;
    const pools = twoPools({ slots: 4, reserved: 1, reservedWhileActive: 2, activeWindowMs: 60_000, maxWaitMs: 1000, now: () => now });
    await pools.request('high1', 0, now);
    await pools.request('low1', 2, now);
    void pools.request('medium1', 1, now);
    await flush();
    expect(pools.order).toEqual(['high1', 'low1']);

    await pools.request('old-low', 2, now - 5_000);
    expect(pools.order).toEqual(['high1', 'low1', 'old-low']);
  });
});
