import type { Worker } from 'node:worker_threads';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import type { BreakerState, HeraldConfig, Logger, Priority, TargetConfig } from '@herald/core';
import type { CodeCacheUse } from './bundle-loader';
import { spawnUrgentLaneThread, type LaneThread } from './lane-thread';
import type { MainThreadPriority } from './main-thread-priority';
import type { SlotLedgerInit } from './slot-ledger';

/** What the urgent lane's thread starts from. */
export interface UrgentLaneData {
  readonly config: HeraldConfig;
  /** The main thread's logger's level: the lane sends it what it would write. */
  readonly logLevel: string;
  readonly targets: readonly TargetConfig[];
  readonly ledger: SlotLedgerInit;
  readonly queue: { readonly priority: Priority; readonly rank: number };
  /** The main thread to lower while urgent jobs run (`YieldToUrgent`); absent, it is left as it is. */
  readonly mainThread?: MainThreadPriority;
}

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Messages from the main thread to the lane. */
export type ToLane =
  | { type: 'start'; data: UrgentLaneData }
  | { type: 'targets'; targets: readonly TargetConfig[] }
  | { type: 'metrics'; id: number }
  | { type: 'close' };

/** Messages from the lane to the main thread. */
export type FromLane =
  | { type: 'loaded'; codeCache: CodeCacheUse }
  | { type: 'ready'; osThreadId: number | undefined }
  | { type: 'metrics'; id: number; metrics: MetricsJson }
  | { type: 'log'; entry: Record<string, unknown> }
  | { type: 'breaker'; target: string; to: BreakerState }
  | { type: 'failed' }
  | { type: 'fatal'; message: string };

/** The urgent lane's thread stopped or could not start. */
export class UrgentLaneError extends Error {
  override readonly name = 'UrgentLaneError';
}

/** A scrape gives up on the thread's figures after this. */
const METRICS_TIMEOUT_MS = 2000;

export interface UrgentLaneOptions {
  readonly data: UrgentLaneData;
  /** A thread `spawnUrgentLaneThread` started earlier, still loading perhaps; else one is spawned now. */
  readonly thread?: LaneThread;
  /** Where the thread's log lines go, marked `lane: urgent`. */
  readonly logger: Logger;
  readonly onBreakerChange: (target: string, to: BreakerState) => void;
  readonly onFailed: () => void;
  /** The thread stopped while it should run: its queue is no longer served. */
  readonly onFatal: (error: UrgentLaneError) => void;
}

/**
 * UrgentLane runs the delivery of a worker's most urgent queue on a thread of its own.
 * While a large lower-priority backlog drains, the main thread's event loop is busy with
 * the I/O of some fifty deliveries a turn, and each step of an urgent job (fetch, start,
 * send, answer) would wait a turn: tens of milliseconds. On its own event loop the
 * urgent job waits for none of that; it shares only the slots (`SlotLedger`), Redis and
 * the targets. Logs, breaker changes and failures come back to the main thread, and the
 * main thread's /metrics adds the thread's series to its own.
 */
export class UrgentLane {
  /**
   * Resolves once the thread's BullMQ Worker fetches, with the thread's OS thread id where
   * the platform tells it (Linux), for `top -H` and `/proc`; rejects if it cannot start.
   */
  readonly ready: Promise<{ readonly osThreadId: number | undefined; readonly codeCache: CodeCacheUse | undefined }>;
  private readonly thread: Worker;
  private readonly scrapes = new Map<number, (metrics: MetricsJson) => void>();
  private nextScrape = 0;
  private closing = false;
  private readonly exited: Promise<void>;

  constructor(private readonly options: UrgentLaneOptions) {
    const log = options.logger.child({ lane: 'urgent' });
    const { worker, loaded } = options.thread ?? spawnUrgentLaneThread();
    this.thread = worker;
    let started: (start: { osThreadId: number | undefined; codeCache: CodeCacheUse | undefined }) => void;
    let failedToStart: (error: Error) => void;
    this.ready = new Promise((resolveReady, rejectReady) => {
      started = resolveReady;
      failedToStart = rejectReady;
    });
    // A caller that never waits for `ready` still hears of a failure through onFatal.
    this.ready.catch(() => undefined);
    let failed = false;
    const fail = (error: UrgentLaneError) => {
      // A crash reports both 'error' and 'exit'; once is enough.
      if (failed) return;
      failed = true;
      failedToStart(error);
      if (!this.closing) options.onFatal(error);
    };

    this.thread.on('message', (message: FromLane) => {
      switch (message.type) {
        case 'loaded':
          return; // read through `loaded`
        case 'ready':
          return void loaded.then((codeCache) => started({ osThreadId: message.osThreadId, codeCache }));
        case 'metrics':
          this.scrapes.get(message.id)?.(message.metrics);
          return;
        case 'log':
          log.log(message.entry as { level: string; message: string });
          return;
        case 'breaker':
          return options.onBreakerChange(message.target, message.to);
        case 'failed':
          return options.onFailed();
        case 'fatal':
          return fail(new UrgentLaneError(`urgent lane failed: ${message.message}`));
      }
    });
    this.thread.on('error', (error) => fail(new UrgentLaneError(`urgent lane crashed: ${error.message}`)));
    this.exited = new Promise((resolveExit) => {
      this.thread.on('exit', (code) => {
        if (!this.closing) fail(new UrgentLaneError(`urgent lane stopped with exit code ${code}`));
        resolveExit();
      });
    });
    this.post({ type: 'start', data: options.data });
  }

  /** Hands the thread a reloaded target set. */
  setTargets(targets: readonly TargetConfig[]): void {
    this.post({ type: 'targets', targets });
  }

  /** The thread's metric series, to be added to the main thread's. */
  metrics(): Promise<MetricsJson> {
    const id = this.nextScrape++;
    return new Promise((resolveScrape, rejectScrape) => {
      const timeout = setTimeout(() => {
        this.scrapes.delete(id);
        rejectScrape(new UrgentLaneError(`urgent lane did not report its metrics within ${METRICS_TIMEOUT_MS} ms`));
      }, METRICS_TIMEOUT_MS);
      this.scrapes.set(id, (metrics) => {
        clearTimeout(timeout);
        this.scrapes.delete(id);
        resolveScrape(metrics);
      });
      this.post({ type: 'metrics', id });
    });
  }

  /** Asks the thread to stop as a worker does (jobs not started go back) and waits until it has. */
  async close(): Promise<void> {
    this.closing = true;
    this.post({ type: 'close' });
    await this.exited;
  }

  private post(message: ToLane): void {
    this.thread.postMessage(message);
  }
}

/** The main thread's metrics with the lane's added: counters and histograms summed, gauges too. */
export async function mergedMetrics(registry: Registry, lane: UrgentLane): Promise<string> {
  const [own, lanes] = await Promise.all([registry.getMetricsAsJSON(), lane.metrics()]);
  return AggregatorRegistry.aggregate([own as MetricsJson, lanes]).metrics();
}
