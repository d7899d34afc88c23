import { parentPort } from 'node:worker_threads';
import { bundleFile, loadBundle } from './bundle-loader';
import type { FromLane } from './urgent-lane';

// The urgent lane thread's entry (`spawnUrgentLaneThread`): its code is a bundle of its own,
// loaded with the code cache the build made for it, like the main thread's (bench/README.md,
// finding 43).
const lane = loadBundle<typeof import('./urgent-lane-role')>(bundleFile('urgent-lane-role'));
// The main thread changes no V8 flag before it hears this (`LaneThread.loaded`): V8 refuses a
// code cache once the flags differ from those it was made under.
parentPort!.postMessage({ type: 'loaded', codeCache: lane.codeCache } satisfies FromLane);
lane.exports.runUrgentLane();
