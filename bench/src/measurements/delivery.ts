import type { BenchSystem } from '../bench-system';
import { alertmanagerAlert, nextFingerprint, TAG } from '../payloads';
import { mainThreadSchedule } from '../machine';
import { unlessDied } from '../role-process';
import { newPrefix, type MeasureContext } from './measure-context';

export interface DeliveryRound {
  readonly jobsPerSecond: number;
  /** From spawning the worker to the sink's first request. */
  readonly firstDeliveryMs: number;
  /** From spawning the worker to the sink's last request. */
  readonly totalMs: number;
  /** Between the first and the last delivery: the rate once started. */
  readonly steadyJobsPerSecond: number;
  readonly duplicates: number;
  /** CPU time the worker process used per job, start-up included (µs); steadier than throughput on a shared machine. */
  readonly workerCpuMicrosPerJob: number;
  /** redis-server's CPU time per job (µs), from the worker's spawn to the last arrival. */
  readonly redisCpuMicrosPerJob: number;
  /**
   * The worker's main thread, per job (µs), start-up included: time on a core, and time ready
   * to run but waiting for one. While a backlog drains the thread is nearly always one or the
   * other, so their sum is about what a job takes (finding 48).
   */
  readonly mainThreadRunMicrosPerJob: number;
  readonly mainThreadWaitMicrosPerJob: number;
}

const DELIVERY_TIMEOUT_MS = 180_000;

/**
 * Delivery alone: jobs pre-filled straight into Redis, then one worker process started
 * and timed from its spawn until the sink has every job. Startup is not subtracted.
 */
export async function measureDelivery(system: BenchSystem, context: MeasureContext): Promise<DeliveryRound> {
  const jobs = context.settings.delivery.jobs;
  const { stack } = context;
  await stack.reset();
  const prefix = newPrefix();
  await system.prefill(prefix, Array.from({ length: jobs }, (_, i) => alertmanagerAlert(nextFingerprint(TAG.load), 'warning', i)), 'normal');
  stack.sink.reset();
  const redisCpuBefore = stack.redisCpuSeconds();
  const worker = await system.spawnWorker(prefix);
  try {
    await unlessDied(stack.sink.waitFor(jobs, DELIVERY_TIMEOUT_MS), [worker]);
    if (stack.sink.count < jobs) throw new Error(`${system.name} worker delivered ${stack.sink.count} of ${jobs} jobs within ${DELIVERY_TIMEOUT_MS} ms`);
    const workerCpuSeconds = worker.cpuSeconds();
    const mainThread = mainThreadSchedule(worker.pid);
    const redisCpuSeconds = stack.redisCpuSeconds() - redisCpuBefore;
    const totalMs = stack.sink.lastArrival - worker.startedAt;
    return {
      jobsPerSecond: jobs / (totalMs / 1000),
      firstDeliveryMs: stack.sink.firstArrival - worker.startedAt,
      totalMs,
      steadyJobsPerSecond: (jobs - 1) / ((stack.sink.lastArrival - stack.sink.firstArrival) / 1000),
      duplicates: stack.sink.duplicates,
      workerCpuMicrosPerJob: (workerCpuSeconds * 1e6) / jobs,
      redisCpuMicrosPerJob: (redisCpuSeconds * 1e6) / jobs,
      mainThreadRunMicrosPerJob: (mainThread.runSeconds * 1e6) / jobs,
      mainThreadWaitMicrosPerJob: (mainThread.waitSeconds * 1e6) / jobs,
    };
  } finally {
    await worker.stop();
  }
}
