import { Gauge, type Registry } from 'prom-client';
import { PRIORITIES, queueName, type JobCounts, type Priority, type PublishingQueues } from '@herald/core';

const CACHE_MS = 1000;

/**
 * `herald_queue_jobs{queue,state}`, read from Redis when scraped: one count per queue
 * and state, whatever the number of jobs, and at most once a second however many
 * scrapers ask. Every API replica reports the same totals, so dashboards aggregate
 * with `max by (queue, state)`, never `sum`.
 */
export function registerQueueDepthGauge(registry: Registry, queues: PublishingQueues): void {
  let cached: { at: number; counts: Promise<Record<Priority, JobCounts>> } | undefined;
  new Gauge({
    name: 'herald_queue_jobs',
    help: 'Jobs in each publish queue by state (read from Redis at scrape time)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      if (!cached || Date.now() - cached.at > CACHE_MS) {
        cached = { at: Date.now(), counts: queues.counts() };
      }
      let counts: Record<Priority, JobCounts>;
      try {
        counts = await cached.counts;
      } catch {
        // Redis is away: report nothing rather than stale or zero depths.
        cached = undefined;
        this.reset();
        return;
      }
      for (const priority of PRIORITIES) {
        for (const [state, count] of Object.entries(counts[priority])) this.set({ queue: queueName(priority), state }, count);
      }
    },
  });
}
