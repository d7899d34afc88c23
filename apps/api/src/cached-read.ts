/**
 * Wraps an expensive read so that calls within `ttlMs` share one result: several
 * scrapers, or replicas' dashboards, cost one query. A failed read is not cached.
 */
export function cachedRead<T>(read: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      const value = read();
      cached = { at: Date.now(), value };
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
    }
    return cached.value;
  };
}
