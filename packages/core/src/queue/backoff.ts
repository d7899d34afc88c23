/** The name of Herald's BullMQ backoff strategy, set on every job it enqueues. */
export const BACKOFF_TYPE = 'herald';

export interface BackoffSettings {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Jitter only lengthens a delay, so retries are never closer than the formula says. */
const JITTER = 0.2;

/**
 * The delay before retry number `attemptsMade`: `min(max, base·2^(attemptsMade-1))`,
 * stretched by up to 20 % at random so retries of one outage spread out.
 */
export function backoffDelayMs(attemptsMade: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const exponent = Math.max(0, attemptsMade - 1);
  const delay = Math.min(settings.maxMs, settings.baseMs * 2 ** exponent);
  return Math.round(delay * (1 + JITTER * random()));
}
