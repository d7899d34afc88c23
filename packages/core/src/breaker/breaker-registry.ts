import type { Redis } from 'ioredis';

export type BreakerState = 'closed' | 'half-open' | 'open';

/** `herald_breaker_state` encodes states as numbers. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface BreakerSettings {
  /** Consecutive transient/unknown failures that open the breaker. */
  readonly failureThreshold: number;
  /** How long it stays open before one probe may go through. */
  readonly openMs: number;
}

/** May a request go to the target now? */
export type Admission =
  | { readonly allowed: true; readonly probe: boolean; readonly state: BreakerState; readonly failures: number }
  | { readonly allowed: false; readonly state: BreakerState; /** When to ask again (epoch ms). */ readonly retryAt: number };

/** What an attempt says about the target's health. */
export type BreakerOutcome = 'success' | 'failure';

const HEALTHY: Admission = { allowed: true, probe: false, state: 'closed', failures: 0 };

export interface BreakerView {
  readonly state: BreakerState;
  readonly failures: number;
  /** While open: when the breaker lets a probe through (ISO time). */
  readonly openUntil: string | null;
}

/**
 * While a probe is out, other requests ask again this soon: a probe takes milliseconds
 * when the target is back, and its lease (the target's timeout plus a margin) only
 * bounds how long a lost probe blocks the breaker.
 */
const PROBE_RECHECK_MS = 1000;

/**
 * A breaker seen closed with no failures is trusted locally for this long, sparing the
 * Redis round trip on nearly every delivery to a healthy target. Another worker's
 * opening of it is then seen at most this late: a few more requests to a dead target,
 * well within "near the threshold".
 */
const HEALTHY_CACHE_MS = 250;

/** Reported for every state change this process makes, for metrics and logs. */
export type TransitionListener = (target: string, to: BreakerState) => void;

/*
 * State lives in one hash per target: state, failures, openUntil, probeUntil. A closed
 * breaker with no failures has no key at all, so healthy targets cost no memory.
 * Both scripts return { allowed/state..., transition } where transition is the new
 * state when this call changed it, '' otherwise.
 */
const ADMIT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local recheck = tonumber(ARGV[3])
local held = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < held then return {0, held, 'closed', 0, 0, ''} end
local h = redis.call('HMGET', key, 'state', 'failures', 'openUntil', 'probeUntil')
local state = h[1] or 'closed'
if state == 'closed' then return {1, 0, state, tonumber(h[2] or '0'), 0, ''} end
if state == 'open' then
  local openUntil = tonumber(h[3] or '0')
  if now < openUntil then return {0, openUntil, state, 0, 0, ''} end
  redis.call('HSET', key, 'state', 'half-open', 'probeUntil', now + lease)
  return {1, 0, 'half-open', 0, 1, 'half-open'}
end
local probeUntil = tonumber(h[4] or '0')
if now < probeUntil then return {0, math.min(probeUntil, now + recheck), state, 0, 0, ''} end
redis.call('HSET', key, 'probeUntil', now + lease)
return {1, 0, state, 0, 1, ''}
`;

/* KEYS: hold; ARGV: until (epoch ms), ms. Extends a hold, never shortens it. */
const HOLD = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
`;

const RECORD = `
local key = KEYS[1]
local outcome = ARGV[1]
local now = tonumber(ARGV[2])
local threshold = tonumber(ARGV[3])
local openMs = tonumber(ARGV[4])
local probe = ARGV[5] == '1'
local state = redis.call('HGET', key, 'state') or 'closed'
if outcome == 'success' then
  redis.call('DEL', key)
  if state == 'closed' then return {'closed', ''} end
  return {'closed', 'closed'}
end
if state == 'closed' then
  local failures = redis.call('HINCRBY', key, 'failures', 1)
  if failures >= threshold then
    redis.call('HSET', key, 'state', 'open', 'openUntil', now + openMs)
    return {'open', 'open'}
  end
  return {'closed', ''}
end
if state == 'half-open' and probe then
  redis.call('HSET', key, 'state', 'open', 'openUntil', now + openMs)
  redis.call('HDEL', key, 'probeUntil')
  return {'open', 'open'}
end
return {state, ''}
`;

interface BreakerCommands {
  heraldBreakerAdmit(key: string, hold: string, now: number, leaseMs: number, recheckMs: number): Promise<[number, number, BreakerState, number, number, string]>;
  heraldBreakerHold(hold: string, until: number, ms: number): Promise<number>;
  heraldBreakerRecord(key: string, outcome: BreakerOutcome, now: number, threshold: number, openMs: number, probe: string): Promise<[BreakerState, string]>;
}

