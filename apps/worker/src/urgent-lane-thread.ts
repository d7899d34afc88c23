import { bundleFile, loadBundle } from './bundle-loader';

// The urgent lane thread's entry (`spawnUrgentLaneThread`): its code is a bundle of its own,
// loaded with the code cache the build made for it, like the main thread's (bench/README.md,
// finding 43).
const lane = loadBundle<typeof import('./urgent-lane-role')>(bundleFile('urgent-lane-role'));
lane.exports.runUrgentLane(lane.codeCache);
