import { Worker } from 'node:worker_threads';
import { bundleFile } from './bundle-loader';

/** The urgent lane thread's entry point: bundled too, since the thread loads its modules anew. */
const THREAD_ENTRY = bundleFile('urgent-lane-thread');

/**
 * The lane's young generation at most, in MB. Loading its bundle in one go grew it to 16 MB,
 * which an idle lane then kept: RSS for a thread that delivers a few alerts a second. At 4 it
 * collects more often; the bench's critical latency showed no difference (bench/README.md,
 * finding 30).
 */
const LANE_YOUNG_GENERATION_MB = 4;

/**
 * Starts the urgent lane's thread, which loads its modules (the delivery side of core,
 * fewer than the main thread's: it gets its configuration parsed) and then waits for
 * `UrgentLane` to give it its work. Only Node's own modules are loaded here, so `main.ts`
 * can call this first thing.
 */
export function spawnUrgentLaneThread(): Worker {
  return new Worker(THREAD_ENTRY, { resourceLimits: { maxYoungGenerationSizeMb: LANE_YOUNG_GENERATION_MB } });
}
