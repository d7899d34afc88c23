import { existsSync } from 'node:fs';
import Joi from 'joi';
import { ConfigError } from '../errors';
import { PRIORITIES, type Priority } from '../priority';
import { HEAP_GROWING_PERCENT } from '../runtime/heap-growth';
import { urlWithScheme } from './url-schema';

/** Everything Herald reads from the environment, parsed and checked once at start. */
export interface HeraldConfig {
  /** API port (`PORT`). */
  readonly port: number;
  /** Redis for BullMQ and breaker state (`REDIS_URL`). */
  readonly redisUrl: string;
  /** PostgreSQL for the dead-letter queue (`DATABASE_URL`). */
  readonly databaseUrl: string;
  /** Target definitions (`TARGETS_FILE`); undefined means metrics-only mode. */
  readonly targetsFile: string | undefined;
  /** Bearer token for the submission endpoints (`API_TOKEN`). */
  readonly apiToken: string | undefined;
  /** Bearer token for DLQ replay/purge and admin pages (`ADMIN_TOKEN`). */
  readonly adminToken: string | undefined;
  readonly worker: {
    /** Jobs in flight per worker process (`WORKER_CONCURRENCY`). */
    readonly concurrency: number;
    /** Queues this worker serves, most urgent first (`WORKER_QUEUES`). */
    readonly queues: readonly Priority[];
    /** Port of the worker's /metrics and /healthz (`WORKER_METRICS_PORT`). */
    readonly metricsPort: number;
    /**
     * How long a job's lock lasts without renewal (`WORKER_LOCK_MS`): the jobs of a
     * crashed worker return to their queue within about twice this.
     */
    readonly lockMs: number;
  };
  readonly delivery: {
    /** Attempts before the DLQ (`MAX_ATTEMPTS`). */
    readonly maxAttempts: number;
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
  };
  readonly breaker: {
    readonly failureThreshold: number;
    readonly openMs: number;
  };
  /** A lower queue's oldest waiting job waiting this long gets a slot anyway. */
  readonly priorityMaxWaitMs: number;
  /** Window in which a repeated (target, fingerprint, status, startsAt) is dropped. */
  readonly dedupTtlMs: number;
  /** BullMQ key prefix (`QUEUE_PREFIX`). */
  readonly queuePrefix: string;
  readonly limits: {
    /** Alerts one webhook may carry (`MAX_ALERTS_PER_WEBHOOK`); Alertmanager's `max_alerts` should stay below it. */
    readonly alertsPerWebhook: number;
    /** Labels one alert may carry (`MAX_LABELS_PER_ALERT`). */
    readonly labelsPerAlert: number;
    /** Jobs (alerts × targets) one request may create (`MAX_FANOUT_PER_REQUEST`). */
    readonly fanoutPerRequest: number;
  };
  /**
   * Queue depth (waiting + delayed) past which new alerts of that priority are refused
   * with 503 (`QUEUE_MAX_DEPTH_HIGH|MEDIUM|LOW`). High's is the largest by default, so it
   * is the last queue to refuse.
   */
  readonly maxDepth: Readonly<Record<Priority, number>>;
  readonly logLevel: string;
  /**
   * How far V8's heap may grow past its live size between full collections, in percent
   * (`HEAP_GROWING_PERCENT`); 0 leaves V8's own rule. See capHeapGrowth.
   */
  readonly heapGrowingPercent: number;
}

const positiveInt = (min: number, max: number) => Joi.number().integer().min(min).max(max);

