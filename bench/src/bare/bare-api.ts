import express from 'express';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BARE_JOB_OPTIONS, BARE_QUEUE, URGENT_PRIORITY, requiredEnv } from './bare-settings';

/**
 * The least an alert API can do on BullMQ: Express 5 parses the JSON, nothing is
 * validated, and one awaited `addBulk` queues a job per alert. `?priority=1` queues them
 * as urgent. Configured by REDIS_URL, QUEUE_PREFIX and PORT.
 */
async function main(): Promise<void> {
  const redis = new Redis(requiredEnv('REDIS_URL'), { maxRetriesPerRequest: null });
  const queue = new Queue(BARE_QUEUE, { connection: redis, prefix: requiredEnv('QUEUE_PREFIX') });
  await queue.waitUntilReady();

  const app = express();
  app.use(express.json());
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.post('/webhook', async (req, res) => {
    const alerts = (req.body as { alerts?: unknown[] }).alerts ?? [];
    const opts = req.query.priority === '1' ? { ...BARE_JOB_OPTIONS, priority: URGENT_PRIORITY } : BARE_JOB_OPTIONS;
    const jobs = await queue.addBulk(alerts.map((alert) => ({ name: 'alert', data: alert, opts })));
    res.status(202).json({ jobs: jobs.map((job) => job.id) });
  });

  const server = app.listen(Number(requiredEnv('PORT')), '127.0.0.1');
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void queue.close().finally(() => {
      redis.disconnect();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error('bare-api failed:', error);
  process.exit(1);
});