/**
 * The BreakerRegistry holds one circuit breaker per target, in Redis, so every worker
 * and the API see the same state. Closed → open after `failureThreshold` consecutive
 * transient/unknown failures; open for `openMs`; then half-open, where exactly one probe
 * at a time goes through (its lease expires if its worker dies); the probe's outcome
 * closes or re-opens it. Permanent failures say the target is up, so they count as
 * successes here. A target that answers 429 is also held for the time it asked, by
 * every worker.
 */
export class BreakerRegistry {
  private readonly redis: Redis & BreakerCommands;
  /** Targets whose breaker was closed and clean when last asked, until when (epoch ms). */
  private readonly healthyUntil = new Map<string, number>();

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly settings: BreakerSettings,
    private readonly onTransition: TransitionListener = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    if (!('heraldBreakerAdmit' in redis)) {
      redis.defineCommand('heraldBreakerAdmit', { numberOfKeys: 2, lua: ADMIT });
      redis.defineCommand('heraldBreakerHold', { numberOfKeys: 1, lua: HOLD });
      redis.defineCommand('heraldBreakerRecord', { numberOfKeys: 1, lua: RECORD });
    }
    this.redis = redis as Redis & BreakerCommands;
  }

  /**
   * `admit`'s answer when it needs no Redis call (the breaker was seen closed and clean in
   * the last HEALTHY_CACHE_MS), at no more cost than a map lookup; else undefined. The
   * delivery path asks this first: nearly every delivery then awaits nothing here.
   */
  cachedAdmission(target: string): Admission | undefined {
    return (this.healthyUntil.get(target) ?? 0) > this.now() ? HEALTHY : undefined;
  }

  /**
   * Asks whether a request may go to `target`. A granted probe holds the half-open
   * breaker for `leaseMs` (the target's timeout plus a margin).
   */
  async admit(target: string, leaseMs: number): Promise<Admission> {
    const cached = this.cachedAdmission(target);
    if (cached) return cached;
    const now = this.now();
    const [allowed, retryAt, state, failures, probe, transition] = await this.redis.heraldBreakerAdmit(
      this.key(target),
      `${this.key(target)}:hold`,
      this.now(),
      leaseMs,
      Math.min(PROBE_RECHECK_MS, this.settings.openMs),
    );
    if (transition) this.onTransition(target, transition as BreakerState);
    if (allowed === 1 && state === 'closed' && failures === 0 && probe === 0) this.healthyUntil.set(target, now + HEALTHY_CACHE_MS);
    return allowed === 1 ? { allowed: true, probe: probe === 1, state, failures } : { allowed: false, state, retryAt };
  }

  /**
   * The target asked for a pause (429 with or without Retry-After): no worker sends to it
   * for `ms`, whatever the breaker's state. The hold rides on the admit call every job
   * makes anyway, so it costs nothing while unused.
   */
  async hold(target: string, ms: number): Promise<void> {
    this.healthyUntil.delete(target);
    const duration = Math.max(1, Math.round(ms));
    await this.redis.heraldBreakerHold(`${this.key(target)}:hold`, this.now() + duration, duration);
  }

  /** Whether `record` has anything to do: a success on a breaker that was closed and clean has not. */
  static recordNeeded(admission: Admission, outcome: BreakerOutcome): boolean {
    return !(outcome === 'success' && admission.allowed && admission.state === 'closed' && admission.failures === 0);
  }

  /** Records an attempt's outcome. A success on a healthy breaker needs no Redis call at all. */
  async record(target: string, admission: Admission, outcome: BreakerOutcome): Promise<void> {
    if (outcome === 'failure') this.healthyUntil.delete(target);
    if (!BreakerRegistry.recordNeeded(admission, outcome)) return;
    const probe = admission.allowed && admission.probe ? '1' : '0';
    const [, transition] = await this.redis.heraldBreakerRecord(
      this.key(target),
      outcome,
      this.now(),
      this.settings.failureThreshold,
      this.settings.openMs,
      probe,
    );
    if (transition) this.onTransition(target, transition as BreakerState);
  }

  /** The breakers of these targets, read in one round trip. */
  async views(targets: readonly string[]): Promise<Record<string, BreakerView>> {
    if (targets.length === 0) return {};
    const pipeline = this.redis.pipeline();
    for (const target of targets) pipeline.hmget(this.key(target), 'state', 'failures', 'openUntil');
    const results = (await pipeline.exec()) ?? [];
    return Object.fromEntries(
      targets.map((target, i) => {
        const [error, values] = results[i] ?? [null, []];
        if (error) throw error;
        const [state, failures, openUntil] = values as (string | null)[];
        const view: BreakerView = {
          state: (state as BreakerState | null) ?? 'closed',
          failures: Number(failures ?? 0),
          openUntil: state === 'open' && openUntil ? new Date(Number(openUntil)).toISOString() : null,
        };
        return [target, view];
      }),
    );
  }

  private key(target: string): string {
    return `${this.prefix}:breaker:${target}`;
  }
}
