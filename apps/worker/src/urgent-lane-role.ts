import { parentPort } from 'node:worker_threads';
import { Registry } from 'prom-client';
import winston from 'winston';
import TransportStream from 'winston-transport';
import type { Logger, TargetConfig } from '@herald/core';
import { coerceError, createHttpDelivery, createRedisConnection, createRouter, createWorkerMetrics, logConnectionState, type HttpDelivery } from '@herald/core/delivery';
import { startDeliveryLane, type DeliveryLane } from './delivery-lane';
import { reportWarmUp, warmUpDelivery } from './delivery-warm-up';
import { LazyDeadLetters } from './lazy-dead-letters';
import { YieldToUrgent, osThreadId } from './main-thread-priority';
import { PrioritySlots } from './priority-slots';
import { SlotLedger } from './slot-ledger';
import type { FromLane, MetricsJson, ToLane, UrgentLaneData } from './urgent-lane';

/**
 * The urgent lane's thread (see `UrgentLane`): one delivery lane for the worker's most
 * urgent queue, on this thread's own event loop. `urgent-lane-thread.ts`, the thread's
 * entry, loads this module and runs `runUrgentLane`; loading it does nothing else, so that
 * the build can load it to make its code cache (`bundle-loader.ts`).
 */
const post = (message: FromLane) => parentPort!.postMessage(message);

/** Sends each log entry to the main thread, whose logger writes it with the rest. */
class MainThreadTransport extends TransportStream {
  override log(info: Record<string, unknown>, next: () => void): void {
    // Structured clone keeps the string keys, the fields of the entry, and drops winston's symbols.
    post({ type: 'log', entry: { ...info } });
    next();
  }
}

interface Lane {
  readonly registry: Registry;
  setTargets(targets: readonly TargetConfig[]): void;
  /** Resolves once the lane is closed; the thread then exits. */
  close(): Promise<void>;
}

/** Builds the lane from the main thread's `start` message and starts its BullMQ Worker. */
function startLane(data: UrgentLaneData, http: HttpDelivery, warming: Promise<Error | undefined>): { lane: Lane; started: Promise<void> } {
  const { config } = data;
  const logger: Logger = winston.createLogger({
    level: data.logLevel,
    format: winston.format.errors({ stack: false }),
    transports: [new MainThreadTransport()],
  });
  const registry = new Registry();
  const metrics = createWorkerMetrics(registry, { processMetrics: false });
  let router = createRouter(data.targets);
  const redis = createRedisConnection(config.redisUrl, 'consumer', 'herald-worker-urgent');
  logConnectionState(redis, logger);
  const dlq = new LazyDeadLetters(config.databaseUrl);
  const mainThread = data.mainThread && new YieldToUrgent(data.mainThread, logger);

  const starting = warming.then((failure) => {
    reportWarmUp(failure, logger);
    return startDeliveryLane({
      config,
      queues: [data.queue],
      slots: new PrioritySlots(new SlotLedger(data.ledger), data.ledger.owners[data.queue.rank]!),
      http,
      redis,
      dlq,
      router: () => router,
      metrics,
      logger,
      onBreakerChange: (target, to) => post({ type: 'breaker', target, to }),
      onFailed: () => post({ type: 'failed' }),
      onJobStarted: mainThread && (() => mainThread.yieldNow()),
    });
  });
  const release = async (delivery?: DeliveryLane) => {
    await delivery?.close().catch((error) => logger.warn('shutdown step failed', { step: 'urgent lane', error: coerceError(error).message }));
    await redis.quit().catch(() => redis.disconnect());
    await dlq.close().catch(() => undefined);
  };
  const started = starting.then(
    () => undefined,
    async (error) => {
      await release();
      throw error;
    },
  );
  return {
    started,
    lane: {
      registry,
      setTargets: (targets) => {
        router = createRouter(targets);
      },
      close: () => starting.then(release, () => undefined),
    },
  };
}

/**
 * Runs the lane on this thread: warms its HTTP pools at once, then starts when the main
 * thread sends its configuration.
 */
export function runUrgentLane(): void {
  const port = parentPort!;
  // The lane's HTTP pools, warmed as soon as this thread has loaded, so that the first critical
  // alert after a start does not pay for a cold path. The main thread is then still loading its
  // own code and reading the configuration; warming only after its `start` message made the
  // lane, which the lower queues wait for, ready about 100 ms later (bench/README.md, finding 41).
  const http = createHttpDelivery();
  const warming = warmUpDelivery(http);
  let lane: Lane | undefined;
  port.on('message', (message: ToLane) => {
    switch (message.type) {
      case 'start': {
        const { lane: created, started } = startLane(message.data, http, warming);
        lane = created;
        started.then(
          () => post({ type: 'ready', osThreadId: osThreadId() }),
          (error) => {
            post({ type: 'fatal', message: coerceError(error).message });
            port.close();
          },
        );
        return;
      }
      case 'targets':
        lane?.setTargets(message.targets);
        return;
      case 'metrics':
        void (lane?.registry.getMetricsAsJSON() ?? Promise.resolve([])).then((json) => post({ type: 'metrics', id: message.id, metrics: json as MetricsJson }));
        return;
      case 'close':
        // Nothing is left to keep the thread alive once the port closes: it exits.
        void (lane?.close() ?? Promise.resolve()).then(() => port.close());
        return;
    }
  });
}
