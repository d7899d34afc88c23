export { startWorker, type RunningWorker, type WorkerHooks } from './worker-process';
export { spawnUrgentLaneThread, type LaneThread } from './lane-thread';
export { PrioritySlots, SlotsClosedError } from './priority-slots';
export { SlotLedger } from './slot-ledger';
