import { Redis } from 'ioredis';

/**
 * Whether the installed ioredis carries Herald's patch (patches/ioredis+5.11.1.patch, which
 * `npm install` applies through patch-package): a pipeline defines no `length` accessor of
 * its own. Unpatched, each pipeline outlives every scavenge until a full collection, and a
 * process adding jobs with BullMQ runs one every second or two (bench/README.md, finding
 * 44). An install with `--ignore-scripts` skips the patch; everything works, more slowly.
 */
export function ioredisPipelinesPatched(): boolean {
  // Never connected: `lazyConnect` waits for a first command, and a pipeline sends none.
  const redis = new Redis({ lazyConnect: true });
  try {
    return Object.getOwnPropertyDescriptor(redis.pipeline(), 'length') === undefined;
  } finally {
    redis.disconnect();
  }
}
