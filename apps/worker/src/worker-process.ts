import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import {
  BREAKER_STATE_VALUE,
  PublishingQueues,
  LiveTargets,
  Releasers,
  coerceError,
  createHttpDelivery,
  createRedisConnection,
  createWorkerMetrics,
  logConnectionState,
  modeOf,
  primeTargetMetrics,
  queueName,
  type BreakerState,
  type HeraldConfig,
  type Logger,
  type Router,
  type TargetConfig,
} from '@herald/core';
import type { CodeCacheUse } from './bundle-loader';
import { DeadLetterSweeper } from './dead-letter-sweeper';
import { startDeliveryLane } from './delivery-lane';
import { reportWarmUp, warmUpDelivery } from './delivery-warm-up';
import { LazyDeadLetters } from './lazy-dead-letters';
import type { LaneThread } from './lane-thread';
import { PriorityRestore, YieldToUrgent, mainThreadPriority, osThreadId } from './main-thread-priority';
import { startMetricsServer } from './metrics-server';
import { PrioritySlots } from './priority-slots';
import { prefetchFor } from './priority-workers';
import { SlotLedger } from './slot-ledger';
import { UrgentLane, mergedMetrics, type UrgentLaneError } from './urgent-lane';

/** How often the sweeper looks for final failures unprompted, and retries while PostgreSQL is down. */
const SWEEP_INTERVAL_MS = 5000;
/** How often breaker states are re-read from Redis for `herald_breaker_state`. */
const BREAKER_REFRESH_MS = 5000;

/**
 * After the urgent queue starts a delivery, half the worker's slots stay its own for this
 * long (`SlotLedger` `reservedWhileActive`): during a burst of critical alerts, the lower
 * queues run at most half as many deliveries, whose Redis commands and requests the
 * critical ones would otherwise queue behind.
 */
const URGENT_ACTIVE_WINDOW_MS = 1000;

/** The main thread's pool of slots, and the urgent lane's. */
const MAIN_POOL = 0;
const URGENT_POOL = 1;

export interface RunningWorker {
  /** Port of /metrics and /healthz. */
  readonly metricsPort: number;
  /** Stops fetching, returns jobs not yet started, waits for running deliveries. */
  close(): Promise<void>;
}

export interface WorkerHooks {
  /** The urgent lane's thread, spawned early by `main.ts` (`spawnUrgentLaneThread`); else spawned when needed. */
  readonly laneThread?: LaneThread;
  /**
   * The urgent lane's thread stopped while the worker runs, so its queue is not served.
   * By default the process exits with 1 for its supervisor to restart it whole; its jobs
   * in flight return to their queues when their locks lapse.
   */
  readonly onLaneFailure?: (error: UrgentLaneError) => void;
  /**
   * Raise this thread's nice value by this much while the urgent queue is active
   * (`YieldToUrgent`, `PriorityRestore`). `main.ts` passes LOWER_QUEUES_NICENESS; tests leave
   * it out, so the test runner's own thread keeps its priority.
   */
  readonly lowerMainThreadPriorityBy?: number;
  /** How `main.ts` loaded the worker's code (`loadBundle`), for the start log. */
  readonly codeCache?: CodeCacheUse;
  /** The worker's `node` flags (`WORKER_NODE_FLAGS`) this process was started without, for a warning. */
  readonly missingNodeFlags?: readonly string[];
}

/**
 * How much lower than the urgent lane's thread a worker's main thread runs while urgent jobs
 * are being delivered (nice values, capped at 19): when the host's cores are saturated, the
 * lower queues' deliveries yield the CPU to the urgent lane, Redis and the API. Strict
 * priority, applied to the CPU as well as the slots. All the way down: 5 levels below a busy
 * thread, Linux still gives it a quarter of the core they share, and critical alerts waited
 * behind it (bench/README.md, findings 29, 48 and 49). It is lowered only while urgent jobs
 * run, so a backlog of lower jobs alone drains at full speed.
 */
export const LOWER_QUEUES_NICENESS = 19;

