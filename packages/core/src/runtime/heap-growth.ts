import { setFlagsFromString } from 'node:v8';

/** The old generation may grow to this much above its live size before a full collection. */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Caps how far V8 lets the heap grow between full collections.
 *
 * When collection is cheap, V8 lets the old generation reach up to four times its live
 * size before collecting it. Herald's processes hold about 30 MB of live objects but keep
 * promoting the state of requests and jobs in flight, so under load their heap climbed to
 * about 140 MB between collections, and RSS with it; it never came back down. Growing by
 * at most half keeps RSS near the live size (API: 180–215 → 133–145 MB), for a full
 * collection of a few milliseconds every second or two. The price is about 5–10 % more CPU
 * under saturating load (bench/README.md, "Findings").
 *
 * V8 reads the flag whenever it sizes the heap after a collection, so setting it here works:
 * it lowered RSS as much as the same flag on the command line. An operator who prefers CPU
 * to memory sets `--heap-growing-percent` in NODE_OPTIONS (or on the command line), which wins.
 */
export function capHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): void {
  const flag = /--heap[-_]growing[-_]percent/;
  if (execArgv.some((arg) => flag.test(arg)) || flag.test(nodeOptions)) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
