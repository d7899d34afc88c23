import type { Redis } from 'ioredis';

/*
 * One string per (target, fingerprint): `<startsAt ms>|<job key>` of the latest firing job
 * queued for that alert and target (BullMQ keeps a job as a hash under `<prefix>:<queue>:<id>`).
 *
 * RECORD  KEYS: index keys. ARGV: time to live (ms), then one value per index key.
 * PENDING KEYS: one index key. ARGV: the resolve's startsAt (ms). Returns 1 while the job
 *         recorded there still exists without `finishedOn` (BullMQ sets that field when a
 *         job completes or fails for good) and its alert started no later than the resolve's:
 *         a trigger of a later episode of the alert is not the one this resolve ends, and
 *         it keeps its record for its own resolve. A finished or vanished job leaves nothing
 *         to wait for: its record goes, and it returns 0.
 */
const RECORD = `
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[i + 1], 'PX', ARGV[1])
end
return #KEYS
`;
const PENDING = `
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local bar = string.find(value, '|', 1, true)
local startsAt, job = tonumber(string.sub(value, 1, bar - 1)) or 0, string.sub(value, bar + 1)
if redis.call('EXISTS', job) == 0 or redis.call('HEXISTS', job, 'finishedOn') == 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
if startsAt > (tonumber(ARGV[1]) or 0) then return 0 end
return 1
`;

/**
 * A trigger older than this no longer holds its resolve back. It bounds the memory of
 * alerts that never resolve; a job is retried and parked for far less than a day.
 */
export const FIRING_INDEX_TTL_MS = 24 * 60 * 60 * 1000;

interface FiringIndexCommands {
  heraldFiringRecord(...keysThenArgs: (string | number)[]): Promise<number>;
  heraldFiringPending(key: string, startsAtMs: number): Promise<number>;
}

/** A firing job just queued: its alert and target, and where BullMQ keeps it. */
export interface QueuedFiring {
  readonly target: string;
  readonly fingerprint: string;
  /** The alert's `startsAt`, as received (RFC 3339). */
  readonly startsAt: string;
  readonly jobKey: string;
}

/**
 * The FiringJobIndex lets a resolve wait for its trigger. A firing alert is high or medium
 * and its resolve is low, so they travel in different queues; a retried trigger, or one
 * delivered on the worker's other thread, would otherwise let the resolve reach the
 * target first, and PagerDuty, say, would keep open the incident the trigger then opens.
 *
 * The API records each firing job it queues once BullMQ has it (PublishingQueues); a
 * worker holding a resolve asks whether that job is still unfinished, in one round trip.
 * Firing jobs cost the worker nothing: a finished trigger's entry goes when a resolve
 * asks, or after `FIRING_INDEX_TTL_MS`.
 */
export class FiringJobIndex {
  private readonly redis: Redis & FiringIndexCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    if (!('heraldFiringRecord' in redis)) {
      redis.defineCommand('heraldFiringRecord', { lua: RECORD });
      redis.defineCommand('heraldFiringPending', { numberOfKeys: 1, lua: PENDING });
    }
    this.redis = redis as Redis & FiringIndexCommands;
  }

  /** Makes each job the one its (target, fingerprint) resolve waits for; one command for all. */
  async record(jobs: readonly QueuedFiring[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.redis.heraldFiringRecord(
      jobs.length,
      ...jobs.map((job) => this.key(job.target, job.fingerprint)),
      FIRING_INDEX_TTL_MS,
      ...jobs.map((job) => `${Date.parse(job.startsAt)}|${job.jobKey}`),
    );
  }

  /**
   * Whether a resolve of the alert that started at `startsAt` must still wait: the latest
   * firing job for this alert and target, of that episode or an earlier one, has yet to
   * complete or fail.
   */
  async isPending(target: string, fingerprint: string, startsAt: string): Promise<boolean> {
    return (await this.redis.heraldFiringPending(this.key(target, fingerprint), Date.parse(startsAt))) === 1;
  }

  /** Target names cannot hold a colon, so the key is unambiguous. */
  private key(target: string, fingerprint: string): string {
    return `${this.prefix}:firing:${target}:${fingerprint}`;
  }
}