/**
 * Builds and starts a worker from its configuration: the composition root shared by
 * `main.ts` and the tests. `config.worker.metricsPort` 0 picks a free port.
 *
 * A worker serving more than one queue delivers the most urgent one on a thread of its
 * own (`UrgentLane`) and the rest on the main thread; both draw on one set of slots.
 */
export async function startWorker(config: HeraldConfig, targets: readonly TargetConfig[], logger: Logger, hooks: WorkerHooks = {}): Promise<RunningWorker> {
  const releasers = new Releasers();
  const registry = new Registry();
  const metrics = createWorkerMetrics(registry);
  let lane: UrgentLane | undefined;
  const onTargets = (router: Router) => {
    metrics.setMode(modeOf(router));
    primeTargetMetrics(metrics, router.targets.map((t) => t.name));
    lane?.setTargets(router.targets);
  };
  const live = new LiveTargets(targets, { file: config.targetsFile, env: process.env, logger, onChange: onTargets });
  onTargets(live.router);
  releasers.add('targets watch', live.watch());
  const router = () => live.router;

  const redis = createRedisConnection(config.redisUrl, 'consumer', 'herald-worker');
  logConnectionState(redis, logger);
  releasers.add('redis', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  const dlq = new LazyDeadLetters(config.databaseUrl);
  releasers.add('database', () => dlq.close());
  const queues = new PublishingQueues(redis, config.queuePrefix);
  releasers.add('queues', () => queues.close());

  const onBreakerChange = (target: string, to: BreakerState) => {
    metrics.breakerTransitions.inc({ target, to });
    metrics.breakerState.set({ target }, BREAKER_STATE_VALUE[to]);
    logger.warn('circuit breaker changed state', { target, state: to });
  };
  const sweeper = new DeadLetterSweeper({ queues, dlq, router, metrics, logger, intervalMs: SWEEP_INTERVAL_MS });
  sweeper.start();
  releasers.add('dead-letter sweeper', () => sweeper.stop());

  const ranked = config.worker.queues.map((priority, rank) => ({ priority, rank }));
  const urgent = ranked.length > 1 ? ranked[0] : undefined;
  const ledger = SlotLedger.create({
    slots: config.worker.concurrency,
    reserved: prefetchFor(config.worker.concurrency),
    reservedWhileActive: Math.floor(config.worker.concurrency / 2),
    activeWindowMs: URGENT_ACTIVE_WINDOW_MS,
    maxWaitMs: config.priorityMaxWaitMs,
    owners: ranked.map(({ rank }) => (urgent && rank === urgent.rank ? URGENT_POOL : MAIN_POOL)),
  });
  // A step that fails to start undoes every step before it.
  const orRelease = async <T>(step: Promise<T>): Promise<T> => {
    try {
      return await step;
    } catch (error) {
      await releasers.releaseAll(logger);
      throw error;
    }
  };

  // This thread's HTTP pools, loaded and warmed while the urgent lane gets ready on its own
  // thread, rather than by the lower queues' first delivery (bench/README.md, finding 41).
  const http = createHttpDelivery();
  const warming = warmUpDelivery(http);
  // The main lane closes them too once it has them; a start that fails before closes them here.
  releasers.add('http pools', () => http.close());

  // What the lower queues wait for before they fetch: the urgent lane, when there is one,
  // and this thread's warm-up.
  let urgentLaneFetching: Promise<void> = Promise.resolve();
  if (urgent) {
    const mainThread = hooks.lowerMainThreadPriorityBy ? mainThreadPriority(hooks.lowerMainThreadPriorityBy, osThreadId()) : undefined;
    // Lowered until the lane fetches, which the lower queues wait for: its thread, still
    // loading, gets the cores first. Given back at the restore's first look.
    if (mainThread) new YieldToUrgent(mainThread, logger).yieldNow();
    const urgentLane = new UrgentLane({
      data: { config, logLevel: logger.level, targets: live.router.targets, ledger: ledger.init, queue: urgent, mainThread },
      thread: hooks.laneThread,
      logger,
      onBreakerChange,
      onFailed: () => sweeper.poke(),
      onFatal:
        hooks.onLaneFailure ??
        ((error) => {
          logger.error('exiting: the most urgent queue has no lane', { queue: queueName(urgent.priority), error: error.message });
          process.exit(1);
        }),
    });
    lane = urgentLane;
    releasers.add('urgent lane', () => urgentLane.close());
    const spawnedAt = performance.now();
    // The lower queues fetch only once the lane fetches: while its thread loads they
    // would take every slot from waiting urgent jobs. main.ts spawns the thread early, so
    // this is short. (A resolve never overtakes its trigger whatever the timing: see
    // FiringJobIndex.)
    urgentLaneFetching = urgentLane.ready.then(({ osThreadId: laneThreadId, codeCache }) => {
      logger.info('urgent lane started', { queue: queueName(urgent.priority), startMs: Math.round(performance.now() - spawnedAt), osThreadId: laneThreadId, codeCache });
      if (mainThread) {
        // The lane lowers this thread when an urgent job starts; this gives its priority back.
        const restore = new PriorityRestore({ priority: mainThread, urgentTakenAt: () => ledger.urgentTakenAt(), quietMs: URGENT_ACTIVE_WINDOW_MS, logger });
        restore.start();
        releasers.add('main thread priority', () => restore.stop());
      }
    });
  } else {
    void hooks.laneThread?.worker.terminate();
  }

  // The lower queues' Workers connect to Redis while the lane gets ready, rather than after:
  // the lane is usually ready last, and the connections' round trips then cost nothing.
  const main = await orRelease(
    startDeliveryLane({
      config,
      queues: ranked.filter((queue) => queue !== urgent),
      slots: new PrioritySlots(ledger, MAIN_POOL),
      http,
      redis,
      dlq,
      router,
      metrics,
      logger,
      onBreakerChange,
      onFailed: () => sweeper.poke(),
      fetchAfter: Promise.all([urgentLaneFetching, warming.then((failure) => reportWarmUp(failure, logger))]),
    }),
  );
  releasers.add('workers', () => main.close());

  const refreshBreakers = async () => {
    try {
      const views = await main.breakers.views(router().targets.map((t) => t.name));
      for (const [target, view] of Object.entries(views)) metrics.breakerState.set({ target }, BREAKER_STATE_VALUE[view.state]);
    } catch (error) {
      logger.debug('could not read breaker states', { error: coerceError(error).message });
    }
  };
  await refreshBreakers();
  const breakerRefresh = setInterval(() => void refreshBreakers(), BREAKER_REFRESH_MS);
  releasers.add('breaker refresh', () => clearInterval(breakerRefresh));

  const server = await orRelease(
    startMetricsServer({
      port: config.worker.metricsPort,
      contentType: registry.contentType,
      render: () => (lane ? mergedMetrics(registry, lane) : registry.metrics()),
      health: () => ({ mode: modeOf(live.router), queues: config.worker.queues, concurrency: config.worker.concurrency, active: ledger.busy, redis: redis.status }),
    }),
  );
  releasers.add('metrics server', () => new Promise<void>((resolve) => server.close(() => resolve())));

  const metricsPort = (server.address() as AddressInfo).port;
  logger.info('worker started', {
    queues: config.worker.queues,
    concurrency: config.worker.concurrency,
    metricsPort,
    mode: modeOf(live.router),
    targets: live.router.targets.map((t) => t.name),
    urgentLane: urgent ? queueName(urgent.priority) : null,
    codeCache: hooks.codeCache,
  });
  if (modeOf(live.router) === 'metrics-only') logger.warn('no targets configured: metrics-only mode, nothing will be published');
  if (hooks.missingNodeFlags?.length) {
    logger.warn('started without the worker\'s node flags: it delivers the same, more slowly (`npm run worker` passes them)', { missing: hooks.missingNodeFlags });
  }

  return { metricsPort, close: () => releasers.releaseAll(logger) };
}