const schema = Joi.object({
  PORT: Joi.number().port().default(8080),
  REDIS_URL: urlWithScheme(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  DATABASE_URL: urlWithScheme(['postgres', 'postgresql']).required(),
  TARGETS_FILE: Joi.string(),
  API_TOKEN: Joi.string().min(16),
  ADMIN_TOKEN: Joi.string().min(16),
  WORKER_CONCURRENCY: positiveInt(1, 1000).default(50),
  WORKER_QUEUES: Joi.string()
    .pattern(/^\s*(high|medium|low)\s*(,\s*(high|medium|low)\s*)*$/)
    .default('high,medium,low')
    .messages({ 'string.pattern.base': '"WORKER_QUEUES" must be a comma-separated list of high, medium and low' }),
  WORKER_METRICS_PORT: Joi.number().port().default(9464),
  WORKER_LOCK_MS: positiveInt(1000, 600_000).default(30000),
  MAX_ATTEMPTS: positiveInt(1, 100).default(5),
  BACKOFF_BASE_MS: positiveInt(1, 3_600_000).default(2000),
  BACKOFF_MAX_MS: positiveInt(1, 3_600_000).default(30000),
  BREAKER_FAILURE_THRESHOLD: positiveInt(1, 10_000).default(5),
  BREAKER_OPEN_MS: positiveInt(100, 3_600_000).default(30000),
  PRIORITY_MAX_WAIT_MS: positiveInt(1, 86_400_000).default(30000),
  DEDUP_TTL_MS: Joi.number().integer().min(0).max(86_400_000).default(60000),
  QUEUE_PREFIX: Joi.string().pattern(/^[A-Za-z0-9_{}.-]+$/).default('herald'),
  MAX_ALERTS_PER_WEBHOOK: positiveInt(1, 100_000).default(1000),
  MAX_LABELS_PER_ALERT: positiveInt(1, 1000).default(100),
  MAX_FANOUT_PER_REQUEST: positiveInt(1, 1_000_000).default(10_000),
  QUEUE_MAX_DEPTH_HIGH: positiveInt(1, 100_000_000).default(1_000_000),
  QUEUE_MAX_DEPTH_MEDIUM: positiveInt(1, 100_000_000).default(500_000),
  QUEUE_MAX_DEPTH_LOW: positiveInt(1, 100_000_000).default(250_000),
  HEAP_GROWING_PERCENT: Joi.number().integer().min(0).max(1000).default(HEAP_GROWING_PERCENT),
  LOG_LEVEL: Joi.string().valid('error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly').default('info'),
})
  .unknown(true)
  .custom((env: Record<string, unknown>, helpers) => {
    if ((env.BACKOFF_BASE_MS as number) > (env.BACKOFF_MAX_MS as number)) {
      return helpers.message({ custom: '"BACKOFF_BASE_MS" must not exceed "BACKOFF_MAX_MS"' });
    }
    return env;
  });

/**
 * Reads the configuration from an environment. Empty variables count as unset.
 * Throws one ConfigError naming every variable at fault.
 */
export function loadEnvConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): HeraldConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const { value, error } = schema.validate(present, { abortEarly: false, convert: true });
  if (error) {
    throw new ConfigError(`Invalid configuration: ${error.details.map((d) => d.message).join('; ')}`);
  }
  const queues = String(value.WORKER_QUEUES)
    .split(',')
    .map((name) => name.trim() as Priority);
  if (new Set(queues).size !== queues.length) {
    throw new ConfigError('Invalid configuration: "WORKER_QUEUES" names a queue twice');
  }
  const targetsFile = value.TARGETS_FILE ?? (existsSync(`${cwd}/targets.yaml`) ? `${cwd}/targets.yaml` : undefined);
  return {
    port: value.PORT,
    redisUrl: value.REDIS_URL,
    databaseUrl: value.DATABASE_URL,
    targetsFile,
    apiToken: value.API_TOKEN,
    adminToken: value.ADMIN_TOKEN,
    worker: { concurrency: value.WORKER_CONCURRENCY, queues, metricsPort: value.WORKER_METRICS_PORT, lockMs: value.WORKER_LOCK_MS },
    delivery: { maxAttempts: value.MAX_ATTEMPTS, backoffBaseMs: value.BACKOFF_BASE_MS, backoffMaxMs: value.BACKOFF_MAX_MS },
    breaker: { failureThreshold: value.BREAKER_FAILURE_THRESHOLD, openMs: value.BREAKER_OPEN_MS },
    priorityMaxWaitMs: value.PRIORITY_MAX_WAIT_MS,
    dedupTtlMs: value.DEDUP_TTL_MS,
    queuePrefix: value.QUEUE_PREFIX,
    limits: {
      alertsPerWebhook: value.MAX_ALERTS_PER_WEBHOOK,
      labelsPerAlert: value.MAX_LABELS_PER_ALERT,
      fanoutPerRequest: value.MAX_FANOUT_PER_REQUEST,
    },
    maxDepth: { high: value.QUEUE_MAX_DEPTH_HIGH, medium: value.QUEUE_MAX_DEPTH_MEDIUM, low: value.QUEUE_MAX_DEPTH_LOW },
    logLevel: value.LOG_LEVEL,
    heapGrowingPercent: value.HEAP_GROWING_PERCENT,
  };
}

