import { PRIORITIES, type Logger, type Priority, type PublishingQueues } from '@herald/core';

const REFRESH_MS = 500;

/**
 * The QueueDepthGuard knows, to within half a second, whether each publish queue is over
 * its depth limit. It reads the depths in the background, so a request pays nothing
 * for backpressure.
 */
export class QueueDepthGuard {
  private readonly depths: Record<Priority, number> = { high: 0, medium: 0, low: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queues: PublishingQueues,
    private readonly maxDepth: Readonly<Record<Priority, number>>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Whether new jobs of this priority must be refused. */
  isFull(priority: Priority): boolean {
    return this.depths[priority] >= this.maxDepth[priority];
  }

  depth(priority: Priority): number {
    return this.depths[priority];
  }

  limit(priority: Priority): number {
    return this.maxDepth[priority];
  }

  private async refresh(): Promise<void> {
    try {
      const counts = await this.queues.counts();
      for (const priority of PRIORITIES) {
        const { waiting, prioritized, delayed } = counts[priority];
        this.depths[priority] = waiting + prioritized + delayed;
      }
    } catch (error) {
      // Redis is away: enqueueing fails on its own, with its own 503.
      this.logger.debug('could not read queue depths', { error: (error as Error).message });
    }
  }
}
