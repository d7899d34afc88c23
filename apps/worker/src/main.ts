import { spawnUrgentLaneThread } from './lane-thread';

// The urgent lane's thread loads its modules on the other core while this thread loads
// its own and reads the configuration, instead of after: it is then ready about when
// this thread is. `require`, not `import`: imports would load before this line runs.
const laneThread = spawnUrgentLaneThread();
const { runRole } = require('@herald/core') as typeof import('@herald/core');
const { LOWER_QUEUES_NICENESS, startWorker } = require('./worker-process') as typeof import('./worker-process');

runRole('herald-worker', (config, targets, logger) => startWorker(config, targets, logger, { laneThread, lowerMainThreadPriorityBy: LOWER_QUEUES_NICENESS }));
