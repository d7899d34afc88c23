import type { Worker } from 'node:worker_threads';
import { runRole } from '@herald/core';
import type { CodeCacheUse } from './bundle-loader';
import { missingNodeFlags } from './node-flags';
import { LOWER_QUEUES_NICENESS, startWorker } from './worker-process';

/**
 * The worker process as operators run it, given the urgent lane's thread `main.ts` spawned
 * first and how it loaded this module.
 */
export function runWorkerRole(laneThread: Worker, codeCache: CodeCacheUse): void {
  runRole('herald-worker', (config, targets, logger) => startWorker(config, targets, logger, { laneThread, lowerMainThreadPriorityBy: LOWER_QUEUES_NICENESS, codeCache, missingNodeFlags: missingNodeFlags() }));
}
