export { startWorker, type RunningWorker, type WorkerHooks } from './worker-process';
export { spawnUrgentLaneThread } from './lane-thread';
export { PrioritySlots, SlotsClosedError } from './priority-slots';
export { SlotLedger } from './slot-ledger';
