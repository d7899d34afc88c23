import { runRole } from '@herald/core';
import { startWorker } from './worker-process';

runRole('herald-worker', startWorker);
