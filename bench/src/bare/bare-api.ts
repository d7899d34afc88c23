import express from 'express';
import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { BARE_JOB_OPTIONS, BARE_QUEUE, CONTRACT_DEDUP_TTL_MS, CONTRACT_JOB_OPTIONS, URGENT_PRIORITY, contractMode, requiredEnv } from './bare-settings';

interface WebhookAlert {
  readonly fingerprint?: string;
  readonly status?: string;
  readonly startsAt?: string;
}

/** Herald's default `MAX_LABELS_PER_ALERT`, which shapes its webhook schema. */
const LABELS_PER_ALERT = 100;

/**
 * The least an alert API can do on BullMQ: Express 5 parses the JSON, nothing is
 * validated, and one awaited `addBulk` queues a job per alert. `?priority=1` queues them
 * as urgent. Configured by REDIS_URL, QUEUE_PREFIX and PORT.
 *
 * With BARE_CONTRACT=1 it also does what DESIGN.md asks of any implementation of the
 * webhook, and nothing of Herald's own: the body is validated with Herald's joi webhook
 * schema (a 400 when invalid), and each job carries BullMQ deduplication on
 * (target, fingerprint, status, startsAt) for `DEDUP_TTL_MS` and retries
 * (`CONTRACT_JOB_OPTIONS`). No routing, priority rules, resolve ordering, token, metrics
 * or logs.
 */
async function main(): Promise<void> {
  const contract = contractMode();
  // Loaded only in contract mode: the bare API's start-up and memory are part of its figures.
  const webhookSchema = contract ? (await import('@herald/core')).createAlertSchemas({ labelsPerAlert: LABELS_PER_ALERT }).webhook : undefined;
  const redis = new Redis(requiredEnv('REDIS_URL'), { maxRetriesPerRequest: null });
  const queue = new Queue(BARE_QUEUE, { connection: redis, prefix: requiredEnv('QUEUE_PREFIX') });
  await queue.waitUntilReady();

  const jobOptions = (alert: WebhookAlert, urgent: boolean): JobsOptions => {
    const base = contract ? CONTRACT_JOB_OPTIONS : BARE_JOB_OPTIONS;
    const opts = urgent ? { ...base, priority: URGENT_PRIORITY } : base;
    // The same id Herald builds (deduplicationId), for its one target, "sink".
    return contract ? { ...opts, deduplication: { id: `sink|${alert.fingerprint}|${alert.status}|${alert.startsAt}`, ttl: CONTRACT_DEDUP_TTL_MS } } : opts;
  };

  const app = express();
  app.use(express.json());
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.post('/webhook', async (req, res) => {
    let body = req.body as { alerts?: WebhookAlert[] };
    if (webhookSchema) {
      const { error, value } = webhookSchema.validate(body);
      if (error) {
        res.status(400).json({ error: { code: 'invalid_request', message: error.message } });
        return;
      }
      body = value as typeof body;
    }
    const urgent = req.query.priority === '1';
    const alerts = body.alerts ?? [];
    const jobs = await queue.addBulk(alerts.map((alert) => ({ name: 'alert', data: alert, opts: jobOptions(alert, urgent) })));
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
