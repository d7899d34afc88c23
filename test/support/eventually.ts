/**
 * Polls `probe` until it returns a value other than undefined. For state that lives in
 * Redis or PostgreSQL and announces no event (a DLQ row, a job's state), polling is the
 * only honest way to wait; the timeout says what never happened.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
