import { Worker } from 'node:worker_threads';
import { bundleFile, type CodeCacheUse } from './bundle-loader';
import type { FromLane } from './urgent-lane';

/** The urgent lane thread's entry point: bundled too, since the thread loads its modules anew. */
const THREAD_ENTRY = bundleFile('urgent-lane-thread');

/**
 * The lane's young generation at most, in MB. Loading its bundle in one go grew it to 16 MB,
 * which an idle lane then kept: RSS for a thread that delivers a few alerts a second. At 4 it
 * collects more often; the bench's critical latency showed no difference (bench/README.md,
 * finding 30).
 */
const LANE_YOUNG_GENERATION_MB = 4;

/** The urgent lane's thread as `spawnUrgentLaneThread` started it. */
export interface LaneThread {
  readonly worker: Worker;
  /**
   * Resolves once the thread has compiled its code, with how it used its code cache, or
   * with nothing if it stopped first. Until then the process must change no V8 flag
   * (`capHeapGrowth` does): V8 accepts a code cache only under the flags it was made with,
   * and a lane that compiled after the main thread had read its configuration, as happens
   * on a busy machine, compiled without it.
   */
  readonly loaded: Promise<CodeCacheUse | undefined>;
}

/**
 * Starts the urgent lane's thread, which loads its modules (the delivery side of core,
 * fewer than the main thread's: it gets its configuration parsed) and then waits for
 * `UrgentLane` to give it its work. Only Node's own modules are loaded here, so `main.ts`
 * can call this first thing.
 */
export function spawnUrgentLaneThread(): LaneThread {
  const worker = new Worker(THREAD_ENTRY, { resourceLimits: { maxYoungGenerationSizeMb: LANE_YOUNG_GENERATION_MB } });
  // Listened for from the start: a Worker's message that finds no listener is lost, and
  // UrgentLane attaches its own only once the configuration is read.
  const loaded = new Promise<CodeCacheUse | undefined>((resolve) => {
    const onMessage = (message: FromLane) => {
      if (message.type !== 'loaded') return;
      worker.off('message', onMessage);
      resolve(message.codeCache);
    };
    worker.on('message', onMessage);
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
  return { worker, loaded };
}
