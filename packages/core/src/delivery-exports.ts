/*
 * `@herald/core/delivery`: what a delivery thread needs (formatting, delivering, breakers,
 * rate limits, metrics, the Redis connection), without the configuration parsers. The
 * package's index also loads joi and yaml, about 150 ms of start-up that the urgent lane's
 * thread, which receives its configuration already parsed, has no use for.
 */
export * from './errors';
export * from './priority';
export * from './routing';
export * from './queue/publish-job';
export * from './queue/redis-connection';
export * from './queue/backoff';
export * from './queue/firing-job-index';
export * from './formatters/index';
export * from './delivery/delivery-errors';
export * from './delivery/http-delivery';
export * from './delivery/classify-error';
export * from './delivery/delivery-failure';
export * from './observability/metrics';
export * from './breaker/breaker-registry';
export * from './rate-limit/target-rate-limiter';
