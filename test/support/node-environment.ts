import NodeEnvironment from 'jest-environment-node';

let exitsWhenIdle = false;

/**
 * Jest's node environment, with one thing more for the Jest worker process it runs in:
 * once that process has nothing left to do, it exits at once (`process.exit`) instead of
 * letting Node free its heap first.
 *
 * By the end of a run each of Jest's two workers holds 400–550 MB of heap. Node's ordinary
 * exit tears it down, which took 650–730 ms from the `exit` event to the process's end on
 * a 2-core machine like CI's; Jest gives a worker 500 ms before it kills it and prints "A worker
 * process has failed to exit gracefully". Each worker's `beforeExit` came within 40 ms of its
 * last test file, with no handle left open, so nothing leaked; `process.exit` skips the
 * teardown (290–400 ms to the end, then). A handle left open still keeps `beforeExit` from
 * firing, so a real leak still brings Jest's warning.
 */
export default class HeraldTestEnvironment extends NodeEnvironment {
  constructor(...args: ConstructorParameters<typeof NodeEnvironment>) {
    super(...args);
    // This module runs outside the tests' sandbox, so this `process` is the worker's own.
    if (!exitsWhenIdle) {
      exitsWhenIdle = true;
      process.once('beforeExit', (code) => process.exit(code));
    }
  }
}
