import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger';

/**
 * How a process uses Redis, which decides what a command does while Redis is away:
 * - `producer` (the API) fails fast, so a request can answer 503 at once instead of
 *   hanging until Redis returns;
 * - `consumer` (workers) waits and retries forever, as BullMQ workers require.
 */
export type RedisRole = 'producer' | 'consumer';

const PRODUCER_COMMAND_TIMEOUT_MS = 5000;

export function createRedisConnection(url: string, role: RedisRole, name: string): Redis {
  const options: RedisOptions =
    role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true };
  return new Redis(url, {
    ...options,
    connectionName: name,
    // Reconnect quickly at first, then every 2 s for as long as it takes.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
}

/** Logs a lost and a restored connection once each; ioredis reports every failed reconnect. */
export function logConnectionState(redis: Redis, logger: Logger): void {
  let down = false;
  redis.on('error', (error) => {
    if (!down) logger.error('redis connection lost', { error: error.message });
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis connection restored');
    down = false;
  });
}

/**
 * Resolves once the connection is ready, or after `timeoutMs` either way: a process
 * starts without Redis and serves 503s until it comes, rather than not starting.
 */
export function waitForConnection(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}
