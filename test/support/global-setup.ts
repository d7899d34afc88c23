import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalPostgres, LocalRedis } from '@herald/devstack';
import { migrateToLatest } from '@herald/migrations';

/**
 * Starts one throwaway redis-server and one embedded PostgreSQL on random ports for the
 * whole run, unless TEST_REDIS_URL / TEST_DATABASE_URL name servers to use instead.
 * Test files isolate themselves with their own queue prefix and rows.
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-test-'));
  // Every test's own temporary files go in here (`testTempDir`), so that removing this
  // directory at the end removes them too. Tests start PostgreSQL servers of their own
  // under it, which run as the postgres user when the tests run as root: it must be able
  // to enter every directory on the way.
  const testsDir = join(dir, 'tests');
  mkdirSync(testsDir);
  chmodSync(dir, 0o755);
  chmodSync(testsDir, 0o755);
  process.env.HERALD_TEST_TMP = testsDir;
  const stops: (() => Promise<void>)[] = [];
  if (!process.env.TEST_REDIS_URL) {
    const redis = new LocalRedis({ dataDir: join(dir, 'redis'), appendOnly: false });
    await redis.start();
    stops.push(() => redis.stop());
    process.env.TEST_REDIS_URL = redis.url;
  }
  if (!process.env.TEST_DATABASE_URL) {
    const postgres = new LocalPostgres({ dataDir: join(dir, 'pg'), database: 'herald_test', ephemeral: true });
    await postgres.start();
    stops.push(() => postgres.stop());
    process.env.TEST_DATABASE_URL = postgres.url;
  }
  await migrateToLatest(process.env.TEST_DATABASE_URL);
  (globalThis as { heraldTestStack?: () => Promise<void> }).heraldTestStack = async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
