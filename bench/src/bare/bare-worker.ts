import { Worker, type KeepJobs } from 'bullmq';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { BARE_QUEUE, requiredEnv } from './bare-settings';

/**
 * The least a delivering worker can do on BullMQ: concurrency 50, each job's data POSTed
 * as JSON to SINK_URL with undici over one shared Agent, the answer read and dropped.
 * Configured by REDIS_URL, QUEUE_PREFIX and SINK_URL; prints "bare-worker ready".
 *
 * In contract mode the bench passes BARE_KEEP_COMPLETED, a JSON BullMQ `KeepJobs` (Herald's
 * `COMPLETED_JOB_RETENTION`: 24 h, up to 20,000), and the Worker keeps completed jobs by it
 * as DESIGN.md asks, instead of the jobs removing themselves.
 */
async function main(): Promise<void> {
  const sinkUrl = requiredEnv('SINK_URL');
  const keep = process.env.BARE_KEEP_COMPLETED;
  const retention = keep ? { removeOnComplete: JSON.parse(keep) as KeepJobs } : {};
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const connection = new Redis(requiredEnv('REDIS_URL'), { maxRetriesPerRequest: null });
  const worker = new Worker(
    BARE_QUEUE,
    async (job) => {
      const { statusCode, body } = await request(sinkUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(job.data),
        dispatcher: agent,
      });
      await body.dump();
      if (statusCode >= 300) throw new Error(`sink answered ${statusCode}`);
    },
    { connection, prefix: requiredEnv('QUEUE_PREFIX'), concurrency: 50, ...retention },
  );
  worker.on('error', (error) => console.error('bare-worker error:', error.message));
  await worker.waitUntilReady();
  console.log('bare-worker ready');

  const stop = () => {
    void worker.close().finally(() => {
      connection.disconnect();
      void agent.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error('bare-worker failed:', error);
  process.exit(1);
});
