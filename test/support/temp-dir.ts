import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh directory for one test's files: a targets file, a throwaway server's data. It is
 * made inside the run's own directory (HERALD_TEST_TMP, from the global setup), which the
 * global teardown removes whole, so a run leaves nothing in the system's temporary
 * directory, even when a test fails before its own cleanup. (Each PostgreSQL data directory
 * left behind was about 47 MB.)
 */
export function testTempDir(prefix: string): string {
  return mkdtempSync(join(process.env.HERALD_TEST_TMP ?? tmpdir(), prefix));
}
