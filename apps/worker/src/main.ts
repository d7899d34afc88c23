import { bundleFile, loadBundle } from './bundle-loader';
import { spawnUrgentLaneThread } from './lane-thread';

// The urgent lane's thread loads its modules on the other core while this thread loads
// its own and reads the configuration, instead of after: it is then ready about when
// this thread is, and the lower queues, which wait for it, start sooner.
const laneThread = spawnUrgentLaneThread();
// Everything else comes from a file of its own (scripts/bundle.mjs): V8 compiles a script
// whole before it runs a line of it, and were the worker's code in this file, the thread
// above would start only after that, about 100 ms later (bench/README.md, finding 41). It is
// loaded with the code cache the build made for it (finding 43).
const role = loadBundle<typeof import('./worker-role')>(bundleFile('worker-role'));
role.exports.runWorkerRole(laneThread, role.codeCache);
