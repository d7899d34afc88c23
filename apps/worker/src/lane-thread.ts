import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * The urgent lane thread's entry point, compiled. From `src` (the tests) this is the
 * same file as from `dist`: `npm test` builds before it runs.
 */
const THREAD_ENTRY = resolve(__dirname, '../dist/urgent-lane-thread.js');

/**
 * Starts the urgent lane's thread, which loads its modules (the delivery side of core,
 * fewer than the main thread's: it gets its configuration parsed) and then waits for
 * `UrgentLane` to give it its work. Only Node's own modules are loaded here, so `main.ts`
 * can call this first thing.
 */
export function spawnUrgentLaneThread(): Worker {
  return new Worker(THREAD_ENTRY);
}
