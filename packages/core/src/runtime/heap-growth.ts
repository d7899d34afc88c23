import { setFlagsFromString } from 'node:v8';

/** The default of `HEAP_GROWING_PERCENT`. */
export const HEAP_GROWING_PERCENT = 100;

/**
 * Caps how far V8 lets the heap grow between full collections (`HEAP_GROWING_PERCENT`).
 *
 * When collection is cheap, V8 lets the old generation reach up to four times its live
 * size before collecting it. Herald's processes hold about 30 MB of live objects but keep
 * promoting the state of requests and jobs in flight, so under load their heap climbed to
 * about 140 MB between collections, and RSS with it; it never came back down. Growing by
 * at most the live size keeps RSS near it (API under heavy ingest 180–215 MB uncapped; in
 * the bench's 100k-alert run 128–143 MB at 100 %, 122–126 at 50 %, the worker 153–164 and
 * 143–147). Growing by at most half, the default until finding 53, ran the API's full
 * collections half again as often and put its ingest p99 over bare's more often
 * (bench/README.md, findings 8 and 53).
 *
 * V8 reads the flag whenever it sizes the heap after a collection, so setting it at start
 * works: it lowered RSS as much as the same flag on the command line. Node refuses the flag
 * in NODE_OPTIONS, hence the variable. `percent` 0 leaves V8's own rule, and a
 * `--heap-growing-percent` on the command line wins.
 *
 * Setting a flag changes what V8 checks a code cache against: code compiled after this
 * call gets no use of a cache made at build time. The worker calls it only once both its
 * threads have compiled (`RunRoleOptions.codeLoaded`).
 */
export function capHeapGrowth(percent: number, execArgv: readonly string[] = process.execArgv): boolean {
  if (percent <= 0 || execArgv.some((arg) => /^--heap[-_]growing[-_]percent/.test(arg))) return false;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return true;
}
