/**
 * The `node` flags a worker runs with. `npm run worker`, `npm start`, the tests and the bench
 * all pass them (`roleArgs` in @herald/devstack), and the build makes the worker's code
 * caches under them (scripts/bundle.mjs), because V8 accepts a cache only under the flags
 * that made it. A worker started without them works the same, a little slower, and warns
 * as it starts, naming the flags it lacks.
 *
 * `--initial-old-space-size=64`: with V8's own starting size, what a worker's start and
 * its first jobs promote brought the first full collection about 1 s after the start, and
 * the next ones at about 2 and 3.4 s of a 20k-job drain. A full collection that catches
 * jobs in flight leaves the scavenges after it promoting about 1.7 times as much, each
 * taking about 1.8 times as long (bench/README.md, findings 56 and 58). Starting at 64 MB, a
 * new worker drains its first 20,000 jobs without one, at about 4 % more jobs/s, and runs
 * fewer of them later (3 against 7 over 60,000 jobs); a bare BullMQ worker gains as much
 * from it, the pattern being the stack's. Its RSS is higher, about 175 MB against 150
 * while it delivers (the goal is under 200). The flag sets only where the old generation
 * starts: its growth after each full collection is still capped by `HEAP_GROWING_PERCENT`.
 * It cannot be set once the process runs (`v8.setFlagsFromString` comes after the heap is
 * made), nor in NODE_OPTIONS, which refuses it.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];

/** The flags of `WORKER_NODE_FLAGS` this process was started without. */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return WORKER_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
