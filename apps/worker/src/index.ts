export { startWorker, type RunningWorker } from './worker-process';
export { PrioritySlots, SlotsClosedError } from './priority-slots';
