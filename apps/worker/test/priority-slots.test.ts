import { PrioritySlots, SlotsClosedError } from '@herald/worker';

/** Records the order in which waiters get their slot. */
function recorder(slots: PrioritySlots) {
  const order: string[] = [];
  const releases = new Map<string, () => void>();
  const request = (name: string, rank: number, waitingSince: number) =>
    slots.acquire(rank, waitingSince).then((release) => {
      order.push(name);
      releases.set(name, release);
    });
  return { order, release: (name: string) => releases.get(name)!(), request };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('PrioritySlots', () => {
  it('When slots are free, then any rank gets one at once', async () => {
    const slots = PrioritySlots.single({ slots: 2, ranks: 3, maxWaitMs: 1000 });
    const r = recorder(slots);
    await Promise.all([r.request('low', 2, 0), r.request('high', 0, 0)]);
    expect(r.order).toEqual(['low', 'high']);
    expect(slots.busy).toBe(2);
  });

  it('When a slot frees, then the most urgent waiter gets it, first come first served within a rank', async () => {
    let now = 0;
    const slots = PrioritySlots.single({ slots: 1, ranks: 3, maxWaitMs: 1000, now: () => now });
    const r = recorder(slots);
    await r.request('running', 2, 0);
    void r.request('low1', 2, 0);
    void r.request('medium1', 1, 0);
    void r.request('high1', 0, 0);
    void r.request('high2', 0, 0);
    for (const name of ['running', 'high1', 'high2', 'medium1']) {
      r.release(name);
      await flush();
    }
    expect(r.order).toEqual(['running', 'high1', 'high2', 'medium1', 'low1']);
  });

  it('When a lower-rank job has waited maxWaitMs, then it is served before urgent ones', async () => {
    let now = 10_000;
    const slots = PrioritySlots.single({ slots: 1, ranks: 3, maxWaitMs: 1000, now: () => now });
    const r = recorder(slots);
    await r.request('running', 0, now);
    void r.request('old-low', 2, 8_500);
    void r.request('fresh-medium', 1, 9_900);
    void r.request('high', 0, 10_000);
    r.release('running');
    await flush();
    expect(r.order).toEqual(['running', 'old-low']);
    now = 10_100;
    r.release('old-low');
    await flush();
    expect(r.order.at(-1)).toBe('high');
  });

  it('When lower ranks fill every unreserved slot, then an urgent job still gets a reserved one at once', async () => {
    const slots = PrioritySlots.single({ slots: 3, ranks: 3, maxWaitMs: 1000, reserved: 1, now: () => 0 });
    const r = recorder(slots);
    await Promise.all([r.request('low1', 2, 0), r.request('medium1', 1, 0)]);
    void r.request('low2', 2, 0);
    await flush();
    expect(r.order).toEqual(['low1', 'medium1']);
    await r.request('high1', 0, 0);
    expect(r.order).toEqual(['low1', 'medium1', 'high1']);
    expect(slots.busy).toBe(3);
    // A freed slot goes to the waiting low job only while the reserve stays free.
    r.release('high1');
    await flush();
    expect(r.order.at(-1)).toBe('high1');
    r.release('low1');
    await flush();
    expect(r.order.at(-1)).toBe('low2');
    expect(slots.busy).toBe(2);
  });

  it('When a lower-rank job is overdue, then it may take the reserved slot too', async () => {
    let now = 0;
    const slots = PrioritySlots.single({ slots: 2, ranks: 2, maxWaitMs: 1000, reserved: 1, now: () => now });
    const r = recorder(slots);
    await Promise.all([r.request('high1', 0, 0), r.request('high2', 0, 0)]);
    void r.request('low', 1, 0);
    r.release('high1');
    await flush();
    // The freed slot is the reserved one: the low job, not yet overdue, waits.
    expect(r.order).toEqual(['high1', 'high2']);
    await r.request('high3', 0, 0);
    now = 1000;
    r.release('high2');
    await flush();
    expect(r.order).toEqual(['high1', 'high2', 'high3', 'low']);
  });

  it('When the pool closes, then waiters are refused and later releases do not fail', async () => {
    const slots = PrioritySlots.single({ slots: 1, ranks: 1, maxWaitMs: 1000 });
    const release = await slots.acquire(0, 0);
    const waiting = slots.acquire(0, 0);
    slots.close();
    await expect(waiting).rejects.toBeInstanceOf(SlotsClosedError);
    await expect(slots.acquire(0, 0)).rejects.toBeInstanceOf(SlotsClosedError);
    release();
    release();
    expect(slots.busy).toBe(0);
  });
});
