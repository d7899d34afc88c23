import type { ErrorType } from '../delivery/classify-error';

/** The name of Herald's BullMQ backoff strategy, set on every job it enqueues. */
export const BACKOFF_TYPE = 'herald';

export interface BackoffSettings {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Jitter only lengthens a delay, so retries are never closer than the formula says. */
const JITTER = 0.2;
/** Unknown failures may be anything, including a target that needs time: wait twice as long. */
const UNKNOWN_FACTOR = 2;

/**
 * The delay before retry number `attemptsMade`: `min(max, base·2^(attemptsMade-1))`,
 * doubled for unknown failures, stretched by up to 20 % at random so retries of one
 * outage spread out, and never shorter than a `Retry-After` the target asked for
 * (already capped at five minutes when parsed).
 */
export function backoffDelayMs(
  attemptsMade: number,
  settings: BackoffSettings,
  failure: { errorType?: ErrorType; retryAfterMs?: number | null } = {},
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attemptsMade - 1);
  const factor = failure.errorType === 'unknown' ? UNKNOWN_FACTOR : 1;
  const delay = Math.min(settings.maxMs * factor, settings.baseMs * factor * 2 ** exponent);
  const jittered = Math.round(delay * (1 + JITTER * random()));
  return Math.max(jittered, failure.retryAfterMs ?? 0);
}
