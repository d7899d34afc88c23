import { coerceError } from '../errors';
import type { Logger } from '../observability/logger';

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
