import { Gauge, type Registry } from 'prom-client';
import { PRIORITIES, queueName, type DeadLetterRepository, type PublishingQueues } from '@herald/core';
import { cachedRead } from './cached-read';

/**
 * `herald_queue_jobs{queue,state}`, read from Redis when scraped: one count per queue
 * and state, whatever the number of jobs, and at most once a second however many
 * scrapers ask. Every API replica reports the same totals, so dashboards aggregate
 * with `max by (queue, state)`, never `sum`.
 */
export function registerQueueDepthGauge(registry: Registry, queues: PublishingQueues): void {
  const counts = cachedRead(() => queues.counts(), 1000);
  new Gauge({
    name: 'herald_queue_jobs',
    help: 'Jobs in each publish queue by state (read from Redis at scrape time)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      try {
        const current = await counts();
        for (const priority of PRIORITIES) {
          for (const [state, count] of Object.entries(current[priority])) this.set({ queue: queueName(priority), state }, count);
        }
      } catch {
        // Redis is away: report nothing rather than stale or zero depths.
        this.reset();
      }
    },
  });
}

/** `herald_dlq_entries{replayed}`, read from PostgreSQL when scraped, at most every 5 s. Aggregate with `max`. */
export function registerDeadLetterGauge(registry: Registry, dlq: DeadLetterRepository): void {
  const stats = cachedRead(() => dlq.stats(), 5000);
  new Gauge({
    name: 'herald_dlq_entries',
    help: 'Entries in the dead-letter queue, replayed or not (read from PostgreSQL at scrape time)',
    labelNames: ['replayed'],
    registers: [registry],
    async collect() {
      try {
        const { total, replayed } = await stats();
        this.set({ replayed: 'true' }, replayed);
        this.set({ replayed: 'false' }, total - replayed);
      } catch {
        this.reset();
      }
    },
  });
}
