import type { AlertmanagerAlert } from './payloads';
import type { RoleProcess } from './role-process';

/** `contract`: the bare substrate doing what DESIGN.md asks of any implementation (bare-system.ts). */
export type SystemName = 'herald' | 'bare' | 'contract';

/** A running API: its process and where to send webhooks. */
export interface RunningApi {
  readonly role: RoleProcess;
  readonly origin: string;
}

/**
 * What a measurement needs from the thing measured: Herald's real processes, or the bare
 * BullMQ scripts doing the least the same work takes. Each call gets the queue prefix of
 * the current measurement, so measurements never share keys.
 */
export interface BenchSystem {
  readonly name: SystemName;
  /** The webhook endpoint, for alerts of ordinary priority. */
  readonly webhookPath: string;
  /** The endpoint urgent alerts go to (Herald reads urgency from the labels; bare from `?priority=1`). */
  readonly urgentPath: string;
  /** Starts the API and resolves once it is ready. */
  startApi(prefix: string): Promise<RunningApi>;
  /** Spawns a worker and returns at once; `workerReady` resolves once it consumes. */
  spawnWorker(prefix: string): Promise<RoleProcess>;
  workerReady(worker: RoleProcess): Promise<void>;
  /**
   * Puts jobs for these alerts straight into Redis, as the API would have; `backlog`
   * makes them the lowest priority (Herald: severity info goes to publish-low).
   */
  prefill(prefix: string, alerts: readonly AlertmanagerAlert[], kind: 'normal' | 'backlog'): Promise<void>;
}
