import type { Redis } from 'ioredis';
import type { Alert } from '../alert/alert';

/*
 * One string per (target, fingerprint), `<startsAt ms>|<job key>`: the latest firing job
 * queued for that alert and target (BullMQ keeps a job as a hash under
 * `<prefix>:<queue>:<id>`). Once a resolve has been delivered the string becomes
 * `<startsAt ms>|`, with no job: that episode of the alert has ended at the target. An
 * episode is one run of the alert from its `startsAt`; Alertmanager gives the alert a new
 * `startsAt` when it fires again after a resolve.
 *
 * RECORD   `recordFiring(key, startsAt, jobKey, ttl)`, a Lua function that BulkAddScript runs
 *          for each firing job it queues, in the same call. A key that already holds a later
 *          episode, or the end of the same one, keeps it: a replayed or late trigger must not
 *          hide that the alert has moved on.
 * STANDING KEYS: one index key. ARGV: the job's startsAt (ms), then 1 for a resolve or 0 for
 *          a trigger. Returns
 *            2 (superseded) when a trigger of a later episode was queued, or, for a trigger,
 *              when its episode (or a later one) has already been resolved at the target;
 *            1 (wait) for a resolve whose trigger, of its own or an earlier episode, still
 *              exists without `finishedOn` (BullMQ sets it when a job completes or fails for
 *              good);
 *            0 (deliver) otherwise.
 * ENDED    KEYS: one index key. ARGV: time to live (ms), the resolve's startsAt (ms). Marks the
 *          episode resolved at the target, unless the key already holds a later episode.
 */
const PARSE = `
local function parse(value)
  local bar = string.find(value, '|', 1, true)
  return tonumber(string.sub(value, 1, bar - 1)) or 0, string.sub(value, bar + 1)
end
`;
/** Lua that defines `recordFiring` (RECORD above), for a script that queues firing jobs. */
export const RECORD_FIRING_LUA = `${PARSE}
local function recordFiring(key, startsAt, jobKey, ttl)
  local value = startsAt .. '|' .. jobKey
  -- Most firing jobs are of alerts the index does not hold yet: one command for those.
  if redis.call('SET', key, value, 'PX', ttl, 'NX') then return end
  local at, job = parse(redis.call('GET', key))
  local startsAtMs = tonumber(startsAt) or 0
  if at > startsAtMs or (at == startsAtMs and job == '') then return end
  redis.call('SET', key, value, 'PX', ttl)
end
`;
const STANDING = `${PARSE}
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local at, job = parse(value)
local startsAt = tonumber(ARGV[1]) or 0
if ARGV[2] == '0' then
  if at > startsAt or (at == startsAt and job == '') then return 2 end
  return 0
end
if job == '' then return 0 end
if at > startsAt then return 2 end
if redis.call('EXISTS', job) == 0 or redis.call('HEXISTS', job, 'finishedOn') == 1 then return 0 end
return 1
`;
const ENDED = `${PARSE}
local value = redis.call('GET', KEYS[1])
if value then
  local at = parse(value)
  if at > (tonumber(ARGV[2]) or 0) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2] .. '|', 'PX', ARGV[1])
return 1
`;

/**
 * An entry not written for this long is forgotten: its trigger no longer holds a resolve
 * back, and its ended episode no longer stops a late trigger. It bounds the memory of the
 * index; a job is retried and parked for far less than a day.
 */
export const FIRING_INDEX_TTL_MS = 24 * 60 * 60 * 1000;

interface FiringIndexCommands {
  heraldFiringStanding(key: string, startsAtMs: number, isResolve: 0 | 1): Promise<number>;
  heraldFiringEnded(key: string, ttlMs: number, startsAtMs: number): Promise<number>;
}

/**
 * What a job should do, given what the index knows of its alert at its target:
 * - `deliver`: nothing stands in its way;
 * - `wait`: a resolve whose trigger is still to be delivered or to fail for good;
 * - `superseded`: the alert has moved past this notification at this target (it fired
 *   again, or this trigger's episode has been resolved there), so sending it would only
 *   put the target back in a state the alert has left.
 */
export type Standing = 'deliver' | 'wait' | 'superseded';
const STANDINGS: readonly Standing[] = ['deliver', 'wait', 'superseded'];

/** The index's key for an alert at a target. Target names cannot hold a colon, so it is unambiguous. */
export function firingIndexKey(prefix: string, target: string, fingerprint: string): string {
  return `${prefix}:firing:${target}:${fingerprint}`;
}

/**
 * The FiringJobIndex keeps each target in the latest state of each alert. A firing alert is
 * high or medium and its resolve is low, so they travel in different queues; a retried
 * trigger, or one delivered on the worker's other thread, would otherwise let the resolve
 * reach the target first, and PagerDuty, say, would keep open the incident the trigger then
 * opens. When an alert flaps while its target is down, the notifications of two episodes
 * queue up together, and one of the first episode delivered after the second's trigger
 * would close the incident of an alert that is firing, or reopen one that has resolved.
 *
 * The API records each firing job in the Redis call that queues it (BulkAddScript), so no
 * resolve can find its trigger queued but not recorded. A worker asks before it sends a
 * resolve, or a trigger that has been here before (retried, parked, replayed), in one round
 * trip; a trigger on its first attempt costs the worker nothing. A delivered resolve marks
 * its episode ended. Each entry lives `FIRING_INDEX_TTL_MS` from its last write.
 */
export class FiringJobIndex {
  private readonly redis: Redis & FiringIndexCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    if (!('heraldFiringStanding' in redis)) {
      redis.defineCommand('heraldFiringStanding', { numberOfKeys: 1, lua: STANDING });
      redis.defineCommand('heraldFiringEnded', { numberOfKeys: 1, lua: ENDED });
    }
    this.redis = redis as Redis & FiringIndexCommands;
  }

  /** Whether a notification of the alert that started at `startsAt` should go to `target` now (see Standing). */
  async standing(target: string, alert: Pick<Alert, 'fingerprint' | 'status' | 'startsAt'>): Promise<Standing> {
    const answer = await this.redis.heraldFiringStanding(this.key(target, alert.fingerprint), Date.parse(alert.startsAt), alert.status === 'resolved' ? 1 : 0);
    return STANDINGS[answer]!;
  }

  /** A resolve of the episode that started at `startsAt` has reached `target`. */
  async ended(target: string, fingerprint: string, startsAt: string): Promise<void> {
    await this.redis.heraldFiringEnded(this.key(target, fingerprint), FIRING_INDEX_TTL_MS, Date.parse(startsAt));
  }

  private key(target: string, fingerprint: string): string {
    return firingIndexKey(this.prefix, target, fingerprint);
  }
}
