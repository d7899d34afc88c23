import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { WORKER_NODE_FLAGS } from '../src/node-flags';

/** The module as the worker's main thread runs it (tsc's output, built before the tests). */
const LANE_THREAD = resolve(__dirname, '../dist/lane-thread.js');

/**
 * Spawns the lane's thread in a fresh `node` with the worker's flags, runs `then` (a
 * statement, given `lane` and what its `loaded` resolved with, `codeCache`) once `loaded`
 * resolves, and returns what that printed. `before` runs right after the spawn. A process
 * of its own: the flags, and the V8 flag the steps change, are the process's.
 */
function withLane(steps: { before?: string; then: string }): string {
  const script = `
    const { setFlagsFromString } = require('node:v8');
    const lane = require(${JSON.stringify(LANE_THREAD)}).spawnUrgentLaneThread();
    ${steps.before ?? ''}
    lane.loaded.then(async (codeCache) => { ${steps.then}; await lane.worker.terminate(); });`;
  return execFileSync(process.execPath, [...WORKER_NODE_FLAGS, '-e', script], { encoding: 'utf8' }).trim();
}

describe("the urgent lane's thread (spawnUrgentLaneThread)", () => {
  it('When the thread has compiled its code under the flags the build used, then `loaded` says it used its code cache', () => {
    expect(withLane({ then: 'console.log(codeCache)' })).toBe('used');
  });

  it('When a V8 flag changes before the thread compiles, then V8 refuses its cache: why the worker caps its heap growth only once `loaded` resolves', () => {
    expect(withLane({ before: "setFlagsFromString('--heap-growing-percent=100')", then: 'console.log(codeCache)' })).toBe('rejected');
  });

  it('When the thread stops before it has loaded, then `loaded` resolves with nothing rather than never', () => {
    expect(withLane({ before: 'void lane.worker.terminate()', then: 'console.log(String(codeCache))' })).toBe('undefined');
  });
});
