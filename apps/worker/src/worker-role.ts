import { runRole } from '@herald/core';
import type { CodeCacheUse } from './bundle-loader';
import type { LaneThread } from './lane-thread';
import { missingNodeFlags } from './node-flags';
import { LOWER_QUEUES_NICENESS, startWorker } from './worker-process';

/**
 * The worker process as operators run it, given the urgent lane's thread `main.ts` spawned
 * first and how it loaded this module.
 */
export function runWorkerRole(laneThread: LaneThread, codeCache: CodeCacheUse): void {
  runRole('herald-worker', (config, targets, logger) => startWorker(config, targets, logger, { laneThread, lowerMainThreadPriorityBy: LOWER_QUEUES_NICENESS, codeCache, missingNodeFlags: missingNodeFlags() }), {
    codeLoaded: laneThread.loaded,
  });
}
