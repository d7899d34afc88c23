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
 * at most half keeps RSS near the live size, for a full collection of a few milliseconds
 * every second or two (bench/README.md, "Findings").
 *
 * V8 reads the flag whenever it sizes the heap after a collection, so setting it at start
 * takes effect. A `--heap-growing-percent` given on the command line or in NODE_OPTIONS wins.
 */
export function capHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): void {
  const flag = /--heap[-_]growing[-_]percent/;
  if (execArgv.some((arg) => flag.test(arg)) || flag.test(nodeOptions)) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
