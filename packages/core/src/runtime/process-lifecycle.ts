import { ConfigError, coerceError } from '../errors';
import { loadEnvConfig, type HeraldConfig } from '../config/env-config';
import { loadTargets } from '../config/load-targets';
import type { TargetConfig } from '../config/target-config';
import { createLogger, type Logger } from '../observability/logger';
import { ioredisPipelinesPatched } from '../queue/ioredis-patch';
import { capHeapGrowth } from './heap-growth';

type Release = () => Promise<void> | void;

/**
 * Releasers is a stack of shutdown steps run last-in-first-out, so a process closes
 * what it opened in reverse: HTTP server, then workers, then queues, Redis, database.
 * A failing step is logged and the rest still run.
 */
export class Releasers {
  private readonly stack: { name: string; release: Release }[] = [];

  add(name: string, release: Release): void {
    this.stack.push({ name, release });
  }

  async releaseAll(logger: Logger): Promise<void> {
    while (this.stack.length > 0) {
      const { name, release } = this.stack.pop()!;
      try {
        await release();
      } catch (error) {
        logger.warn('shutdown step failed', { step: name, error: coerceError(error).message });
      }
    }
  }
}

/**
 * Runs `shutdown` once on the first SIGTERM or SIGINT, then exits. A second signal, or
 * `capMs` passing, exits at once: whatever is still running is left to BullMQ's
 * stalled-job recovery, which is safe because nothing was acknowledged.
 */
export function onShutdownSignal(shutdown: () => Promise<void>, options: { capMs: number; logger: Logger }): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    options.logger.info('shutting down', { signal });
    const cap = setTimeout(() => {
      options.logger.error('shutdown took too long: exiting', { capMs: options.capMs });
      process.exit(1);
    }, options.capMs);
    cap.unref();
    shutdown().then(
      () => process.exit(0),
      (error) => {
        options.logger.error('shutdown failed', { error: coerceError(error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

export interface RunRoleOptions {
  /** How long a shutdown may take before the process exits anyway (30 s). */
  readonly capMs?: number;
  /**
   * Resolves once every thread of the process has compiled its code. The heap's growth is
   * capped (a V8 flag) only then: V8 refuses a code cache made under other flags.
   */
  readonly codeLoaded?: Promise<unknown>;
}

/**
 * The `main` of a Herald process: reads configuration (exit 2 with one message when it
 * is invalid), starts the role, and shuts it down on SIGTERM/SIGINT within `capMs`.
 * The signal handlers are installed before starting, so a signal during startup still
 * shuts down cleanly.
 */
export function runRole(
  service: string,
  start: (config: HeraldConfig, targets: TargetConfig[], logger: Logger) => Promise<{ close(): Promise<void> }>,
  { capMs = 30_000, codeLoaded }: RunRoleOptions = {},
): void {
  let config: HeraldConfig;
  let targets: TargetConfig[];
  try {
    config = loadEnvConfig(process.env);
    targets = loadTargets(config, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${service}: ${error.message}`);
    process.exit(2);
  }
  if (codeLoaded) void codeLoaded.then(() => capHeapGrowth(config.heapGrowingPercent));
  else capHeapGrowth(config.heapGrowingPercent);
  const logger = createLogger({ service, level: config.logLevel });
  if (!ioredisPipelinesPatched()) {
    logger.warn('ioredis is not patched (patches/): every Redis pipeline lives until a full garbage collection; run `npx patch-package` in the install');
  }
  const starting = start(config, targets, logger);
  onShutdownSignal(async () => (await starting).close(), { capMs, logger });
  starting.catch((error) => {
    logger.error('failed to start', { error: coerceError(error).message });
    process.exit(1);
  });
}
