import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { LocalRedis } from '@herald/devstack';

/*
 * What the small cost tools (add-cost, finish-cost) share: a redis-server of their own, Redis's
 * time in scripts, variants alternating over rounds, and the entry point.
 */

/**
 * Runs `measure` against a redis-server of its own (no persistence, data in a temporary
 * directory), with an admin connection for FLUSHALL and INFO, and removes it all after:
 * the setting of the small cost tools (add-cost, finish-cost), which the machine's Redis
 * must not disturb.
 */
export async function withThrowawayRedis(name: string, measure: (redis: LocalRedis, admin: Redis) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `herald-${name}-`));
  const redis = new LocalRedis({ dataDir: dir, appendOnly: false });
  await redis.start();
  const admin = new Redis(redis.url);
  try {
    await measure(redis, admin);
  } finally {
    admin.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Redis's own time in EVALSHA since the last `CONFIG RESETSTAT`: calls and microseconds. */
export async function scriptTime(admin: Redis): Promise<{ calls: number; usec: number }> {
  const stats = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await admin.info('commandstats'));
  return { calls: Number(stats?.[1] ?? 0), usec: Number(stats?.[2] ?? 0) };
}

/** The entry point of a tool: errors are printed and set the exit code. */
export function runTool(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

/**
 * Runs every variant once per round, in turn within each round so that the machine's drift
 * hits all of them, prints each run's figures with `describe`, and returns each variant's
 * figures, round by round. Even rounds run the variants in reverse order: the place in a
 * round may matter by itself (in `worker-ab`, the same two builds read 0.92× with one listed
 * first and 1.03× with it listed second), and alternating cancels that out.
 */
export async function alternateRounds<V, R>(
  rounds: number,
  variants: Record<string, V>,
  run: (variant: V, round: number) => Promise<R>,
  describe: (figures: R) => string,
): Promise<Map<string, R[]>> {
  const results = new Map<string, R[]>(Object.keys(variants).map((name) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    const order = Object.entries(variants);
    if (round % 2 === 0) order.reverse();
    for (const [name, variant] of order) {
      const figures = await run(variant, round);
      results.get(name)!.push(figures);
      console.log(`round ${round}  ${name.padEnd(34)} ${describe(figures)}`);
    }
  }
  return results;
}
